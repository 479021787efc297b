/**
 * The events of a {@link RefCounter}: objects made, referenced, finalized,
 * resurrected and freed, each emitted once the objects' state is consistent.
 *
 * @module
 */

/** Events of {@link RefCounter}. */
export interface ObjectEvents {
  /** An object was created with refcount 1. */
  "object:alloc": {
    /** The object's address (past the PyGC_Head for containers). */
    address: number;
    /** Its type's name. */
    type: string;
    /** Bytes requested for the object's block: PyGC_Head included, a list-like's items block excluded. */
    size: number;
  };
  /** An object's memory was freed. */
  "object:dealloc": {
    /** The freed object's address. */
    address: number;
    /** Its type's name. */
    type: string;
  };
  /** An object's finalizer is about to run. */
  "object:finalize": {
    /** The object being finalized. */
    address: number;
    /** Its type's name. */
    type: string;
  };
  /** A finalizer left the object referenced: it lives on, finalized. */
  "object:resurrect": {
    /** The resurrected object's address. */
    address: number;
    /** Its type's name. */
    type: string;
    /** References the finalizer left it with (ob_refcnt, above 0). */
    refcount: number;
  };
  /** A reference was added (immortal objects excepted). */
  "object:incref": {
    /** The object's address. */
    address: number;
    /** Its ob_refcnt after the increment. */
    refcount: number;
  };
  /** A reference was dropped (immortal objects excepted). */
  "object:decref": {
    /** The object's address. */
    address: number;
    /** Its ob_refcnt after the decrement; 0 means deallocation follows. */
    refcount: number;
  };
}

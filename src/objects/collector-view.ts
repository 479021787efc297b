/**
 * The two sides of the seam between the objects and the cyclic gc, as
 * CPython has it between `Objects/` and `Modules/gcmodule.c`: what a
 * collector is told when objects are made and destroyed (the PyGC_Head
 * tracking calls), and what it may see and do to objects during a collection
 * (tp_traverse's view, refcounts, tp_finalize, weak references, tp_clear).
 * Neither side imports the other's code, only these interfaces.
 *
 * @module
 */

import type { ObjectAllocator } from "../object-allocator.js";
import type { Profile } from "../profiles.js";
import type { ObjectType } from "./object-type.js";

/** What a cycle collector attached to the objects is told (CPython's gc calls in the object layer). */
export interface CollectorHooks {
  /** _PyObject_GC_Link: a container's block was just allocated (gen-0 count, maybe an automatic collection). */
  link(): void;
  /** _PyObject_GC_TRACK: append to the youngest generation (3.14: counted there). */
  track(address: number): void;
  /** The allocating call is complete: a collection scheduled meanwhile may run (the eval breaker). */
  safePoint(): void;
  /** _PyObject_GC_UNTRACK. */
  untrack(address: number): void;
  /** Whether `_gc_next` is set. */
  isTracked(address: number): boolean;
  /** PyObject_GC_Del: the gen-0 count goes down (if above 0). */
  released(): void;
}

/** The tables by type id that loops over many objects read instead of calling per object. */
export interface TypeTables {
  /** 1 for containers (tp_traverse's test, without loading the type). */
  containerFlags: Uint8Array;
  /** Where the slots start from the object's address; -1 for a list-like's separate items block, -2 when the type's hooks say (traverseAt). */
  slotOffsets: Int32Array;
  /** How many slots there are; -1 when `ob_size` says. */
  fixedSlots: Int32Array;
}

/** What the cycle collector sees of the objects, and may do to them. Addresses are not checked. */
export interface CollectorView {
  /** The profile: layout, immortality, gc variant. */
  readonly profile: Profile;
  /** Where the objects live; the collector takes its list heads from the raw allocator under it. */
  readonly allocator: ObjectAllocator;
  /** The memory's 32-bit words. */
  readonly u32: Uint32Array;
  /** The type of weak reference objects. */
  readonly weakrefType: ObjectType;
  /** Types defined with a finalizer so far (while 0, no object has one). */
  readonly finalizerTypes: number;
  /** Weak references made so far (while 0, there are none). */
  readonly weakrefsMade: number;
  /** Connects the collector (one per set of objects). */
  attach(hooks: CollectorHooks): void;
  /** Whether a collector is attached. */
  hasCollector(): boolean;
  /** Whether `address` is a live object. */
  isAlive(address: number): boolean;
  /** Whether a deallocation is under way (a finalizer or callback is running inside one). */
  isDeallocating(): boolean;
  /** The type of a live object. */
  typeAt(address: number): ObjectType;
  /** The tables by type id; valid until the next type is defined. */
  typeTables(): TypeTables;
  /** Whether a live object is a container (gc-aware). */
  isContainerAt(address: number): boolean;
  /** Whether the type's references live outside slots (a dict's entries): traverseCount and traverseAt say where. */
  hasOwnRefs(t: ObjectType): boolean;
  /** For a type with its own references (hasOwnRefs): how many places tp_traverse looks at. */
  traverseCount(address: number, t: ObjectType): number;
  /** Where the `k`th place tp_traverse visits is (a word's address; 0 when it holds none). */
  traverseAt(address: number, t: ObjectType, k: number): number;
  /** Whether a full collection untracks the object (untrack_dicts, 3.8–3.13). */
  untrackInFull(address: number, t: ObjectType): boolean;
  /** Where an object's slots start (tp_traverse's view). */
  slotBase(address: number, t: ObjectType): number;
  /** How many slots it has. */
  slotCount(address: number, t: ObjectType): number;
  /** ob_refcnt. */
  refcount(address: number): number;
  /** Py_INCREF. */
  incref(address: number): void;
  /** Py_DECREF: may deallocate. */
  decref(address: number): void;
  /** Whether immortal (3.12+). */
  immortal(address: number): boolean;
  /** tp_finalize as the gc calls it: the FINALIZED bit is the caller's; errors are held. */
  callFinalizer(address: number, t: ObjectType): void;
  /** tp_clear: the object drops the references it holds. */
  clearObject(address: number, t: ObjectType): void;
  /** _PyWeakref_ClearRef: unlink the weak reference and forget its referent, keeping its callback. */
  clearWeakrefKeepCallback(weakref: number): void;
  /** The first weak reference to `target` (0 when none). */
  firstWeakref(target: number, t: ObjectType): number;
  /** Whether the weak reference has a callback. */
  hasCallback(weakref: number): boolean;
  /** Calls a weak reference's callback as handle_weakrefs does (errors held). */
  callWeakrefCallback(weakref: number): void;
  /** clear_freelists: a collection of the oldest generation frees what the built-ins' free lists keep. */
  clearFreeLists(): void;
  /** Holds the errors of listeners, finalizers and callbacks across a collection. */
  holdErrors(): void;
  /** Releases them; the first is thrown, unless `discard`. */
  releaseErrors(discard?: boolean): void;
}

/**
 * Types whose behaviour a layer above the objects completes: the built-in
 * types keep dead objects on free lists and own blocks besides the object's
 * (as CPython's `tp_dealloc` of float, tuple, list and dict do), which
 * the generic deallocation cannot know.
 *
 * @module
 */

/** What the objects call on a type of a layer above. */
export interface NativeHooks {
  /**
   * The end of `tp_dealloc`, once the object's references are released (and
   * a list's items block freed): frees what else the object owns and returns
   * the object's block for the objects to free through `PyObject_Free` /
   * `PyObject_GC_Del`, or 0 when it kept the block on a free list.
   */
  dispose(address: number): number;
}

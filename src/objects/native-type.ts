/**
 * Types whose behaviour a layer above the objects completes: the built-in
 * types keep dead objects on free lists, own blocks besides the object's
 * and hold references outside any slot (a dict's keys and values live in
 * its keys object), as CPython's `tp_dealloc`, `tp_traverse` and `tp_clear`
 * of float, tuple, list and dict do, which the generic machinery cannot know.
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
  /**
   * References held outside the slots, in the order `tp_dealloc` releases
   * them: how many places there are. Absent: the type's slots.
   */
  refCount?(address: number): number;
  /** Where the `k`th of them is (a word's address), or 0 when that place holds none. */
  refAt?(address: number, k: number): number;
  /**
   * `tp_traverse`'s order, when it differs from `tp_dealloc`'s: how many
   * places, and where the `k`th is (0 for none).
   */
  traverseCount?(address: number): number;
  /** Where the `k`th place `tp_traverse` visits is (a word's address), or 0. */
  traverseAt?(address: number, k: number): number;
  /** `tp_clear`, as the gc calls it on garbage. */
  clear?(address: number): void;
  /**
   * Whether a full collection untracks the object (`untrack_dicts` of
   * 3.8–3.13: a dict holding nothing the gc may track).
   */
  untrackInFull?(address: number): boolean;
}

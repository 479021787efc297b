/**
 * A count of the times user code has run (a listener, a finalizer, a weakref
 * callback) in this realm. A layer that looks at the heap twice compares the
 * count: unchanged, nothing but the layers' own code touched the heap in
 * between. Shared by every instance, so it can only make a check more careful.
 *
 * @module
 */

let runs = 0;

/** One run of user code is about to start. */
export function noteUserCode(): void {
  runs++;
}

/** The runs so far. */
export function userCodeRuns(): number {
  return runs;
}

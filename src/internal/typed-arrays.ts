/**
 * Growing the typed arrays that hold per-arena, per-frame and per-ID state
 * outside simulated memory.
 *
 * @module
 */

/** The typed arrays pymem keeps its bookkeeping in. */
export type StateArray = Float64Array | Uint32Array | Int32Array | Uint8Array;

/** A copy of `a` with room for `length` elements (the new ones 0). */
export function grown<T extends StateArray>(a: T, length: number): T {
  const b = new (a.constructor as new (n: number) => T)(length);
  b.set(a);
  return b;
}

/**
 * Dict tables as CPython lays them out (PEP 412's compact dicts): a keys
 * object holding a header, an index array of 1, 2, 4 or 8-byte slots, and
 * the entries in insertion order. Pure helpers for the sizes.
 *
 * @module
 */

/** PyDict_MINSIZE: the smallest table. */
export const DICT_MINSIZE = 8;

/** USABLE_FRACTION: entries a table of `size` slots holds (two thirds). */
export function usableFraction(size: number): number {
  return Math.floor((size * 2) / 3);
}

/** Bytes of one index slot for a table of `size` slots. */
export function indexBytes(size: number): number {
  return size <= 128 ? 1 : size <= 32768 ? 2 : size <= 2 ** 31 ? 4 : 8;
}

/** Bytes of a keys object: header, indices, and the usable entries. */
export function keysBytes(size: number, header: number, entryBytes: number): number {
  return header + size * indexBytes(size) + usableFraction(size) * entryBytes;
}

/**
 * The table size `dictresize` picks for at least `minsize` used entries:
 * the smallest power of two ≥ max(minsize, 8), except in 3.10–3.12, whose
 * calculate_log2_keysize gives 16 for 1–7 and doubles an exact power of two.
 */
export function tableSize(minsize: number, minor: number): number {
  if (minor >= 10 && minor <= 12) {
    const m = ((minsize | DICT_MINSIZE) - 1) | (DICT_MINSIZE - 1);
    const log = 32 - Math.clz32(m);
    // A shift where it fits: `2 ** n` is a call to pow in optimized code.
    return log < 31 ? 1 << log : 2 ** log;
  }
  let size = DICT_MINSIZE;
  while (size < minsize) size *= 2;
  return size;
}

/**
 * The arithmetic of two-level segregated fit (TLSF, Masmano et al. 2004): which
 * free-list bin a block size belongs to. Sizes are byte counts, multiples of
 * {@link GRANULE}. A bin index packs the first level (the power of two) and the
 * second level (which of {@link SL_COUNT} linear slices of that power) as
 * `fl * SL_COUNT + sl`.
 *
 * Sizes below {@link SMALL_LIMIT} get one bin per granule in first level 0,
 * so small blocks are found exactly.
 *
 * @module
 */

/** log2 of the second-level subdivision: 32 bins per power of two keeps the worst-case waste near 3%. */
export const SL_LOG2 = 5;
/** Second-level bins per first-level class. */
export const SL_COUNT = 1 << SL_LOG2;
/** log2 of the block granule. */
export const GRANULE_LOG2 = 4;
/** Block sizes and addresses are multiples of this: the 16-byte alignment malloc guarantees on 64-bit. */
export const GRANULE = 1 << GRANULE_LOG2;
/** Below this size, first level 0 holds one bin per granule. */
export const SMALL_LIMIT = 1 << (SL_LOG2 + GRANULE_LOG2);
/** First-level classes: enough for any block size below 2^32. */
export const FL_COUNT = 32 - (SL_LOG2 + GRANULE_LOG2) + 1;
/** Total bins. */
export const BIN_COUNT = FL_COUNT * SL_COUNT;

/** Index of the highest set bit of a positive 32-bit value. */
export function fls(x: number): number {
  return 31 - Math.clz32(x);
}

/** Index of the lowest set bit of a non-zero 32-bit value. */
export function ffs(x: number): number {
  return 31 - Math.clz32(x & -x);
}

/** The bin a free block of `size` bytes is filed under (size is a multiple of GRANULE, below 2^32). */
export function binOfSize(size: number): number {
  if (size < SMALL_LIMIT) return size >>> GRANULE_LOG2;
  const f = fls(size);
  const fl = f - (SL_LOG2 + GRANULE_LOG2) + 1;
  const sl = (size >>> (f - SL_LOG2)) ^ SL_COUNT;
  return fl * SL_COUNT + sl;
}

/**
 * The first bin whose every block is at least `size` bytes: `size` rounded up to
 * the next bin boundary. Returns BIN_COUNT when no bin can be that large.
 */
export function binForRequest(size: number): number {
  if (size >= 0x1_0000_0000) return BIN_COUNT;
  if (size < SMALL_LIMIT) return size >>> GRANULE_LOG2;
  const rounded = size + (1 << (fls(size) - SL_LOG2)) - 1;
  if (rounded >= 0x1_0000_0000) return BIN_COUNT;
  return binOfSize(rounded);
}

/** The smallest block size filed under `bin` (the inverse of binOfSize at bin boundaries). */
export function binFloor(bin: number): number {
  const fl = (bin / SL_COUNT) | 0;
  const sl = bin % SL_COUNT;
  if (fl === 0) return sl << GRANULE_LOG2;
  const base = 2 ** (fl + SL_LOG2 + GRANULE_LOG2 - 1);
  return base + sl * (base / SL_COUNT);
}

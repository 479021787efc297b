/**
 * pymalloc's arithmetic: size classes, blocks per pool, the pool of an
 * address. Pure functions of a profile's numbers.
 *
 * @module
 */

/** Size class index of a request of `nbytes` (1 ≤ nbytes ≤ threshold): `(nbytes - 1) >> log2(alignment)`. */
export function sizeClassOf(nbytes: number, alignment: number): number {
  return Math.floor((nbytes - 1) / alignment);
}

/** Block size of class `index`: INDEX2SIZE. */
export function blockSizeOf(index: number, alignment: number): number {
  return (index + 1) * alignment;
}

/** Number of size classes: NB_SMALL_SIZE_CLASSES. */
export function sizeClassCount(threshold: number, alignment: number): number {
  return threshold / alignment;
}

/** Blocks a pool of class `index` holds: NUMBLOCKS. */
export function blocksPerPool(index: number, poolSize: number, poolOverhead: number, alignment: number): number {
  return Math.floor((poolSize - poolOverhead) / blockSizeOf(index, alignment));
}

/** The pool an address would belong to: the address rounded down to the pool size (POOL_ADDR). */
export function poolOf(address: number, poolSize: number): number {
  return address - (address % poolSize);
}

/**
 * pymalloc_realloc's rule for a pool block: it stays put when the new size
 * fits its class and shrinks it by less than a quarter; otherwise it moves.
 */
export function reallocStaysInPlace(size: number, capacity: number): boolean {
  return size <= capacity && 4 * size > 3 * capacity;
}

/**
 * The layout of a pool header in simulated memory, as 64-bit CPython lays out
 * `struct pool_header`. Offsets are in bytes from the pool's address; every
 * field the simulator writes is where CPython keeps it, so a teaching tool
 * reading the bytes reads what CPython's memory would hold.
 *
 * @module
 */

/** `ref.count`: blocks allocated from the pool (a uint in a pointer-sized union). */
export const POOL_COUNT = 0;
/** `freeblock`: head of the pool's free list, 0 when none. */
export const POOL_FREEBLOCK = 8;
/** `nextpool`: next pool in its usedpools ring, or next empty pool on the arena's freepools list. */
export const POOL_NEXTPOOL = 16;
/** `prevpool`: previous pool in its usedpools ring. */
export const POOL_PREVPOOL = 24;
/** `arenaindex`: index of the pool's arena object. */
export const POOL_ARENAINDEX = 32;
/** `szidx`: the size class, or DUMMY_SIZE_IDX in a freshly carved pool. */
export const POOL_SZIDX = 36;
/** `nextoffset`: offset of the next never-used block. */
export const POOL_NEXTOFFSET = 40;
/** `maxnextoffset`: the largest valid nextoffset. */
export const POOL_MAXNEXTOFFSET = 44;
/** Bytes of the header's fields, before rounding up to the alignment (POOL_OVERHEAD). */
export const POOL_HEADER_BYTES = 48;
/** DUMMY_SIZE_IDX: marks a pool carved but never initialised for a class. */
export const DUMMY_SIZE_IDX = 0xffff;
/**
 * What a usedpools ring's link holds where CPython stores the address of the
 * class's fake header inside the static `usedpools` array: that array is not in
 * simulated memory, so the ring's ends read 0 here.
 */
export const USEDPOOLS_HEAD = 0;

/** The constants above in one record, as the package exports them (`poolHeader.POOL_SZIDX`). */
export const poolHeader = Object.freeze({
  POOL_COUNT,
  POOL_FREEBLOCK,
  POOL_NEXTPOOL,
  POOL_PREVPOOL,
  POOL_ARENAINDEX,
  POOL_SZIDX,
  POOL_NEXTOFFSET,
  POOL_MAXNEXTOFFSET,
  POOL_HEADER_BYTES,
  DUMMY_SIZE_IDX,
  USEDPOOLS_HEAD,
});

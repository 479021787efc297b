/**
 * What replaying a trace needs of an allocator.
 *
 * @module
 */

/**
 * What replayTrace needs of an allocator: four functions. An
 * {@link ObjectAllocator} (any of pymem's, or a user's) has them, and tells
 * the replay more: the raw allocator underneath (for the bytes it holds),
 * pymalloc's numbers and report where it has them.
 */
export interface TraceAllocator {
  /** For `m` lines: a block of at least `size` bytes; its address must not be 0 (0 marks an ID not live). */
  malloc(size: number): number;
  /** For `c` lines: a block of `nelem * elsize` zeroed bytes, at an address other than 0. */
  calloc(nelem: number, elsize: number): number;
  /** For `r` lines: resizes the live block at `address` to `size` bytes; returns its address, moved or not. */
  realloc(address: number, size: number): number;
  /** For `f` lines: releases the live block at `address`; what it returns is ignored. */
  free(address: number): unknown;
}

/**
 * The layout of a RawAllocator block in simulated memory: a 16-byte header,
 * then the payload. The header's words are the allocator's real state:
 *
 * ```
 *  word 0: size in bytes, header included, with FREE in bit 0
 *  word 1: the previous block in address order (0 for the first)
 *  words 2-3: used: the bytes requested, then 0; free: the next and previous free block of its bin
 * ```
 *
 * Sizes and addresses are multiples of the 16-byte granule, so bit 0 of the
 * size is free for the flag.
 *
 * @module
 */

import { GRANULE } from "./tlsf.js";

/** Bytes of block header before every payload. */
export const RAW_HEADER = 16;
/** The smallest block: a header and one granule, enough to hold the free-list links. */
export const MIN_BLOCK = RAW_HEADER + GRANULE;
/** Low bit of a header's size word: the block is free. */
export const FREE = 1;
/** First block's address: 0..15 stay reserved so that 0 means NULL. */
export const FIRST_BLOCK = 16;

/** The size in a header word: the word without its FREE bit, as an unsigned number (sizes reach 2^32 - 32). */
export function sizeOfWord(word: number): number {
  return (word - (word & FREE)) >>> 0;
}

/** Block size (header included) that serves a request of `size` bytes. */
export function blockSizeFor(size: number): number {
  const b = roundUp(size, GRANULE) + RAW_HEADER;
  return Math.max(b, MIN_BLOCK);
}

/** `n` rounded up to a multiple of `unit`, a power of two; integer masking where the sum stays in int32. */
export function roundUp(n: number, unit: number): number {
  return n <= 0x4000_0000 ? (n + unit - 1) & -unit : Math.ceil(n / unit) * unit;
}

/** `n` rounded down to a multiple of the granule: where a heap of `n` bytes ends. */
export function floorGranule(n: number): number {
  return n - (n % GRANULE);
}

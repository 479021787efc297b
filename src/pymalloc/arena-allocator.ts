/**
 * Where pymalloc's arenas come from: CPython's `PyObjectArenaAllocator`
 * (`PyObject_SetArenaAllocator`), the hook that hands pymalloc ARENA_SIZE
 * bytes at a time and takes them back. By default CPython maps fresh pages
 * (mmap, VirtualAlloc); the model's default takes page-aligned regions of the
 * RawAllocator and clears what a freed block may have left there, since fresh
 * pages read zero. A user's arena allocator places arenas where it likes (a
 * fixed region, huge-page alignment, where a live interpreter put them);
 * pymalloc clears nothing it hands out, as CPython does not.
 *
 * @module
 */

import { InvalidAddressError } from "../errors.js";
import { lastBlockClean, type RawAllocator } from "../raw/raw-allocator.js";

/**
 * CPython's `PyObjectArenaAllocator`: where a {@link BlockAllocator}'s arenas
 * come from. Both functions are called with the raw allocator's listener
 * errors held, as part of the allocation or free that needed them.
 *
 * @example
 * ```ts
 * import { BlockAllocator, RawAllocator } from "pymem";
 *
 * // Arenas side by side in one region, each 8 bytes past a pool boundary: every arena loses its first pool.
 * const raw = new RawAllocator();
 * const region = raw.allocAligned(8 << 20, 1 << 20);
 * let next = region + 8;
 * const blocks = new BlockAllocator({
 *   raw,
 *   arenaAllocator: {
 *     alloc: (size) => {
 *       const address = next;
 *       next += size + 16384;
 *       return address + size <= region + (8 << 20) ? address : 0;
 *     },
 *     free: () => {},
 *   },
 * });
 * const p = blocks.malloc(64);
 * console.log(p - region, blocks.arenas()[0]?.nTotalPools); // 16432 63
 * ```
 */
export interface ArenaAllocator {
  /**
   * `size` bytes (the profile's arena size): an 8-aligned address inside a
   * block the raw allocator handed out (a region reserved for arenas), clear
   * of the live arenas; 0 when there are none to give, and pymalloc serves
   * the request from the raw allocator instead, as CPython does when its
   * arena allocator returns NULL. What `alloc` throws (or the raw
   * allocator's listeners throw while it runs) comes out of the call that
   * needed the arena, which then changes nothing.
   */
  alloc(size: number): number;
  /**
   * Takes back an arena that `alloc` gave, once all its pools are empty (a
   * copy of the heap made by `instantiate` gives back arenas the original's
   * allocator gave). What it throws comes out of the free that released the
   * arena, once that free is complete.
   */
  free(address: number, size: number): void;
}

/** The model's mmap and munmap: page-aligned regions of `raw` (aligned to `alignment`), reading zero. */
export function rawArenas(raw: RawAllocator, alignment: number): ArenaAllocator {
  return {
    alloc(size) {
      const address = raw.allocAligned(size, alignment);
      // A region the raw heap reuses may hold old bytes; one no block ever reached is already zero.
      if (!lastBlockClean(raw)) raw.memory.u8.fill(0, address, address + size);
      return address;
    },
    free(address) {
      raw.free(address);
    },
  };
}

/**
 * Throws unless `address`, returned by an arena allocator for `size` bytes,
 * is an integer, 8-aligned, inside the heap, within a block the raw
 * allocator handed out (`holder` says which: 0 for none), and clear of the
 * live arenas (each `size` bytes, at the addresses `live` yields).
 */
export function checkArenaAddress(
  address: unknown,
  size: number,
  heapBytes: number,
  holder: (address: number) => number,
  live: Iterable<number>,
): number {
  if (typeof address !== "number" || !Number.isSafeInteger(address) || address < 0) {
    throw new TypeError(
      `the arena allocator must return a non-negative integer address, got ${typeof address === "number" ? address : typeof address}`,
    );
  }
  if (address % 8 !== 0)
    throw new InvalidAddressError(address, "the arena allocator returned an address not aligned to 8");
  if (address + size > heapBytes) {
    throw new InvalidAddressError(
      address,
      `the arena allocator returned an arena of ${size} bytes that ends past the heap (${heapBytes} bytes)`,
    );
  }
  if (holder(address) === 0) {
    throw new InvalidAddressError(
      address,
      `the arena allocator returned an arena of ${size} bytes outside any block the raw allocator handed out (reserve its memory with raw.allocAligned or raw.malloc)`,
    );
  }
  for (const other of live) {
    if (address < other + size && other < address + size) {
      throw new InvalidAddressError(
        address,
        `the arena allocator returned an arena overlapping the live arena at ${other}`,
      );
    }
  }
  return address;
}

/**
 * pymalloc's checked mode: what a BlockAllocator does that CPython's release
 * build does not, to turn a bad free into a typed error before anything
 * changes. It keeps one bit per 16 bytes of memory for the blocks it handed
 * out, small and large (set on malloc, cleared on free, in the allocator's hot
 * path); when a free finds no bit, the functions here work out what the
 * address is, for the error's message: a block of a pool freed twice, an
 * interior or never-used address, a raw block someone else allocated.
 *
 * @module
 */

import { DoubleFreeError, InvalidAddressError } from "../errors.js";
import type { RawAllocator } from "../raw/raw-allocator.js";
import type { ArenaObjects } from "./arena-objects.js";
import { POOL_ARENAINDEX, POOL_NEXTOFFSET, POOL_SZIDX } from "./pool-header.js";

/** What checked mode and validation read of a BlockAllocator's pools: their geometry, usedpools, the bitmap. */
export interface PoolGeometry {
  u32: Uint32Array;
  poolSize: number;
  poolOverhead: number;
  /** Per size class: INDEX2SIZE. */
  classSize: Uint32Array;
  /** Per size class: blocks per pool. */
  classBlocks: Uint32Array;
  /** usedpools: per size class, the first and last pool of its ring. */
  usedFirst: Uint32Array;
  usedLast: Uint32Array;
  checked: boolean;
  /** Checked mode's bitmap of live blocks. */
  live: Uint32Array;
}

/**
 * Why freeing `address` (inside an arena, not marked live) is wrong: a
 * DoubleFreeError when it is the start of a block of a carved pool that was
 * handed out before, else an InvalidAddressError.
 */
export function badSmallFree(address: number, arenas: ArenaObjects, g: PoolGeometry): never {
  const u32 = g.u32;
  const pool = address - (address % g.poolSize);
  const index = u32[(pool + POOL_ARENAINDEX) >>> 2] as number;
  const carved = pool >= arenas.firstPool(index) && pool < (arenas.arenaPoolAddress[index] as number);
  const c = u32[(pool + POOL_SZIDX) >>> 2] as number;
  if (carved && c < g.classSize.length) {
    const offset = address - pool - g.poolOverhead;
    const handedOut = address - pool < (u32[(pool + POOL_NEXTOFFSET) >>> 2] as number);
    if (offset >= 0 && offset % (g.classSize[c] as number) === 0 && handedOut) throw new DoubleFreeError(address);
  }
  throw new InvalidAddressError(address, "inside an arena but not the start of a live block");
}

/** Why freeing `address` (outside every arena, not marked live) is wrong, as the raw allocator sees it. */
export function badLargeFree(address: number, raw: RawAllocator): never {
  if (raw.isLive(address)) {
    throw new InvalidAddressError(address, "a raw-allocator block that this BlockAllocator did not hand out");
  }
  // Let the raw allocator say whether it is a double free or a foreign address.
  raw.usableSize(address);
  throw new InvalidAddressError(address, "not a block of this BlockAllocator");
}

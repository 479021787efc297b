/**
 * Pool: a read-only view of one carved pool of a BlockAllocator, reading its
 * header from simulated memory.
 *
 * @module
 */

import type { BlockAllocator } from "./block-allocator.js";
import {
  POOL_ARENAINDEX,
  POOL_COUNT,
  POOL_FREEBLOCK,
  POOL_MAXNEXTOFFSET,
  POOL_NEXTOFFSET,
  POOL_SZIDX,
} from "./pool-header.js";
import { blockSizeOf } from "./size-class.js";

/** used: in its class's usedpools ring; full: no free block; empty: on its arena's freepools. */
export type PoolState = "used" | "full" | "empty";

/** One pool (CPython's `struct pool_header` and its blocks). */
export class Pool {
  /** @internal */
  constructor(
    private readonly owner: BlockAllocator,
    /** The pool's address (POOL_SIZE-aligned). */
    readonly address: number,
  ) {}

  private word(offset: number): number {
    return this.owner.internals().u32[(this.address + offset) >>> 2] as number;
  }

  /** `arenaindex`. */
  get arenaIndex(): number {
    return this.word(POOL_ARENAINDEX);
  }

  /** `szidx`: the size class (an empty pool keeps its last class). */
  get sizeClass(): number {
    return this.word(POOL_SZIDX);
  }

  /** Bytes per block of the pool's class. */
  get blockSize(): number {
    return blockSizeOf(this.sizeClass, this.owner.profile.alignment);
  }

  /** `ref.count`: blocks in use. */
  get blocksInUse(): number {
    return this.word(POOL_COUNT);
  }

  /** Blocks the pool holds in all. */
  get capacity(): number {
    const p = this.owner.profile;
    return Math.floor((p.poolSize - p.poolOverhead) / this.blockSize);
  }

  /** Free blocks: on the free list or never used. */
  get freeBlocks(): number {
    return this.capacity - this.blocksInUse;
  }

  /** `nextoffset`: offset of the next never-used block. */
  get nextOffset(): number {
    return this.word(POOL_NEXTOFFSET);
  }

  /** `maxnextoffset`. */
  get maxNextOffset(): number {
    return this.word(POOL_MAXNEXTOFFSET);
  }

  /** used, full or empty. */
  get state(): "used" | "full" | "empty" {
    return this.owner.poolState(this.address);
  }

  /** The free list, head first: the order in which its blocks will be handed out. */
  freeList(): number[] {
    const u32 = this.owner.internals().u32;
    const out: number[] = [];
    for (let p = this.word(POOL_FREEBLOCK); p !== 0 && out.length <= this.capacity; p = u32[p >>> 2] as number) {
      out.push(p);
    }
    return out;
  }
}

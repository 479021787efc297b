/**
 * Pool: a read-only view of one carved pool of a BlockAllocator, reading its
 * header from simulated memory.
 *
 * @module
 */

import type { Profile } from "../profiles.js";
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

// Made by BlockAllocator and Arena only: the constructor takes the memory's words, not part of the public face.
let makePool: (u32: Uint32Array, profile: Profile, address: number) => Pool;

/** One pool (CPython's `struct pool_header` and its blocks). */
export class Pool {
  static {
    makePool = (u32, profile, address) => new Pool(u32, profile, address);
  }

  private constructor(
    private readonly u32: Uint32Array,
    private readonly profile: Profile,
    /** The pool's address (POOL_SIZE-aligned). */
    readonly address: number,
  ) {}

  private word(offset: number): number {
    return this.u32[(this.address + offset) >>> 2] as number;
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
    return blockSizeOf(this.sizeClass, this.profile.alignment);
  }

  /** `ref.count`: blocks in use. */
  get blocksInUse(): number {
    return this.word(POOL_COUNT);
  }

  /** Blocks the pool holds in all. */
  get capacity(): number {
    const p = this.profile;
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
  get state(): PoolState {
    if (this.blocksInUse === 0) return "empty";
    return this.word(POOL_FREEBLOCK) === 0 ? "full" : "used";
  }

  /** The free list, head first: the order in which its blocks will be handed out. */
  freeList(): number[] {
    const u32 = this.u32;
    const out: number[] = [];
    for (let p = this.word(POOL_FREEBLOCK); p !== 0 && out.length <= this.capacity; p = u32[p >>> 2] as number) {
      out.push(p);
    }
    return out;
  }
}

/** The view of the pool at `address` of memory `u32`, under `profile`. */
export function poolView(u32: Uint32Array, profile: Profile, address: number): Pool {
  return makePool(u32, profile, address);
}

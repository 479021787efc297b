/**
 * Arena: a read-only view of one arena object of a BlockAllocator, for tools
 * that walk and draw the heap. Views are made on demand and read the live
 * state; hold on to one only as long as the arena exists.
 *
 * @module
 */

import type { BlockAllocator } from "./block-allocator.js";
import { Pool } from "./pool.js";
import { POOL_NEXTPOOL } from "./pool-header.js";

/** One arena (CPython's `struct arena_object` and the memory it describes). */
export class Arena {
  /** @internal */
  constructor(
    private readonly owner: BlockAllocator,
    /** Index in the arena objects vector (the pools' `arenaindex`). */
    readonly index: number,
  ) {}

  private get s() {
    return this.owner.internals();
  }

  /** Base address (what the arena allocator returned). */
  get address(): number {
    return this.s.arenaAddress[this.index] as number;
  }

  /** Size in bytes (the profile's ARENA_SIZE). */
  get size(): number {
    return this.owner.profile.arenaSize;
  }

  /** The first pool-aligned address: above `address` when the arena is not pool-aligned. */
  get firstPool(): number {
    return this.owner.firstPool(this.index);
  }

  /** `pool_address`: where the next never-used pool will be carved. */
  get poolAddress(): number {
    return this.s.arenaPoolAddress[this.index] as number;
  }

  /** `nfreepools`: empty pools plus pools never carved. */
  get nFreePools(): number {
    return this.s.arenaNFreePools[this.index] as number;
  }

  /** `ntotalpools`: pools the arena can hold (one fewer when not pool-aligned). */
  get nTotalPools(): number {
    return this.s.arenaNTotalPools[this.index] as number;
  }

  /** Pools carved so far (in use, full or empty). */
  get nCarvedPools(): number {
    return (this.poolAddress - this.firstPool) / this.owner.profile.poolSize;
  }

  /** Addresses on `freepools`, head first (the next pool this arena will give out). */
  freePools(): number[] {
    const { u32, arenaFreePools } = this.s;
    const out: number[] = [];
    for (let p = arenaFreePools[this.index] as number; p !== 0; p = u32[(p + POOL_NEXTPOOL) >>> 2] as number)
      out.push(p);
    return out;
  }

  /** The carved pools in address order. */
  pools(): Pool[] {
    const out: Pool[] = [];
    const step = this.owner.profile.poolSize;
    for (let p = this.firstPool; p < this.poolAddress; p += step) out.push(new Pool(this.owner, p));
    return out;
  }
}

/**
 * Arena: a read-only view of one arena object of a BlockAllocator, for tools
 * that walk and draw the heap. Views are made on demand and read the live
 * state; hold on to one only as long as the arena exists.
 *
 * @module
 */

import type { Profile } from "../profiles.js";
import type { ArenaObjects } from "./arena-objects.js";
import { type Pool, poolView } from "./pool.js";
import { POOL_NEXTPOOL } from "./pool-header.js";

// Made by BlockAllocator only: the constructor takes its internals, which are not part of the public face.
let makeArena: (arenas: ArenaObjects, profile: Profile, index: number) => Arena;

/** One arena (CPython's `struct arena_object` and the memory it describes). */
export class Arena {
  static {
    makeArena = (arenas, profile, index) => new Arena(arenas, profile, index);
  }

  private constructor(
    private readonly owner: ArenaObjects,
    private readonly profile: Profile,
    /** Index in the arena objects vector (the pools' `arenaindex`). */
    readonly index: number,
  ) {}

  /** Base address (what the arena allocator returned). */
  get address(): number {
    return this.owner.arenaAddress[this.index] as number;
  }

  /** Size in bytes (the profile's ARENA_SIZE). */
  get size(): number {
    return this.profile.arenaSize;
  }

  /** The first pool-aligned address: above `address` when the arena is not pool-aligned. */
  get firstPool(): number {
    return this.owner.firstPool(this.index);
  }

  /** `pool_address`: where the next never-used pool will be carved. */
  get poolAddress(): number {
    return this.owner.arenaPoolAddress[this.index] as number;
  }

  /** `nfreepools`: empty pools plus pools never carved. */
  get nFreePools(): number {
    return this.owner.arenaNFreePools[this.index] as number;
  }

  /** `ntotalpools`: pools the arena can hold (one fewer when not pool-aligned). */
  get nTotalPools(): number {
    return this.owner.arenaNTotalPools[this.index] as number;
  }

  /** Pools carved so far (in use, full or empty). */
  get nCarvedPools(): number {
    return (this.poolAddress - this.firstPool) / this.profile.poolSize;
  }

  /** Addresses on `freepools`, head first (the next pool this arena will give out). */
  freePools(): number[] {
    const u32 = this.owner.u32;
    const out: number[] = [];
    for (let p = this.owner.arenaFreePools[this.index] as number; p !== 0; p = u32[(p + POOL_NEXTPOOL) >>> 2] as number)
      out.push(p);
    return out;
  }

  /** The carved pools in address order. */
  pools(): Pool[] {
    const out: Pool[] = [];
    const step = this.profile.poolSize;
    for (let p = this.firstPool; p < this.poolAddress; p += step) out.push(poolView(this.owner.u32, this.profile, p));
    return out;
  }
}

/** The view of arena `index` of `arenas`. */
export function arenaView(arenas: ArenaObjects, profile: Profile, index: number): Arena {
  return makeArena(arenas, profile, index);
}

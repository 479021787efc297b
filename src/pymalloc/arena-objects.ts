/**
 * pymalloc's arenas: CPython's vector of `struct arena_object` and the lists
 * threaded through it. `usable_arenas` holds the arenas with a free pool,
 * sorted by free pools ascending, so that pools come from the most used arena
 * and nearly empty ones can drain and be released; `nfp2lasta[k]` points at
 * the last arena in it with k free pools, so an arena moves to its new place
 * in O(1); `unused_arena_objects` chains the slots without an arena. Here
 * are `new_arena`, the arena half of `allocate_from_new_pool` (take a pool)
 * and of `insert_to_freepool` (give one back, release an empty arena), in
 * CPython's order.
 *
 * One typed array per field of `arena_object`, indexed by arena index: no
 * JavaScript object exists per arena. Pool headers stay in simulated memory.
 *
 * @module
 */

import { OutOfMemoryError } from "../errors.js";
import { reportError } from "../events.js";
import { grown } from "../internal/typed-arrays.js";
import type { Profile } from "../profiles.js";
import { liveBlockHolding, type RawAllocator } from "../raw/raw-allocator.js";
import { type ArenaAllocator, checkArenaAddress } from "./arena-allocator.js";
import type { ArenaMap } from "./arena-map.js";
import { DUMMY_SIZE_IDX, POOL_ARENAINDEX, POOL_NEXTPOOL, POOL_SZIDX } from "./pool-header.js";

/** The end of an arena list, and "no arena". */
export const NO_ARENA = -1;

/** The arena objects vector and the lists through it. */
export class ArenaObjects {
  readonly u32: Uint32Array;
  private readonly arenaSize: number;
  private readonly poolSize: number;
  private readonly maxPoolsInArena: number;
  private readonly initialArenaObjects: number;
  private readonly keepLastFreeArena: boolean;
  // Whether arenas go into the 3.10+ arena map (3.8 and 3.9 find them through the pools' arenaindex instead).
  private readonly radix: boolean;

  // The arena objects vector (`arenas`, `maxarenas`), one typed array per field.
  maxArenas = 0;
  /** address; 0 = slot unused. */
  arenaAddress = new Float64Array(0);
  /** pool_address: next pool to carve. */
  arenaPoolAddress = new Float64Array(0);
  /** nfreepools. */
  arenaNFreePools = new Uint32Array(0);
  /** ntotalpools. */
  arenaNTotalPools = new Uint32Array(0);
  /** freepools: head of the empty-pool list. */
  arenaFreePools = new Float64Array(0);
  /** nextarena. */
  arenaNext = new Int32Array(0);
  /** prevarena. */
  arenaPrev = new Int32Array(0);
  /** usable_arenas: head of the list of arenas with a free pool (ascending free pools). */
  usableArenas = NO_ARENA;
  /** unused_arena_objects: head of the list of slots without an arena. */
  unusedArenaObjects = NO_ARENA;
  /** nfp2lasta[k]: the last arena in usable_arenas with k free pools. */
  readonly nfp2lasta: Int32Array;
  /** narenas_currently_allocated. */
  nArenasCurrentlyAllocated = 0;
  /** ntimes_arena_allocated. */
  nTimesArenaAllocated = 0;
  /** narenas_highwater. */
  nArenasHighwater = 0;
  /** The arena the last takePool allocated, or NO_ARENA when it used one it had (reset by the caller). */
  newArenaIndex = NO_ARENA;
  /** The raw block that held the last arena a user's arena allocator gave (0: none yet), tried first next time. */
  arenaRegion = 0;

  /** The fields snapshots copy, and the ones they leave (settings, links to the other parts). */
  static readonly stateFields = [
    "maxArenas",
    "arenaAddress",
    "arenaPoolAddress",
    "arenaNFreePools",
    "arenaNTotalPools",
    "arenaFreePools",
    "arenaNext",
    "arenaPrev",
    "usableArenas",
    "unusedArenaObjects",
    "nfp2lasta",
    "nArenasCurrentlyAllocated",
    "nTimesArenaAllocated",
    "nArenasHighwater",
  ];
  static readonly fixedFields = [
    "u32",
    "arenaSize",
    "poolSize",
    "maxPoolsInArena",
    "initialArenaObjects",
    "keepLastFreeArena",
    "radix",
    "raw",
    "source",
    "map",
    "builtInSource",
    // What the last takePool did, and a cache: neither is the heap's state.
    "newArenaIndex",
    "arenaRegion",
  ];

  constructor(
    profile: Profile,
    private readonly raw: RawAllocator,
    /** Where arenas come from. */
    readonly source: ArenaAllocator,
    private readonly map: ArenaMap,
    /** Whether `source` is the model's own mmap, whose regions need no checking. */
    private readonly builtInSource: boolean,
  ) {
    this.u32 = raw.memory.u32;
    this.arenaSize = profile.arenaSize;
    this.poolSize = profile.poolSize;
    this.maxPoolsInArena = profile.arenaSize / profile.poolSize;
    this.initialArenaObjects = profile.initialArenaObjects;
    this.keepLastFreeArena = profile.keepLastFreeArena;
    this.radix = profile.arenaMap.kind === "radix-tree";
    this.nfp2lasta = new Int32Array(this.maxPoolsInArena + 1).fill(NO_ARENA);
  }

  /** The first pool-aligned address of arena `index`: past its start when it is not pool-aligned. */
  firstPool(index: number): number {
    const base = this.arenaAddress[index] as number;
    const excess = base % this.poolSize;
    return excess === 0 ? base : base + this.poolSize - excess;
  }

  /** address_in_range of 3.8 and 3.9: the would-be pool header's arenaindex names a live arena holding `address`. */
  holds(address: number): boolean {
    const bytes = this.raw.memory.byteLength;
    if (!(address >= 0 && address < bytes)) return false;
    const pool = address - (address % this.poolSize);
    if (pool + POOL_ARENAINDEX + 4 > bytes) return false;
    const index = this.u32[(pool + POOL_ARENAINDEX) >>> 2] as number;
    if (index >= this.maxArenas) return false;
    const base = this.arenaAddress[index] as number;
    return base !== 0 && address >= base && address - base < this.arenaSize;
  }

  /** The bases of the allocated arenas, in index order. */
  *liveArenas(): Generator<number> {
    for (let i = 0; i < this.maxArenas; i++) {
      const base = this.arenaAddress[i] as number;
      if (base !== 0) yield base;
    }
  }

  /**
   * The arena half of allocate_from_new_pool: a pool of the head of
   * usable_arenas (a new arena when none is usable), its cached empty pools
   * first, else the next virgin pool, carved with a dummy size class; the
   * arena keeps its place or leaves the list when it runs out of free pools.
   * Returns the pool, or 0 when no arena can be had; `newArenaIndex` is set when
   * this call allocated one.
   */
  takePool(): number {
    const u32 = this.u32;
    if (this.usableArenas === NO_ARENA) {
      const a = this.newArena();
      if (a === NO_ARENA) return 0;
      this.usableArenas = a;
      this.arenaNext[a] = NO_ARENA;
      this.arenaPrev[a] = NO_ARENA;
      this.nfp2lasta[this.arenaNFreePools[a] as number] = a;
    }
    const a = this.usableArenas;
    const nfp = this.arenaNFreePools[a] as number;
    // The head has the fewest free pools; after taking one it still does, so only the fingers move.
    if (this.nfp2lasta[nfp] === a) this.nfp2lasta[nfp] = NO_ARENA;
    if (nfp > 1) this.nfp2lasta[nfp - 1] = a;
    let pool = this.arenaFreePools[a] as number;
    if (pool !== 0) {
      this.arenaFreePools[a] = u32[(pool + POOL_NEXTPOOL) >>> 2] as number;
    } else {
      pool = this.arenaPoolAddress[a] as number;
      u32[(pool + POOL_ARENAINDEX) >>> 2] = a;
      u32[(pool + POOL_SZIDX) >>> 2] = DUMMY_SIZE_IDX;
      this.arenaPoolAddress[a] = pool + this.poolSize;
    }
    this.arenaNFreePools[a] = nfp - 1;
    if (nfp - 1 === 0) {
      const next = this.arenaNext[a] as number;
      this.usableArenas = next;
      if (next !== NO_ARENA) this.arenaPrev[next] = NO_ARENA;
    }
    return pool;
  }

  /**
   * new_arena: an arena object (growing the vector when none is unused) and
   * ARENA_SIZE bytes from the arena allocator; NO_ARENA when it has none.
   * The raw allocator's listener errors stay held (the caller releases them
   * once the allocation that needed the arena is complete).
   */
  private newArena(): number {
    // CPython grows the vector before it asks for the memory, and keeps it grown when there is none.
    const grewFrom = this.unusedArenaObjects === NO_ARENA ? this.maxArenas : -1;
    if (grewFrom >= 0) this.growArenaObjects();
    const a = this.unusedArenaObjects;
    this.raw.holdListenerErrors();
    let address: number;
    try {
      address = this.source.alloc(this.arenaSize);
      // The built-in source cannot hand out a bad region; a user's is checked before anything changes.
      if (address !== 0 && !this.builtInSource) {
        address = checkArenaAddress(
          address,
          this.arenaSize,
          this.raw.heapBytes,
          (at) => this.holder(at),
          this.liveArenas(),
        );
      }
    } catch (e) {
      this.raw.releaseListenerErrors(true);
      if (e instanceof OutOfMemoryError) return NO_ARENA;
      // An error, not "none to give": the call that needed the arena changes nothing, not even the vector.
      if (grewFrom >= 0) this.shrinkArenaObjects(grewFrom);
      throw e;
    }
    if (address === 0) {
      try {
        this.raw.releaseListenerErrors();
      } catch (e) {
        if (grewFrom >= 0) this.shrinkArenaObjects(grewFrom);
        throw e;
      }
      return NO_ARENA;
    }
    this.unusedArenaObjects = this.arenaNext[a] as number;
    if (this.radix) this.map.mark(address, true);
    this.arenaAddress[a] = address;
    this.nArenasCurrentlyAllocated++;
    this.nTimesArenaAllocated++;
    if (this.nArenasCurrentlyAllocated > this.nArenasHighwater) this.nArenasHighwater = this.nArenasCurrentlyAllocated;
    this.arenaFreePools[a] = 0;
    let nfp = this.maxPoolsInArena;
    let poolAddress = address;
    const excess = address % this.poolSize;
    if (excess !== 0) {
      nfp--;
      poolAddress += this.poolSize - excess;
    }
    this.arenaNFreePools[a] = nfp;
    this.arenaNTotalPools[a] = nfp;
    this.arenaPoolAddress[a] = poolAddress;
    this.newArenaIndex = a;
    return a;
  }

  /** Undoes growArenaObjects from `n` slots, for a call that fails: the vector as it was, none of it unused. */
  private shrinkArenaObjects(n: number): void {
    this.arenaAddress = this.arenaAddress.slice(0, n);
    this.arenaPoolAddress = this.arenaPoolAddress.slice(0, n);
    this.arenaFreePools = this.arenaFreePools.slice(0, n);
    this.arenaNFreePools = this.arenaNFreePools.slice(0, n);
    this.arenaNTotalPools = this.arenaNTotalPools.slice(0, n);
    this.arenaNext = this.arenaNext.slice(0, n);
    this.arenaPrev = this.arenaPrev.slice(0, n);
    this.unusedArenaObjects = NO_ARENA;
    this.maxArenas = n;
  }

  /**
   * The raw block holding a user's arena at `address` (its payload address; 0
   * for none). The block that held the last one is tried first (arenas
   * usually come from one reserved region); otherwise the heap is walked.
   */
  private holder(address: number): number {
    const r = this.arenaRegion;
    const size = this.arenaSize;
    // Only a checked raw allocator knows for sure that a block still starts there.
    if (
      r !== 0 &&
      this.raw.checked &&
      this.raw.isLive(r) &&
      address >= r &&
      address + size <= r + this.raw.usableSize(r)
    ) {
      return r;
    }
    const found = liveBlockHolding(this.raw, address, size);
    if (found !== 0) this.arenaRegion = found;
    return found;
  }

  /** Doubles the arena objects vector (16 at first); new slots are chained unused in ascending order. */
  private growArenaObjects(): void {
    const old = this.maxArenas;
    const n = old === 0 ? this.initialArenaObjects : old * 2;
    this.arenaAddress = grown(this.arenaAddress, n);
    this.arenaPoolAddress = grown(this.arenaPoolAddress, n);
    this.arenaFreePools = grown(this.arenaFreePools, n);
    this.arenaNFreePools = grown(this.arenaNFreePools, n);
    this.arenaNTotalPools = grown(this.arenaNTotalPools, n);
    const next = grown(this.arenaNext, n);
    const prev = grown(this.arenaPrev, n);
    for (let i = old; i < n; i++) {
      next[i] = i + 1 < n ? i + 1 : NO_ARENA;
      prev[i] = NO_ARENA;
    }
    this.arenaNext = next;
    this.arenaPrev = prev;
    this.unusedArenaObjects = old;
    this.maxArenas = n;
  }

  /**
   * The arena half of insert_to_freepool: the empty `pool` goes on its
   * arena's freepools; the arena is released when wholly free (3.9+: unless
   * it is the last usable one), goes to the head of usable_arenas when it had
   * no free pool, or moves right past the last arena with as many free pools
   * as it had. Returns the released arena's address, or -1.
   */
  givePool(pool: number): number {
    const u32 = this.u32;
    const a = u32[(pool + POOL_ARENAINDEX) >>> 2] as number;
    u32[(pool + POOL_NEXTPOOL) >>> 2] = this.arenaFreePools[a] as number;
    this.arenaFreePools[a] = pool;
    const nf = this.arenaNFreePools[a] as number;
    const lastnf = this.nfp2lasta[nf] as number;
    if (lastnf === a) {
      const p = this.arenaPrev[a] as number;
      this.nfp2lasta[nf] = p !== NO_ARENA && this.arenaNFreePools[p] === nf ? p : NO_ARENA;
    }
    const nfNew = nf + 1;
    this.arenaNFreePools[a] = nfNew;
    if (nfNew === this.arenaNTotalPools[a] && (!this.keepLastFreeArena || this.arenaNext[a] !== NO_ARENA)) {
      // Case 1: wholly free (and, since 3.9, not the last usable arena): release it.
      const prev = this.arenaPrev[a] as number;
      const next = this.arenaNext[a] as number;
      if (prev === NO_ARENA) this.usableArenas = next;
      else this.arenaNext[prev] = next;
      if (next !== NO_ARENA) this.arenaPrev[next] = prev;
      this.arenaNext[a] = this.unusedArenaObjects;
      this.unusedArenaObjects = a;
      const address = this.arenaAddress[a] as number;
      if (this.radix) this.map.mark(address, false);
      this.arenaAddress[a] = 0;
      this.nArenasCurrentlyAllocated--;
      try {
        this.source.free(address, this.arenaSize);
      } catch (e) {
        // A user's free that throws: the free that released the arena completes, then the error comes.
        reportError(this.raw, e);
      }
      return address;
    }
    if (nfNew === 1) {
      // Case 2: the arena was full, so not in usable_arenas: it goes to the head.
      this.arenaNext[a] = this.usableArenas;
      this.arenaPrev[a] = NO_ARENA;
      if (this.usableArenas !== NO_ARENA) this.arenaPrev[this.usableArenas] = a;
      this.usableArenas = a;
      if (this.nfp2lasta[1] === NO_ARENA) this.nfp2lasta[1] = a;
    } else {
      if (this.nfp2lasta[nfNew] === NO_ARENA) this.nfp2lasta[nfNew] = a;
      if (a !== lastnf) {
        // Case 3: move the arena just after the old last arena with nf free pools.
        const prev = this.arenaPrev[a] as number;
        const next = this.arenaNext[a] as number;
        if (prev !== NO_ARENA) this.arenaNext[prev] = next;
        else this.usableArenas = next;
        // Never the tail: arenas after lastnf have more free pools than this one had.
        this.arenaPrev[next] = prev;
        const after = this.arenaNext[lastnf] as number;
        this.arenaPrev[a] = lastnf;
        this.arenaNext[a] = after;
        if (after !== NO_ARENA) this.arenaPrev[after] = a;
        this.arenaNext[lastnf] = a;
      }
    }
    return -1;
  }

  /** Arena indices of usable_arenas, head first. */
  usableOrder(): number[] {
    const out: number[] = [];
    for (let a = this.usableArenas; a !== NO_ARENA; a = this.arenaNext[a] as number) out.push(a);
    return out;
  }
}

/**
 * BlockAllocator: CPython's small-object allocator (pymalloc, `obmalloc.c`),
 * step for step. Given the same calls and the same arena addresses it returns
 * the same block addresses as the profile's CPython.
 *
 * Where the state lives, and why:
 * - Pool headers and free-list links are written into simulated memory at the
 *   offsets CPython uses (see pool-header.ts), so the buffer holds what
 *   CPython's memory would.
 * - The arena objects vector, `usable_arenas`, `unused_arena_objects`,
 *   `nfp2lasta` and `usedpools` live outside the arenas in CPython (statics and
 *   a raw-allocated vector); here they are typed arrays indexed by arena index
 *   or size class. No JavaScript object exists per block, pool or arena.
 * - Checked mode adds a bitmap (one bit per 16 bytes of the buffer) of the
 *   blocks this allocator handed out, small and large, so bad frees become
 *   typed errors before anything changes.
 *
 * Arenas come from the RawAllocator's page-aligned regions (the model's mmap)
 * and are zeroed, as fresh mmap pages are. An arena whose address is not
 * pool-aligned loses its first partial pool, exactly as in CPython.
 *
 * @module
 */

import { checkAddress, checkSize, MAX_ADDRESS } from "../arguments.js";
import { DoubleFreeError, HeapCorruptionError, InvalidAddressError, OutOfMemoryError } from "../errors.js";
import { Emitter } from "../events.js";
import { defaultProfile, defineProfile, type Profile } from "../profiles.js";
import { clearGranule, growGranules, setGranule, testGranule } from "../raw/granule-bitmap.js";
import { RawAllocator } from "../raw/raw-allocator.js";
import { grown } from "../typed-arrays.js";
import { Arena } from "./arena.js";
import { Pool, type PoolState } from "./pool.js";
import {
  DUMMY_SIZE_IDX,
  POOL_ARENAINDEX,
  POOL_COUNT,
  POOL_FREEBLOCK,
  POOL_MAXNEXTOFFSET,
  POOL_NEXTOFFSET,
  POOL_NEXTPOOL,
  POOL_PREVPOOL,
  POOL_SZIDX,
  USEDPOOLS_HEAD,
} from "./pool-header.js";
import { blockSizeOf, blocksPerPool, reallocStaysInPlace, sizeClassCount } from "./size-class.js";
import { type ArenaMapCounts, formatMallocStats, type MallocStats } from "./stats.js";

/** Options for {@link BlockAllocator}. */
export interface BlockAllocatorOptions {
  /** Where arenas and large blocks come from. Default: a new RawAllocator with default options. */
  raw?: RawAllocator;
  /** The CPython profile (default {@link defaultProfile}). */
  profile?: Profile;
  /** Detect invalid, interior and double frees (default true). */
  checked?: boolean;
}

/** Events of {@link BlockAllocator}. */
export interface BlockEvents {
  /** A new arena was allocated (new_arena). */
  "arena:alloc": {
    /** The arena's base address, as the raw allocator returned it (CPython's `arenaobj->address`). */
    address: number;
    /** Its slot in the arena objects vector (the arenaindex its pools record). */
    index: number;
    /** CPython's ntotalpools: pools the arena can hold, one fewer when its address is not pool-aligned. */
    nTotalPools: number;
  };
  /** A wholly free arena was released to the raw allocator. */
  "arena:free": {
    /** The released arena's base address. */
    address: number;
    /** Its slot in the arena objects vector, now back on unused_arena_objects. */
    index: number;
  };
  /**
   * A pool was taken for a size class: freshly carved or re-initialised
   * (`reused: false`), or an emptied pool of the same class whose free list
   * is kept (`reused: true`).
   */
  "pool:init": {
    /** The pool's address (where its pool_header starts). */
    address: number;
    /** The size class it now serves (CPython's szidx). */
    sizeClass: number;
    /** Bytes per block in that class (INDEX2SIZE(szidx)). */
    blockSize: number;
    /** Index of the arena the pool belongs to (the header's arenaindex). */
    arenaIndex: number;
    /** True when the pool kept its header and free list from its last use by this class. */
    reused: boolean;
  };
  /** A pool's last free block was taken: it left its usedpools list. */
  "pool:full": {
    /** The pool's address. */
    address: number;
    /** Its size class (szidx). */
    sizeClass: number;
  };
  /** A pool's last block was freed: it went to its arena's freepools. */
  "pool:empty": {
    /** The pool's address. */
    address: number;
    /** The size class it served (szidx), kept in its header for reuse. */
    sizeClass: number;
    /** Index of the arena the pool belongs to (the header's arenaindex). */
    arenaIndex: number;
  };
  /** A small block was handed out. */
  "block:alloc": {
    /** The block's address. */
    address: number;
    /** Bytes requested (`nelem * elsize` for calloc), not the block size of the class. */
    size: number;
    /** The size class that served it (szidx). */
    sizeClass: number;
    /** Address of the pool the block was taken from. */
    pool: number;
  };
  /** A small block was freed. */
  "block:free": {
    /** The freed block's address. */
    address: number;
    /** Its pool's size class (szidx). */
    sizeClass: number;
    /** Address of the pool it went back to. */
    pool: number;
  };
  /** A request went to the raw allocator (0 bytes, above the threshold, or no arena could be had). */
  "large:alloc": {
    /** The raw block's address. */
    address: number;
    /** Bytes asked of the raw allocator: the request, or 1 for a 0-byte request. */
    size: number;
  };
  /** A raw-allocator block of this allocator was freed. */
  "large:free": {
    /** The freed raw block's address. */
    address: number;
  };
  /** realloc returned `address` for `oldAddress` (equal when the block stayed). */
  realloc: {
    /** The block now holding the data. */
    address: number;
    /** The block passed to realloc. */
    oldAddress: number;
    /** The new size requested, in bytes. */
    size: number;
  };
}

/** The quantities of CPython's stats report, as numbers, plus totals. */
export interface BlockStats extends MallocStats {
  /** `sys.getallocatedblocks()`: small blocks in use plus raw blocks this allocator handed out. */
  allocatedBlocks: number;
  /** Raw-allocator blocks this allocator handed out (raw_allocated_blocks). */
  rawAllocatedBlocks: number;
}

const NO_ARENA = -1;
// Events raised in the middle of an allocation wait until it is complete (bits of `pending`).
const PENDING_ARENA = 1;
const PENDING_POOL_INIT = 2;
const PENDING_POOL_REUSED = 4;
const PENDING_POOL_FULL = 8;
// The raw allocator's listener errors are held since a raw call of this operation (arena allocated or freed).
const PENDING_RAW = 16;

/**
 * CPython's pymalloc over simulated memory.
 *
 * @example
 * ```ts
 * import { BlockAllocator, RawAllocator, profiles } from "pymem";
 *
 * const blocks = new BlockAllocator({ raw: new RawAllocator(), profile: profiles["cpython-3.11"] });
 * const a = blocks.malloc(24); // class 1 (32-byte blocks)
 * const b = blocks.malloc(24);
 * console.log(b - a); // 32: the next block of the same pool
 * blocks.free(a);
 * console.log(blocks.malloc(20) === a); // true: LIFO free list
 * ```
 */
export class BlockAllocator extends Emitter<BlockEvents> {
  /** The allocator arenas and large blocks come from. */
  readonly raw: RawAllocator;
  /** The profile this allocator follows. */
  readonly profile: Profile;
  /** Whether bad frees are detected. */
  readonly checked: boolean;

  private readonly u32: Uint32Array;
  private readonly alignment: number;
  private readonly threshold: number;
  private readonly arenaSize: number;
  private readonly poolSize: number;
  private readonly poolOverhead: number;
  // poolSize - 1 and arenaSize - 1 (both powers of two), and log2(arenaSize).
  private readonly poolMask: number;
  private readonly arenaMask: number;
  private readonly arenaShift: number;
  // log2(alignment): the size class of n bytes is (n - 1) >>> alignShift.
  private readonly alignShift: number;
  private readonly maxPoolsInArena: number;
  private readonly nClasses: number;

  // usedpools: per size class, the first and last pool of its ring (0 = empty).
  private readonly usedFirst: Uint32Array;
  private readonly usedLast: Uint32Array;
  // Per size class: INDEX2SIZE and NUMBLOCKS, precomputed.
  private readonly classSize: Uint32Array;
  private readonly classBlocks: Uint32Array;

  // The arena objects vector (`arenas`, `maxarenas`), one typed array per field.
  private maxArenas = 0;
  private arenaAddress = new Float64Array(0); // address; 0 = slot unused
  private arenaPoolAddress = new Float64Array(0); // pool_address: next pool to carve
  private arenaNFreePools = new Uint32Array(0); // nfreepools
  private arenaNTotalPools = new Uint32Array(0); // ntotalpools
  private arenaFreePools = new Float64Array(0); // freepools: head of the empty-pool list
  private arenaNext = new Int32Array(0); // nextarena
  private arenaPrev = new Int32Array(0); // prevarena
  // usable_arenas (sorted by nfreepools ascending) and unused_arena_objects heads.
  private usableArenas = NO_ARENA;
  private unusedArenaObjects = NO_ARENA;
  // nfp2lasta[k]: the last arena in usable_arenas with k free pools.
  private readonly nfp2lasta: Int32Array;

  private nArenasCurrentlyAllocated = 0;
  private nTimesArenaAllocated = 0;
  private nArenasHighwater = 0;
  private rawAllocatedBlocks = 0;
  // The radix tree's leaves, flattened: per arena-sized slot, tail_hi and tail_lo (3.10+ profiles).
  private readonly radix: boolean;
  private mapHi = new Int32Array(0);
  private mapLo = new Int32Array(0);
  // Radix-tree arena map nodes ever created (never freed, as in CPython): keys of mid and bottom nodes.
  private readonly arenaMapMid = new Set<number>();
  private readonly arenaMapBot = new Set<number>();

  // Checked mode: blocks (small and large) this allocator handed out, one bit per 16 bytes.
  private live: Uint32Array = new Uint32Array(0);
  // Events to emit once the allocation in progress is complete, and what they are about.
  private pending = 0;
  private pendingArena = NO_ARENA;
  private pendingPool = 0;
  private pendingFullPool = 0;
  /** @internal Layers built on this one (RefCounters): a snapshot must take them along. */
  layersAbove = 0;

  constructor(options: BlockAllocatorOptions = {}) {
    super();
    if (typeof options !== "object" || options === null) {
      throw new TypeError(`options must be an object, got ${String(options)}`);
    }
    if (options.raw !== undefined && !(options.raw instanceof RawAllocator)) {
      throw new TypeError("options.raw must be a RawAllocator");
    }
    if (options.checked !== undefined && typeof options.checked !== "boolean") {
      throw new TypeError(`checked must be a boolean, got ${String(options.checked)}`);
    }
    const profile = options.profile === undefined ? defaultProfile : defineProfile(options.profile);
    this.profile = profile;
    this.raw = options.raw ?? new RawAllocator();
    this.checked = options.checked ?? true;
    this.u32 = this.raw.memory.u32;
    this.alignment = profile.alignment;
    this.threshold = profile.smallRequestThreshold;
    this.arenaSize = profile.arenaSize;
    this.poolSize = profile.poolSize;
    this.poolOverhead = profile.poolOverhead;
    this.poolMask = profile.poolSize - 1;
    this.arenaMask = profile.arenaSize - 1;
    this.arenaShift = Math.log2(profile.arenaSize);
    this.alignShift = Math.log2(profile.alignment);
    this.maxPoolsInArena = profile.arenaSize / profile.poolSize;
    this.nClasses = sizeClassCount(profile.smallRequestThreshold, profile.alignment);
    this.usedFirst = new Uint32Array(this.nClasses);
    this.usedLast = new Uint32Array(this.nClasses);
    this.classSize = new Uint32Array(this.nClasses);
    this.classBlocks = new Uint32Array(this.nClasses);
    for (let c = 0; c < this.nClasses; c++) {
      this.classSize[c] = blockSizeOf(c, this.alignment);
      this.classBlocks[c] = blocksPerPool(c, this.poolSize, this.poolOverhead, this.alignment);
    }
    this.nfp2lasta = new Int32Array(this.maxPoolsInArena + 1).fill(NO_ARENA);
    this.radix = profile.arenaMap.kind === "radix-tree";
    this.raw.layersAbove++;
  }

  // ---------------------------------------------------------------- public API

  /**
   * PyObject_Malloc: a block of at least `size` bytes. Requests of 1 to the
   * threshold come from pools; 0 bytes and larger requests go to the raw
   * allocator (0 as 1 byte, as PyMem_RawMalloc does).
   * @throws OutOfMemoryError when neither an arena nor a raw block can be had
   */
  malloc(size: number): number {
    // The common case first: a small request, valid by these comparisons alone. The rest is elsewhere, which
    // keeps this method small enough for the JIT to inline whole into a caller's loop.
    if (size > 0 && size <= this.threshold && Number.isInteger(size)) {
      const p = this.poolAlloc(size);
      if (p !== 0) return p;
    }
    return this.mallocOther(size);
  }

  /** A request pools do not serve (0 bytes, large, bad input), or a small one when no arena could be had. */
  private mallocOther(size: number): number {
    checkSize(size, "size");
    // With no arena to be had, CPython falls back to the raw allocator for small requests too.
    return this.largeMalloc(size === 0 ? 1 : size);
  }

  /** A raw block, the raw allocator's listener errors held until it is recorded. */
  private largeMalloc(size: number): number {
    return this.fallbackMalloc(size, false);
  }

  /** PyObject_Calloc: `nelem * elsize` zeroed bytes. */
  calloc(nelem: number, elsize: number): number {
    checkSize(nelem, "nelem", Number.MAX_SAFE_INTEGER);
    checkSize(elsize, "elsize", Number.MAX_SAFE_INTEGER);
    const nbytes = nelem * elsize;
    if (nbytes > MAX_ADDRESS) {
      throw new RangeError(`calloc(${nelem}, ${elsize}) overflows: ${nelem} * ${elsize} exceeds ${MAX_ADDRESS} bytes`);
    }
    this.holdListenerErrors();
    this.raw.holdListenerErrors();
    let p: number;
    try {
      p = this.callocChecked(nelem, elsize, nbytes);
    } catch (e) {
      this.raw.releaseListenerErrors(true);
      this.releaseListenerErrors(true);
      throw e;
    }
    this.releaseBoth();
    return p;
  }

  /** Releases the raw allocator's held listener errors and ours; the first error, if any, is thrown after both. */
  private releaseBoth(): void {
    try {
      this.raw.releaseListenerErrors();
    } catch (e) {
      this.releaseListenerErrors(true);
      throw e;
    }
    this.releaseListenerErrors();
  }

  private callocChecked(nelem: number, elsize: number, nbytes: number): number {
    if (nbytes !== 0 && nbytes <= this.threshold) {
      const p = this.poolAlloc(nbytes);
      if (p !== 0) {
        this.raw.memory.u8.fill(0, p, p + nbytes);
        return p;
      }
    }
    // PyMem_RawCalloc turns a zero count or size into calloc(1, 1).
    const zero = nelem === 0 || elsize === 0;
    return this.largeAlloc(zero ? 1 : nbytes, true);
  }

  /**
   * PyObject_Realloc. `realloc(0, n)` is malloc. A pool block stays put when the
   * new size fits its class and shrinks it by less than a quarter; otherwise it
   * moves (the new block is taken before the old is freed). A raw block stays raw.
   */
  realloc(address: number, size: number): number {
    checkAddress(address);
    checkSize(size, "size");
    if (address === 0) return this.malloc(size);
    if (this.owns(address)) this.checkLiveSmall(address);
    else this.checkLiveLarge(address);
    // A moving realloc allocates, copies, then frees: listeners' errors wait until all three are done.
    this.holdListenerErrors();
    this.raw.holdListenerErrors();
    let result: number;
    try {
      result = this.reallocChecked(address, size);
    } catch (e) {
      this.raw.releaseListenerErrors(true);
      this.releaseListenerErrors(true);
      throw e;
    }
    this.releaseBoth();
    return result;
  }

  private reallocChecked(address: number, size: number): number {
    let result: number;
    if (this.owns(address)) {
      const pool = address - (address % this.poolSize);
      const capacity = this.classSize[this.u32[(pool + POOL_SZIDX) >>> 2] as number] as number;
      if (reallocStaysInPlace(size, capacity)) {
        result = address;
      } else {
        const copy = Math.min(size, capacity);
        result = this.mallocChecked(size);
        this.raw.memory.u8.copyWithin(result, address, address + copy);
        this.poolFree(address, pool);
      }
    } else {
      // PyMem_RawRealloc bumps a zero size to 1.
      result = this.raw.realloc(address, size === 0 ? 1 : size);
      if (result !== address && this.checked) {
        clearGranule(this.live, address);
        this.markLive(result);
      }
    }
    if (this.hasListeners("realloc")) this.emit("realloc", { address: result, oldAddress: address, size });
    return result;
  }

  /**
   * PyObject_Free. `free(0)` does nothing.
   * @throws InvalidAddressError for an address that is not a live block of this allocator (checked mode)
   * @throws DoubleFreeError for a block already freed (checked mode)
   */
  free(address: number): void {
    // A valid address is a non-zero uint32; anything else takes the checking path.
    if (address >>> 0 === address && address !== 0 && this.owns(address)) {
      this.checkLiveSmall(address);
      this.poolFree(address, address - (address & this.poolMask));
      return;
    }
    this.freeOther(address);
  }

  /** free() of what is not a pool block: 0, a large block, or bad input. */
  private freeOther(address: number): void {
    checkAddress(address);
    if (address === 0) return;
    this.checkLiveLarge(address);
    this.raw.holdListenerErrors();
    try {
      this.largeFree(address);
    } catch (e) {
      this.raw.releaseListenerErrors(true);
      throw e;
    }
    this.raw.releaseListenerErrors();
  }

  /**
   * CPython's address_in_range: whether `address` lies inside one of this
   * allocator's live arenas, decided the way the profile's CPython decides it.
   * 3.10+ look the address up in the arena map (the radix tree's leaves: per
   * arena-sized slot of the address space, where an arena starting in it
   * begins and where one from the slot before ends); 3.8 and 3.9 read the
   * would-be pool header's arena index and check that arena's range.
   */
  owns(address: number): boolean {
    return this.radix ? this.inArenaMap(address) : this.inIndexedArena(address);
  }

  /** 3.10+: the arena map's leaves. The map covers the arenas' slots only, so memory's size plays no part. */
  private inArenaMap(address: number): boolean {
    // Addresses below 2^32 shift and mask as uint32.
    if (!(address >= 0 && address <= MAX_ADDRESS)) return false;
    const slot = address >>> this.arenaShift;
    if (slot >= this.mapHi.length) return false;
    const tail = (address & this.arenaMask) >>> 0;
    const hi = this.mapHi[slot] as number;
    return tail < (this.mapLo[slot] as number) || (hi !== 0 && tail >= hi);
  }

  /** 3.8 and 3.9: the would-be pool header's arena index, and that arena's range. */
  private inIndexedArena(address: number): boolean {
    if (!(address >= 0 && address < this.raw.memory.byteLength)) return false;
    const pool = address - (address % this.poolSize);
    if (pool + POOL_ARENAINDEX + 4 > this.raw.memory.byteLength) return false;
    const index = this.u32[(pool + POOL_ARENAINDEX) >>> 2] as number;
    if (index >= this.maxArenas) return false;
    const base = this.arenaAddress[index] as number;
    return base !== 0 && address >= base && address - base < this.arenaSize;
  }

  /** The usable size of a live block: its class's block size, or the raw block's usable size. */
  usableSize(address: number): number {
    checkAddress(address);
    if (this.owns(address)) {
      this.checkLiveSmall(address);
      const pool = address - (address % this.poolSize);
      return this.classSize[this.u32[(pool + POOL_SZIDX) >>> 2] as number] as number;
    }
    this.checkLiveLarge(address);
    return this.raw.usableSize(address);
  }

  /** Arenas currently allocated, in arena-index order. */
  arenas(): Arena[] {
    const out: Arena[] = [];
    for (let i = 0; i < this.maxArenas; i++) if (this.arenaAddress[i] !== 0) out.push(new Arena(this, i));
    return out;
  }

  /** The arena object at `index`, or undefined when that slot holds no arena. */
  arena(index: number): Arena | undefined {
    return Number.isInteger(index) && index >= 0 && index < this.maxArenas && this.arenaAddress[index] !== 0
      ? new Arena(this, index)
      : undefined;
  }

  /** The carved pool containing `address`, or undefined when the address is not in a carved pool of a live arena. */
  pool(address: number): Pool | undefined {
    if (!this.owns(address)) return undefined;
    const pool = address - (address % this.poolSize);
    const index = this.u32[(pool + POOL_ARENAINDEX) >>> 2] as number;
    if (pool < this.firstPool(index) || pool >= (this.arenaPoolAddress[index] as number)) return undefined;
    return new Pool(this, pool);
  }

  /** Arena indices of usable_arenas, head first (ascending free pools). */
  usableArenaOrder(): number[] {
    const out: number[] = [];
    for (let a = this.usableArenas; a !== NO_ARENA; a = this.arenaNext[a] as number) out.push(a);
    return out;
  }

  /** Pools of usedpools[sizeClass], first to last: the first is where the next block of that class comes from. */
  usedPools(sizeClass: number): number[] {
    checkSize(sizeClass, "sizeClass", this.nClasses - 1);
    const out: number[] = [];
    for (
      let p = this.usedFirst[sizeClass] as number;
      p !== USEDPOOLS_HEAD;
      p = this.u32[(p + POOL_NEXTPOOL) >>> 2] as number
    ) {
      out.push(p);
    }
    return out;
  }

  /** The numbers of CPython's stats report, plus allocated block counts. */
  stats(): BlockStats {
    const s = this.collectStats();
    let inUse = 0;
    for (const n of s.blocksInUse) inUse += n;
    return { ...s, allocatedBlocks: inUse + this.rawAllocatedBlocks, rawAllocatedBlocks: this.rawAllocatedBlocks };
  }

  /** `sys.getallocatedblocks()`. */
  allocatedBlocks(): number {
    return this.stats().allocatedBlocks;
  }

  /** The quantities of the stats report, as {@link stats} without the block counts, cheaper to take often. */
  mallocStats(): MallocStats {
    return this.collectStats();
  }

  /** The text `_PyObject_DebugMallocStats` prints for this state under this profile. */
  debugMallocStats(): string {
    return formatMallocStats(this.collectStats(), this.profile);
  }

  /**
   * Checks every invariant: arena order and nfp2lasta, free pool counts,
   * usedpools rings, pool counts against free lists and virgin blocks,
   * checked-mode bitmaps, and that the stats add up.
   * @throws HeapCorruptionError naming the first inconsistent address
   */
  validate(): void {
    validateBlockAllocator(this, this.internals());
  }

  // ------------------------------------------------------- views' accessors

  /** @internal Field access for Arena, Pool and validation. */
  internals() {
    return {
      u32: this.u32,
      maxArenas: this.maxArenas,
      arenaAddress: this.arenaAddress,
      arenaPoolAddress: this.arenaPoolAddress,
      arenaNFreePools: this.arenaNFreePools,
      arenaNTotalPools: this.arenaNTotalPools,
      arenaFreePools: this.arenaFreePools,
      arenaNext: this.arenaNext,
      arenaPrev: this.arenaPrev,
      usableArenas: this.usableArenas,
      unusedArenaObjects: this.unusedArenaObjects,
      nfp2lasta: this.nfp2lasta,
      usedFirst: this.usedFirst,
      usedLast: this.usedLast,
      classSize: this.classSize,
      classBlocks: this.classBlocks,
      live: this.live,
      nArenasCurrentlyAllocated: this.nArenasCurrentlyAllocated,
      poolSize: this.poolSize,
      arenaSize: this.arenaSize,
      poolOverhead: this.poolOverhead,
      nClasses: this.nClasses,
      maxPoolsInArena: this.maxPoolsInArena,
    };
  }

  /**
   * @internal pymalloc_alloc alone, for the debug hooks: a pool block of
   * `size` (1 to the threshold) bytes, or 0 when no pool can serve it (no
   * arena to be had), which CPython then hands to the (hooked) raw domain.
   */
  poolMalloc(size: number): number {
    return this.poolAlloc(size);
  }

  /** @internal The raw domain's block for what pymalloc does not serve, counted in raw_allocated_blocks. */
  fallbackMalloc(size: number, zeroed: boolean): number {
    this.raw.holdListenerErrors();
    let p: number;
    try {
      p = this.largeAlloc(size, zeroed);
    } catch (e) {
      this.raw.releaseListenerErrors(true);
      throw e;
    }
    this.raw.releaseListenerErrors();
    return p;
  }

  /** @internal The first pool-aligned address of arena `index`. */
  firstPool(index: number): number {
    const base = this.arenaAddress[index] as number;
    const excess = base % this.poolSize;
    return excess === 0 ? base : base + this.poolSize - excess;
  }

  /** @internal A pool's state from its header. */
  poolState(pool: number): PoolState {
    const count = this.u32[(pool + POOL_COUNT) >>> 2] as number;
    if (count === 0) return "empty";
    return (this.u32[(pool + POOL_FREEBLOCK) >>> 2] as number) === 0 ? "full" : "used";
  }

  /** @internal Whether the checked-mode bitmap marks `address` live. */
  isMarkedLive(address: number): boolean {
    return testGranule(this.live, address);
  }

  // ---------------------------------------------------------------- internals

  private mallocChecked(size: number): number {
    if (size !== 0 && size <= this.threshold) {
      const p = this.poolAlloc(size);
      if (p !== 0) return p;
    }
    return this.largeAlloc(size === 0 ? 1 : size, false);
  }

  /** A raw block for a request pymalloc does not serve; counted in raw_allocated_blocks. */
  private largeAlloc(size: number, zeroed: boolean): number {
    const p = zeroed ? this.raw.calloc(size, 1) : this.raw.malloc(size);
    this.rawAllocatedBlocks++;
    if (this.checked) this.markLive(p);
    if (this.hasListeners("large:alloc")) this.emit("large:alloc", { address: p, size });
    return p;
  }

  private largeFree(address: number): void {
    this.raw.free(address);
    this.rawAllocatedBlocks--;
    if (this.checked) clearGranule(this.live, address);
    if (this.hasListeners("large:free")) this.emit("large:free", { address });
  }

  /** pymalloc_alloc: a block from the first used pool of the class, else from a new pool; 0 when no arena can be had. */
  private poolAlloc(nbytes: number): number {
    const u32 = this.u32;
    const c = (nbytes - 1) >>> this.alignShift;
    const pool = this.usedFirst[c] as number;
    let bp: number;
    if (pool !== 0) {
      const hi = pool >>> 2;
      u32[hi] = (u32[hi] as number) + 1;
      bp = u32[hi + 2] as number;
      const next = u32[bp >>> 2] as number;
      u32[hi + 2] = next;
      if (next === 0) this.poolExtend(pool, c);
    } else {
      bp = this.allocateFromNewPool(c);
      if (bp === 0) return 0;
    }
    if (this.checked) this.markLive(bp);
    if (this.pending !== 0) return this.finishAlloc(bp, nbytes, c);
    // Rare work lives in other methods: a small hot path is one the JIT inlines into its callers.
    if (this.hasListeners("block:alloc")) this.emitAlloc(bp, nbytes, c);
    return bp;
  }

  private emitAlloc(bp: number, nbytes: number, c: number): void {
    this.emit("block:alloc", { address: bp, size: nbytes, sizeClass: c, pool: bp - (bp % this.poolSize) });
  }

  /** The end of an allocation that set up an arena or a pool, or filled one: its events, then held raw errors. */
  private finishAlloc(bp: number, nbytes: number, c: number): number {
    const pending = this.pending;
    this.pending = 0;
    try {
      this.emitSetup(pending, c);
      if (this.hasListeners("block:alloc")) {
        this.emit("block:alloc", { address: bp, size: nbytes, sizeClass: c, pool: bp - (bp % this.poolSize) });
      }
      if (pending & PENDING_POOL_FULL) this.emit("pool:full", { address: this.pendingFullPool, sizeClass: c });
    } catch (e) {
      if (pending & PENDING_RAW) this.raw.releaseListenerErrors(true);
      throw e;
    }
    if (pending & PENDING_RAW) this.raw.releaseListenerErrors();
    return bp;
  }

  /** Emits the arena and pool events of the allocation that just completed, in the order they happened. */
  private emitSetup(pending: number, c: number): void {
    if (pending & PENDING_ARENA) {
      const index = this.pendingArena;
      this.emit("arena:alloc", {
        address: this.arenaAddress[index] as number,
        index,
        nTotalPools: this.arenaNTotalPools[index] as number,
      });
    }
    if (pending & PENDING_POOL_INIT) {
      const pool = this.pendingPool;
      this.emit("pool:init", {
        address: pool,
        sizeClass: c,
        blockSize: this.classSize[c] as number,
        arenaIndex: this.u32[(pool + POOL_ARENAINDEX) >>> 2] as number,
        reused: (pending & PENDING_POOL_REUSED) !== 0,
      });
    }
  }

  /** pymalloc_pool_extend: carve one virgin block, or unlink the pool as full. */
  private poolExtend(pool: number, c: number): void {
    const u32 = this.u32;
    const hi = pool >>> 2;
    const nextOffset = u32[hi + POOL_NEXTOFFSET / 4] as number;
    if (nextOffset <= (u32[hi + POOL_MAXNEXTOFFSET / 4] as number)) {
      const block = pool + nextOffset;
      u32[hi + 2] = block;
      u32[hi + POOL_NEXTOFFSET / 4] = nextOffset + (this.classSize[c] as number);
      u32[block >>> 2] = 0;
      u32[(block >>> 2) + 1] = 0;
      return;
    }
    // Full: leave the usedpools ring (its header fields keep their stale links, as in CPython).
    this.unlinkUsed(pool, c);
    if (this.hasListeners("pool:full")) {
      this.pending |= PENDING_POOL_FULL;
      this.pendingFullPool = pool;
    }
  }

  private unlinkUsed(pool: number, c: number): void {
    const u32 = this.u32;
    const next = u32[(pool + POOL_NEXTPOOL) >>> 2] as number;
    const prev = u32[(pool + POOL_PREVPOOL) >>> 2] as number;
    if (next !== USEDPOOLS_HEAD) u32[(next + POOL_PREVPOOL) >>> 2] = prev;
    else this.usedLast[c] = prev;
    if (prev !== USEDPOOLS_HEAD) u32[(prev + POOL_NEXTPOOL) >>> 2] = next;
    else this.usedFirst[c] = next;
  }

  /** allocate_from_new_pool: take a pool from the head of usable_arenas (cached empty pools first), initialise it. */
  private allocateFromNewPool(c: number): number {
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
    // The class's ring is empty: the pool becomes its only member.
    const hi = pool >>> 2;
    u32[hi + POOL_NEXTPOOL / 4] = USEDPOOLS_HEAD;
    u32[hi + POOL_PREVPOOL / 4] = USEDPOOLS_HEAD;
    this.usedFirst[c] = pool;
    this.usedLast[c] = pool;
    u32[hi] = 1;
    let bp: number;
    if ((u32[hi + POOL_SZIDX / 4] as number) === c) {
      // An emptied pool reused for its old class: header and free list are intact.
      // An empty pool's free list holds at least two blocks (a pool carves two when initialised), so no extend here.
      bp = u32[hi + 2] as number;
      u32[hi + 2] = u32[bp >>> 2] as number;
      if (this.hasListeners("pool:init")) {
        this.pending |= PENDING_POOL_INIT | PENDING_POOL_REUSED;
        this.pendingPool = pool;
      }
      return bp;
    }
    const size = this.classSize[c] as number;
    u32[hi + POOL_SZIDX / 4] = c;
    bp = pool + this.poolOverhead;
    u32[hi + POOL_NEXTOFFSET / 4] = this.poolOverhead + 2 * size;
    u32[hi + POOL_MAXNEXTOFFSET / 4] = this.poolSize - size;
    const free = bp + size;
    u32[hi + 2] = free;
    u32[free >>> 2] = 0;
    u32[(free >>> 2) + 1] = 0;
    if (this.hasListeners("pool:init")) {
      this.pending |= PENDING_POOL_INIT;
      this.pendingPool = pool;
    }
    return bp;
  }

  /** new_arena: an arena object (growing the vector when none is unused) and ARENA_SIZE bytes; NO_ARENA on failure. */
  private newArena(): number {
    if (this.unusedArenaObjects === NO_ARENA) this.growArenaObjects();
    const a = this.unusedArenaObjects;
    let address: number;
    // The raw allocator's listeners wait until the allocation is complete (finishAlloc releases them).
    this.raw.holdListenerErrors();
    try {
      address = this.raw.allocAligned(this.arenaSize, this.profile.arenaAlignment);
    } catch (e) {
      this.raw.releaseListenerErrors(true);
      if (e instanceof OutOfMemoryError) return NO_ARENA;
      throw e;
    }
    this.pending |= PENDING_RAW;
    this.unusedArenaObjects = this.arenaNext[a] as number;
    // Fresh mmap pages are zero; a region the raw heap reuses may not be (and one it never used already is).
    if (!this.raw.lastBlockClean) this.raw.memory.u8.fill(0, address, address + this.arenaSize);
    this.markArenaMap(address, true);
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
    if (this.hasListeners("arena:alloc")) {
      this.pending |= PENDING_ARENA;
      this.pendingArena = a;
    }
    return a;
  }

  /** Doubles the arena objects vector (16 at first); new slots are chained unused in ascending order. */
  private growArenaObjects(): void {
    const old = this.maxArenas;
    const n = old === 0 ? this.profile.initialArenaObjects : old * 2;
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

  /** pymalloc_free for a block known to be live in `pool`. */
  private poolFree(p: number, pool: number): void {
    const u32 = this.u32;
    const hi = pool >>> 2;
    const c = u32[hi + POOL_SZIDX / 4] as number;
    const lastFree = u32[hi + 2] as number;
    u32[p >>> 2] = lastFree;
    u32[(p >>> 2) + 1] = 0;
    u32[hi + 2] = p;
    const count = (u32[hi] as number) - 1;
    u32[hi] = count;
    if (this.checked) clearGranule(this.live, p);
    if (lastFree === 0) {
      this.poolRefilled(p, pool, c, count);
    } else if (count === 0) {
      this.poolEmptied(p, pool, c);
    } else if (this.hasListeners("block:free")) {
      this.emitFree(p, c, pool);
    }
  }

  private emitFree(p: number, c: number, pool: number): void {
    this.emit("block:free", { address: p, sizeClass: c, pool });
  }

  /** The pool of the block just freed was full: back to the front of its class's ring. */
  private poolRefilled(p: number, pool: number, c: number, count: number): void {
    const u32 = this.u32;
    const hi = pool >>> 2;
    const first = this.usedFirst[c] as number;
    u32[hi + POOL_NEXTPOOL / 4] = first;
    u32[hi + POOL_PREVPOOL / 4] = USEDPOOLS_HEAD;
    if (first !== USEDPOOLS_HEAD) u32[(first + POOL_PREVPOOL) >>> 2] = pool;
    else this.usedLast[c] = pool;
    this.usedFirst[c] = pool;
    if (this.hasListeners("block:free")) this.emit("block:free", { address: p, sizeClass: c, pool });
    // A pool of one block goes from full to empty at once; CPython leaves it in its class's ring.
    if (count === 0 && this.hasListeners("pool:empty")) {
      const a = u32[(pool + POOL_ARENAINDEX) >>> 2] as number;
      this.emit("pool:empty", { address: pool, sizeClass: c, arenaIndex: a });
    }
  }

  /** The pool of the block just freed is empty: it goes to its arena, which may be released to the raw allocator. */
  private poolEmptied(p: number, pool: number, c: number): void {
    // The raw allocator's listeners wait until the free is complete.
    this.raw.holdListenerErrors();
    try {
      const released = this.insertToFreepool(pool, c);
      if (this.hasListeners("block:free")) this.emit("block:free", { address: p, sizeClass: c, pool });
      const a = this.u32[(pool + POOL_ARENAINDEX) >>> 2] as number;
      if (this.hasListeners("pool:empty")) this.emit("pool:empty", { address: pool, sizeClass: c, arenaIndex: a });
      if (released >= 0 && this.hasListeners("arena:free")) this.emit("arena:free", { address: released, index: a });
    } catch (e) {
      this.raw.releaseListenerErrors(true);
      throw e;
    }
    this.raw.releaseListenerErrors();
  }

  /**
   * insert_to_freepool: an empty pool goes to its arena; the arena moves in
   * usable_arenas or is released. Returns the released arena's address, or -1.
   */
  private insertToFreepool(pool: number, c: number): number {
    const u32 = this.u32;
    this.unlinkUsed(pool, c);
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
    const keep = this.profile.keepLastFreeArena;
    if (nfNew === this.arenaNTotalPools[a] && (!keep || this.arenaNext[a] !== NO_ARENA)) {
      // Case 1: wholly free (and, since 3.9, not the last usable arena): release it.
      const prev = this.arenaPrev[a] as number;
      const next = this.arenaNext[a] as number;
      if (prev === NO_ARENA) this.usableArenas = next;
      else this.arenaNext[prev] = next;
      if (next !== NO_ARENA) this.arenaPrev[next] = prev;
      this.arenaNext[a] = this.unusedArenaObjects;
      this.unusedArenaObjects = a;
      const address = this.arenaAddress[a] as number;
      this.markArenaMap(address, false);
      this.arenaAddress[a] = 0;
      this.nArenasCurrentlyAllocated--;
      this.raw.free(address);
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
        if (next !== NO_ARENA) this.arenaPrev[next] = prev;
        const after = this.arenaNext[lastnf] as number;
        this.arenaPrev[a] = lastnf;
        this.arenaNext[a] = after;
        if (after !== NO_ARENA) this.arenaPrev[after] = a;
        this.arenaNext[lastnf] = a;
      }
    }
    return -1;
  }

  /**
   * arena_map_mark_used: records the arena at `base` in the leaves (`tail_hi`
   * of its own slot, `tail_lo` of the next when it is not arena-aligned) and
   * counts the radix nodes CPython creates on the way; nodes are never freed.
   */
  private markArenaMap(base: number, used: boolean): void {
    const map = this.profile.arenaMap;
    if (map.kind !== "radix-tree") return;
    const slot = Math.floor(base / this.arenaSize);
    const tail = base % this.arenaSize;
    if (slot + 2 > this.mapHi.length) {
      const n = Math.max(slot + 2, this.mapHi.length * 2, 16);
      this.mapHi = grown(this.mapHi, n);
      this.mapLo = grown(this.mapLo, n);
    }
    // An arena-aligned arena fills its slot: tail_hi -1 makes every offset >= it.
    this.mapHi[slot] = used ? (tail === 0 ? -1 : tail) : 0;
    if (tail !== 0) this.mapLo[slot + 1] = used ? tail : 0;
    if (!used) return;
    this.touchArenaMapNodes(base);
    if (tail !== 0) this.touchArenaMapNodes(base + this.arenaSize);
  }

  private touchArenaMapNodes(address: number): void {
    const map = this.profile.arenaMap;
    if (map.kind !== "radix-tree") return;
    const arenaBits = Math.log2(this.arenaSize);
    this.arenaMapMid.add(Math.floor(address / 2 ** (arenaBits + map.botBits + map.midBits)));
    this.arenaMapBot.add(Math.floor(address / 2 ** (arenaBits + map.botBits)));
  }

  private collectStats(): MallocStats {
    const u32 = this.u32;
    const n = this.nClasses;
    const numPools = new Array<number>(n).fill(0);
    const blocksInUse = new Array<number>(n).fill(0);
    const availBlocks = new Array<number>(n).fill(0);
    let narenas = 0;
    let freePools = 0;
    let arenaAlignment = 0;
    for (let i = 0; i < this.maxArenas; i++) {
      const base = this.arenaAddress[i] as number;
      if (base === 0) continue;
      narenas++;
      freePools += this.arenaNFreePools[i] as number;
      const first = this.firstPool(i);
      if (first !== base) arenaAlignment += this.poolSize;
      const end = this.arenaPoolAddress[i] as number;
      for (let pool = first; pool < end; pool += this.poolSize) {
        const count = u32[pool >>> 2] as number;
        if (count === 0) continue;
        const c = u32[(pool + POOL_SZIDX) >>> 2] as number;
        numPools[c] = (numPools[c] as number) + 1;
        blocksInUse[c] = (blocksInUse[c] as number) + count;
        availBlocks[c] = (availBlocks[c] as number) + (this.classBlocks[c] as number) - count;
      }
    }
    const arenaMap: ArenaMapCounts | undefined =
      this.profile.arenaMap.kind === "radix-tree"
        ? { midNodes: this.arenaMapMid.size, botNodes: this.arenaMapBot.size }
        : undefined;
    return {
      numPools,
      blocksInUse,
      availBlocks,
      arenasAllocatedTotal: this.nTimesArenaAllocated,
      arenasHighwater: this.nArenasHighwater,
      arenasAllocatedCurrent: narenas,
      unusedPools: freePools,
      arenaAlignmentBytes: arenaAlignment,
      arenaMap,
    };
  }

  private markLive(address: number): void {
    // One word covers 512 bytes; grow only when the address is past the map.
    if (address >>> 9 >= this.live.length) this.growLive(address);
    setGranule(this.live, address);
  }

  private growLive(address: number): void {
    this.live = growGranules(this.live, Math.max(address + 16, this.raw.memory.byteLength));
  }

  /** Checked mode: `address` must be a live block of a pool of this allocator. */
  private checkLiveSmall(address: number): void {
    if (this.checked && !testGranule(this.live, address)) this.badSmallFree(address);
  }

  /** Why freeing `address` (inside an arena, not a live block) is wrong. */
  private badSmallFree(address: number): never {
    const pool = address - (address % this.poolSize);
    const index = this.u32[(pool + POOL_ARENAINDEX) >>> 2] as number;
    const carved = pool >= this.firstPool(index) && pool < (this.arenaPoolAddress[index] as number);
    const c = this.u32[(pool + POOL_SZIDX) >>> 2] as number;
    if (carved && c < this.nClasses) {
      const offset = address - pool - this.poolOverhead;
      const handedOut = address - pool < (this.u32[(pool + POOL_NEXTOFFSET) >>> 2] as number);
      if (offset >= 0 && offset % (this.classSize[c] as number) === 0 && handedOut) throw new DoubleFreeError(address);
    }
    throw new InvalidAddressError(address, "inside an arena but not the start of a live block");
  }

  /** Checked mode: `address` must be a raw block this allocator handed out. */
  private checkLiveLarge(address: number): void {
    if (!this.checked || testGranule(this.live, address)) return;
    if (this.raw.isLive(address)) {
      throw new InvalidAddressError(address, "a raw-allocator block that this BlockAllocator did not hand out");
    }
    // Let the raw allocator say whether it is a double free or a foreign address.
    this.raw.usableSize(address);
    throw new InvalidAddressError(address, "not a block of this BlockAllocator");
  }
}

type Internals = ReturnType<BlockAllocator["internals"]>;

/** The invariants of validate(), kept apart from the allocator's hot code. */
function validateBlockAllocator(b: BlockAllocator, s: Internals): void {
  const { u32, poolSize, poolOverhead } = s;
  const fail = (address: number, detail: string): never => {
    throw new HeapCorruptionError(address, detail);
  };
  // unused_arena_objects: exactly the slots without an arena.
  let unused = 0;
  const seen = new Uint8Array(s.maxArenas);
  for (let a = s.unusedArenaObjects; a !== NO_ARENA; a = s.arenaNext[a] as number) {
    if (a < 0 || a >= s.maxArenas || seen[a]) fail(0, `unused_arena_objects is broken at arena index ${a}`);
    seen[a] = 1;
    if (s.arenaAddress[a] !== 0)
      fail(s.arenaAddress[a] as number, `arena ${a} is allocated but on unused_arena_objects`);
    unused++;
  }
  let allocated = 0;
  for (let a = 0; a < s.maxArenas; a++) if (s.arenaAddress[a] !== 0) allocated++;
  if (allocated + unused !== s.maxArenas)
    fail(0, `${s.maxArenas - allocated - unused} empty arena slots are on no list`);
  if (allocated !== s.nArenasCurrentlyAllocated) {
    fail(0, `narenas_currently_allocated is ${s.nArenasCurrentlyAllocated}, ${allocated} arenas are allocated`);
  }
  // usable_arenas: linked both ways, sorted by nfreepools, exactly the arenas with a free pool.
  const inUsable = new Uint8Array(s.maxArenas);
  let prev = NO_ARENA;
  let prevNf = 0;
  const lastWith = new Int32Array(s.maxPoolsInArena + 1).fill(NO_ARENA);
  for (let a = s.usableArenas; a !== NO_ARENA; a = s.arenaNext[a] as number) {
    if (a < 0 || a >= s.maxArenas || inUsable[a]) fail(0, `usable_arenas is broken at arena index ${a}`);
    inUsable[a] = 1;
    const base = s.arenaAddress[a] as number;
    if (base === 0) fail(0, `usable_arenas holds unallocated arena slot ${a}`);
    if (s.arenaPrev[a] !== prev) fail(base, `arena ${a}'s prevarena is ${s.arenaPrev[a]}, expected ${prev}`);
    const nf = s.arenaNFreePools[a] as number;
    if (nf === 0) fail(base, `arena ${a} has no free pool but is in usable_arenas`);
    if (nf < prevNf)
      fail(base, `usable_arenas is not sorted: arena ${a} has ${nf} free pools after one with ${prevNf}`);
    lastWith[nf] = a;
    prev = a;
    prevNf = nf;
  }
  for (let k = 0; k <= s.maxPoolsInArena; k++) {
    if ((s.nfp2lasta[k] as number) !== (lastWith[k] as number)) {
      fail(
        0,
        `nfp2lasta[${k}] is arena ${s.nfp2lasta[k]}, the last usable arena with ${k} free pools is ${lastWith[k]}`,
      );
    }
  }
  // Every pool of every arena.
  const ringMember = new Set<number>();
  for (let c = 0; c < s.nClasses; c++) {
    let prevPool = USEDPOOLS_HEAD;
    let n = 0;
    for (let p = s.usedFirst[c] as number; p !== USEDPOOLS_HEAD; p = u32[(p + POOL_NEXTPOOL) >>> 2] as number) {
      if (ringMember.has(p) || ++n > 1 << 24) fail(p, `usedpools[${c}] ring is broken`);
      ringMember.add(p);
      if ((u32[(p + POOL_PREVPOOL) >>> 2] as number) !== prevPool)
        fail(p, `pool's prevpool in usedpools[${c}] is wrong`);
      if ((u32[(p + POOL_SZIDX) >>> 2] as number) !== c)
        fail(p, `pool of class ${u32[(p + POOL_SZIDX) >>> 2]} in usedpools[${c}]`);
      prevPool = p;
    }
    if ((s.usedLast[c] as number) !== prevPool) fail(prevPool, `usedpools[${c}]'s last pool is wrong`);
  }
  let ringPools = 0;
  let liveBlocks = 0;
  for (let a = 0; a < s.maxArenas; a++) {
    const base = s.arenaAddress[a] as number;
    if (base === 0) continue;
    const first = b.firstPool(a);
    const total = s.arenaNTotalPools[a] as number;
    const expectTotal = first === base ? s.maxPoolsInArena : s.maxPoolsInArena - 1;
    if (total !== expectTotal) fail(base, `arena ${a} has ntotalpools ${total}, expected ${expectTotal}`);
    const poolAddress = s.arenaPoolAddress[a] as number;
    const carved = (poolAddress - first) / poolSize;
    if (!Number.isInteger(carved) || carved < 0 || carved > total)
      fail(base, `arena ${a}'s pool_address is out of range`);
    if (!(s.arenaNFreePools[a] === 0 || inUsable[a]))
      fail(base, `arena ${a} has free pools but is not in usable_arenas`);
    let onFreeList = 0;
    const freeSet = new Set<number>();
    for (let p = s.arenaFreePools[a] as number; p !== 0; p = u32[(p + POOL_NEXTPOOL) >>> 2] as number) {
      if (p < first || p >= poolAddress || (p - first) % poolSize !== 0 || freeSet.has(p)) {
        fail(p, `arena ${a}'s freepools list is broken`);
      }
      freeSet.add(p);
      onFreeList++;
    }
    if (onFreeList + total - carved !== s.arenaNFreePools[a]) {
      fail(
        base,
        `arena ${a}: nfreepools ${s.arenaNFreePools[a]} != ${onFreeList} empty + ${total - carved} virgin pools`,
      );
    }
    for (let pool = first; pool < poolAddress; pool += poolSize) {
      if ((u32[(pool + POOL_ARENAINDEX) >>> 2] as number) !== a) fail(pool, `pool's arenaindex is not ${a}`);
      const count = u32[pool >>> 2] as number;
      if (count === 0) {
        if (!freeSet.has(pool)) fail(pool, "empty pool is not on its arena's freepools");
        continue;
      }
      if (freeSet.has(pool)) fail(pool, `pool with ${count} blocks in use is on freepools`);
      const c = u32[(pool + POOL_SZIDX) >>> 2] as number;
      if (c >= s.nClasses) fail(pool, `pool in use has size class ${c}`);
      const size = s.classSize[c] as number;
      const capacity = s.classBlocks[c] as number;
      const nextOffset = u32[(pool + POOL_NEXTOFFSET) >>> 2] as number;
      if ((u32[(pool + POOL_MAXNEXTOFFSET) >>> 2] as number) !== poolSize - size) fail(pool, "maxnextoffset is wrong");
      const virgin = nextOffset <= poolSize - size ? Math.floor((poolSize - size - nextOffset) / size) + 1 : 0;
      let freeBlocks = 0;
      const visited = new Set<number>();
      for (let p = u32[(pool + POOL_FREEBLOCK) >>> 2] as number; p !== 0; p = u32[p >>> 2] as number) {
        const off = p - pool - poolOverhead;
        if (off < 0 || off % size !== 0 || p - pool >= nextOffset || visited.has(p)) {
          fail(p, `free list of pool 0x${pool.toString(16)} holds a bad block`);
        }
        if (u32[(p >>> 2) + 1] !== 0) fail(p, "free-list link's high word is not 0");
        if (s.live.length > 0 && b.isMarkedLive(p)) fail(p, "block on a free list is marked live");
        visited.add(p);
        freeBlocks++;
      }
      if (count + freeBlocks + virgin !== capacity) {
        fail(pool, `pool count ${count} + ${freeBlocks} free + ${virgin} virgin != ${capacity} blocks`);
      }
      const inRing = ringMember.has(pool);
      if (freeBlocks === 0 && inRing) fail(pool, "full pool is in a usedpools ring");
      if (freeBlocks > 0 && !inRing) fail(pool, "pool with free blocks is not in its usedpools ring");
      if (inRing) ringPools++;
      liveBlocks += count;
      if (b.checked) {
        let marked = 0;
        for (let off = poolOverhead; off + size <= poolSize; off += size) if (b.isMarkedLive(pool + off)) marked++;
        if (marked !== count) fail(pool, `pool count ${count} but ${marked} blocks are marked live`);
      }
    }
  }
  if (ringPools !== ringMember.size) fail(0, "a usedpools ring holds a pool that is not carved in a live arena");
  const st = b.stats();
  const total =
    st.arenasAllocatedCurrent * s.arenaSize -
    st.unusedPools * poolSize -
    st.arenaAlignmentBytes -
    st.numPools.reduce(
      (x, n, c) =>
        x +
        n *
          ((s.classBlocks[c] as number) * (s.classSize[c] as number) +
            poolOverhead +
            ((poolSize - poolOverhead) % (s.classSize[c] as number))),
      0,
    );
  if (total !== 0) fail(0, `stats do not add up to the arenas' bytes (off by ${total})`);
  if (st.allocatedBlocks - st.rawAllocatedBlocks !== liveBlocks) fail(0, "allocated block count is wrong");
}

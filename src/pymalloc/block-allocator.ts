/**
 * BlockAllocator: CPython's small-object allocator (pymalloc, `obmalloc.c`),
 * step for step. Given the same calls and the same arena addresses it returns
 * the same block addresses as the profile's CPython.
 *
 * This file is pymalloc's hot path (pymalloc_alloc and pymalloc_free, the
 * usedpools rings, the pools' free lists and virgin blocks) and the
 * allocator's public face. The hot methods stay small and keep their state in
 * this class's own fields, one load away: the profile showed V8 inlining them
 * whole into a replay's loop, and every extra hop or call costing there. The
 * rest lives beside it: the arenas and their lists (arena-objects.ts), where
 * arenas come from (arena-allocator.ts), CPython 3.10's arena map
 * (arena-map.ts), checked mode's diagnosis (checked-mode.ts), the stats
 * report (stats.ts) and validation (validate.ts).
 *
 * Where the state lives, and why:
 * - Pool headers and free-list links are written into simulated memory at the
 *   offsets CPython uses (see pool-header.ts), so the buffer holds what
 *   CPython's memory would.
 * - `usedpools` and the arena objects live outside the arenas in CPython
 *   (statics and a raw-allocated vector); here they are typed arrays indexed
 *   by size class or arena index. No JavaScript object exists per block, pool
 *   or arena.
 * - Checked mode adds a bitmap (one bit per 16 bytes of the buffer) of the
 *   blocks this allocator handed out, small and large, so bad frees become
 *   typed errors before anything changes.
 *
 * @module
 */

import { Emitter } from "../events.js";
import { checkAddress, checkSize, MAX_ADDRESS } from "../internal/arguments.js";
import { clearGranule, growGranules, setGranule, testGranule } from "../internal/granule-bitmap.js";
import { declareLayer, fields, layerOf } from "../internal/layer-state.js";
import { copyBytes, fillBytes } from "../internal/words.js";
import type { ObjectAllocator } from "../object-allocator.js";
import { defaultProfile, defineProfile, type Profile } from "../profiles.js";
import { RawAllocator } from "../raw/raw-allocator.js";
import { type Arena, arenaView } from "./arena.js";
import { type ArenaAllocator, rawArenas } from "./arena-allocator.js";
import { ArenaMap } from "./arena-map.js";
import { ArenaObjects, NO_ARENA } from "./arena-objects.js";
import type { BlockAllocatorOptions } from "./block-allocator-options.js";
import type { BlockEvents } from "./block-events.js";
import { badLargeFree, badSmallFree, type PoolGeometry } from "./checked-mode.js";
import { type Pool, poolView } from "./pool.js";
import {
  POOL_ARENAINDEX,
  POOL_MAXNEXTOFFSET,
  POOL_NEXTOFFSET,
  POOL_NEXTPOOL,
  POOL_PREVPOOL,
  POOL_SZIDX,
  USEDPOOLS_HEAD,
} from "./pool-header.js";
import { blockSizeOf, blocksPerPool, reallocStaysInPlace, sizeClassCount } from "./size-class.js";
import { type BlockStats, collectMallocStats, formatMallocStats, type MallocStats, withBlockCounts } from "./stats.js";
import { validatePymalloc } from "./validate.js";

export type { BlockAllocatorOptions } from "./block-allocator-options.js";

// Events raised in the middle of an allocation wait until it is complete (bits of `pending`).
const PENDING_ARENA = 1;
const PENDING_POOL_INIT = 2;
const PENDING_POOL_REUSED = 4;
const PENDING_POOL_FULL = 8;
// The raw allocator's listener errors are held since a raw call of this operation (arena allocated or freed).
const PENDING_RAW = 16;

// The debug hooks' way into pymalloc's two halves, without making them part of the class's public face.
let poolMallocOf: (blocks: BlockAllocator, size: number) => number;
let fallbackMallocOf: (blocks: BlockAllocator, size: number, zeroed: boolean) => number;

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
export class BlockAllocator extends Emitter<BlockEvents> implements ObjectAllocator {
  static {
    poolMallocOf = (blocks, size) => blocks.poolAlloc(size);
    fallbackMallocOf = (blocks, size, zeroed) => blocks.fallbackMalloc(size, zeroed);
  }

  /** The allocator arenas (by default) and large blocks come from. */
  readonly raw: RawAllocator;
  /** The profile this allocator follows. */
  readonly profile: Profile;
  /** Whether bad frees are detected. */
  readonly checked: boolean;
  /** The arena allocator given in the options; undefined when arenas come from `raw` (the default). */
  readonly arenaAllocator: ArenaAllocator | undefined;

  private readonly u32: Uint32Array;
  private readonly alignment: number;
  private readonly threshold: number;
  private readonly poolSize: number;
  private readonly poolOverhead: number;
  // poolSize - 1 (a power of two).
  private readonly poolMask: number;
  // log2(alignment): the size class of n bytes is (n - 1) >>> alignShift.
  private readonly alignShift: number;
  private readonly nClasses: number;
  // Whether address_in_range asks the arena map (3.10+) or the would-be pool header's arenaindex (3.8, 3.9).
  private readonly radix: boolean;

  // usedpools: per size class, the first and last pool of its ring (0 = empty).
  private readonly usedFirst: Uint32Array;
  private readonly usedLast: Uint32Array;
  // Per size class: INDEX2SIZE and NUMBLOCKS, precomputed.
  private readonly classSize: Uint32Array;
  private readonly classBlocks: Uint32Array;
  // The arena objects and their lists; the 3.10+ arena map.
  private readonly arenaObjects: ArenaObjects;
  private readonly map: ArenaMap;
  // raw_allocated_blocks.
  private rawAllocatedBlocks = 0;

  // Checked mode: blocks (small and large) this allocator handed out, one bit per 16 bytes.
  private live: Uint32Array = new Uint32Array(0);
  // Events to emit once the allocation in progress is complete, and what they are about.
  private pending = 0;
  private pendingArena = NO_ARENA;
  private pendingPool = 0;
  private pendingFullPool = 0;

  constructor(options: BlockAllocatorOptions = {}) {
    super();
    if (typeof options !== "object" || options === null) {
      throw new TypeError(`options must be an object, got ${String(options)}`);
    }
    if (options.raw !== undefined && layerOf(options.raw)?.kind !== "raw") {
      throw new TypeError("options.raw must be a RawAllocator");
    }
    if (options.checked !== undefined && typeof options.checked !== "boolean") {
      throw new TypeError(`checked must be a boolean, got ${String(options.checked)}`);
    }
    const source = options.arenaAllocator;
    if (
      source !== undefined &&
      (typeof source !== "object" ||
        source === null ||
        typeof source.alloc !== "function" ||
        typeof source.free !== "function")
    ) {
      throw new TypeError(
        "options.arenaAllocator must be an object with alloc(size) and free(address, size) functions",
      );
    }
    const profile = options.profile === undefined ? defaultProfile : defineProfile(options.profile);
    this.profile = profile;
    this.raw = options.raw ?? new RawAllocator();
    this.checked = options.checked ?? true;
    this.arenaAllocator = source;
    this.u32 = this.raw.memory.u32;
    this.alignment = profile.alignment;
    this.threshold = profile.smallRequestThreshold;
    this.poolSize = profile.poolSize;
    this.poolOverhead = profile.poolOverhead;
    this.poolMask = profile.poolSize - 1;
    this.alignShift = Math.log2(profile.alignment);
    this.nClasses = sizeClassCount(profile.smallRequestThreshold, profile.alignment);
    this.usedFirst = new Uint32Array(this.nClasses);
    this.usedLast = new Uint32Array(this.nClasses);
    this.classSize = new Uint32Array(this.nClasses);
    this.classBlocks = new Uint32Array(this.nClasses);
    for (let c = 0; c < this.nClasses; c++) {
      this.classSize[c] = blockSizeOf(c, this.alignment);
      this.classBlocks[c] = blocksPerPool(c, this.poolSize, this.poolOverhead, this.alignment);
    }
    this.radix = profile.arenaMap.kind === "radix-tree";
    this.map = new ArenaMap(profile);
    this.arenaObjects = new ArenaObjects(
      profile,
      this.raw,
      source ?? rawArenas(this.raw, profile.arenaAlignment),
      this.map,
      source === undefined,
    );
    declareLayer(this, {
      kind: "blocks",
      below: this.raw,
      parts: [
        {
          owner: this,
          state: fields("usedFirst usedLast rawAllocatedBlocks live"),
          // pending*: events of an allocation in progress, always settled between calls.
          fixed: fields(`raw profile checked arenaAllocator u32 alignment threshold poolSize poolOverhead
            poolMask alignShift nClasses radix classSize classBlocks arenaObjects map
            pending pendingArena pendingPool pendingFullPool`),
        },
        { owner: this.arenaObjects, state: ArenaObjects.stateFields, fixed: ArenaObjects.fixedFields },
        { owner: this.map, state: ArenaMap.stateFields, fixed: ArenaMap.fixedFields },
      ],
    });
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
    return this.fallbackMalloc(size === 0 ? 1 : size, false);
  }

  /** PyObject_Calloc: `nelem * elsize` zeroed bytes. */
  calloc(nelem: number, elsize: number): number {
    const nbytes = nelem * elsize;
    // The common case (a list's items) is valid by its first tests: a product pools serve, of whole counts.
    if (!(nbytes > 0 && nbytes <= this.threshold && Number.isInteger(nelem) && Number.isInteger(elsize) && nelem > 0)) {
      checkSize(nelem, "nelem", Number.MAX_SAFE_INTEGER);
      checkSize(elsize, "elsize", Number.MAX_SAFE_INTEGER);
      if (nbytes > MAX_ADDRESS) {
        throw new RangeError(
          `calloc(${nelem}, ${elsize}) overflows: ${nelem} * ${elsize} exceeds ${MAX_ADDRESS} bytes`,
        );
      }
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
        fillBytes(this.raw.memory, p, p + nbytes, 0);
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
    // The common case first (a list's items growing): a pool block and a small new size, valid by these tests.
    const small = address >>> 0 === address && address !== 0 && size > 0 && size <= this.threshold;
    if (small && Number.isInteger(size) && this.owns(address)) {
      this.checkLiveSmall(address);
      return this.reallocHeld(address, size);
    }
    checkAddress(address);
    checkSize(size, "size");
    if (address === 0) return this.malloc(size);
    if (this.owns(address)) this.checkLiveSmall(address);
    else this.checkLiveLarge(address);
    return this.reallocHeld(address, size);
  }

  /** A moving realloc allocates, copies, then frees: listeners' errors wait until all three are done. */
  private reallocHeld(address: number, size: number): number {
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
      const pool = address - (address & this.poolMask);
      const capacity = this.classSize[this.u32[(pool + POOL_SZIDX) >>> 2] as number] as number;
      if (reallocStaysInPlace(size, capacity)) {
        result = address;
      } else {
        result = this.mallocChecked(size);
        copyBytes(this.raw.memory, result, address, Math.min(size, capacity));
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
    return this.radix ? this.map.contains(address) : this.arenaObjects.holds(address);
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

  /**
   * Whether `address` is a live block this allocator handed out. Exact in
   * checked mode. Unchecked, a small block is live when its pool handed it
   * out and it is not on the pool's free list, and a large one when the raw
   * allocator holds a block there.
   */
  isLive(address: number): boolean {
    if (this.checked) return testGranule(this.live, address);
    if (!this.owns(address)) return this.raw.isLive(address);
    const pool = this.pool(address);
    if (pool === undefined || pool.blocksInUse === 0) return false;
    const offset = address - pool.address - this.poolOverhead;
    if (offset < 0 || offset % pool.blockSize !== 0 || address - pool.address >= pool.nextOffset) return false;
    return !pool.freeList().includes(address);
  }

  /** Arenas currently allocated, in arena-index order. */
  arenas(): Arena[] {
    const a = this.arenaObjects;
    const out: Arena[] = [];
    for (let i = 0; i < a.maxArenas; i++) if (a.arenaAddress[i] !== 0) out.push(arenaView(a, this.profile, i));
    return out;
  }

  /** The arena object at `index`, or undefined when that slot holds no arena. */
  arena(index: number): Arena | undefined {
    const a = this.arenaObjects;
    return Number.isInteger(index) && index >= 0 && index < a.maxArenas && a.arenaAddress[index] !== 0
      ? arenaView(a, this.profile, index)
      : undefined;
  }

  /** The carved pool containing `address`, or undefined when the address is not in a carved pool of a live arena. */
  pool(address: number): Pool | undefined {
    if (!this.owns(address)) return undefined;
    const pool = address - (address % this.poolSize);
    const index = this.u32[(pool + POOL_ARENAINDEX) >>> 2] as number;
    const a = this.arenaObjects;
    if (pool < a.firstPool(index) || pool >= (a.arenaPoolAddress[index] as number)) return undefined;
    return poolView(this.u32, this.profile, pool);
  }

  /** Arena indices of usable_arenas, head first (ascending free pools). */
  usableArenaOrder(): number[] {
    return this.arenaObjects.usableOrder();
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
    return withBlockCounts(this.mallocStats(), this.rawAllocatedBlocks);
  }

  /** `sys.getallocatedblocks()`. */
  allocatedBlocks(): number {
    return this.stats().allocatedBlocks;
  }

  /** The quantities of the stats report, as {@link stats} without the block counts, cheaper to take often. */
  mallocStats(): MallocStats {
    return collectMallocStats(
      this.arenaObjects,
      this.u32,
      this.classBlocks,
      this.poolSize,
      this.radix ? this.map.counts() : undefined,
    );
  }

  /** The text `_PyObject_DebugMallocStats` prints for this state under this profile. */
  debugMallocStats(): string {
    return formatMallocStats(this.mallocStats(), this.profile);
  }

  /**
   * Checks every invariant: arena order and nfp2lasta, free pool counts,
   * usedpools rings, pool counts against free lists and virgin blocks,
   * checked-mode bitmaps, and that the stats add up.
   * @throws HeapCorruptionError naming the first inconsistent address
   */
  validate(): void {
    validatePymalloc(this.arenaObjects, this.pools(), this.stats());
  }

  // ---------------------------------------------------------------- internals

  /** The raw domain's block for what pymalloc does not serve, counted in raw_allocated_blocks. */
  private fallbackMalloc(size: number, zeroed: boolean): number {
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
        address: this.arenaObjects.arenaAddress[index] as number,
        index,
        nTotalPools: this.arenaObjects.arenaNTotalPools[index] as number,
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

  /**
   * allocate_from_new_pool: a pool from the head of usable_arenas (a new arena
   * when none is usable), set up for class `c` as the only member of its
   * ring; its first block. 0 when no arena can be had.
   */
  private allocateFromNewPool(c: number): number {
    const u32 = this.u32;
    const arenas = this.arenaObjects;
    arenas.newArenaIndex = NO_ARENA;
    const pool = arenas.takePool();
    if (pool === 0) return 0;
    if (arenas.newArenaIndex !== NO_ARENA) {
      // The arena allocator's raw listener errors stay held until the allocation is complete (finishAlloc).
      this.pending |= PENDING_RAW;
      if (this.hasListeners("arena:alloc")) {
        this.pending |= PENDING_ARENA;
        this.pendingArena = arenas.newArenaIndex;
      }
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
    if (this.hasListeners("pool:usable")) this.emit("pool:usable", { address: pool, sizeClass: c });
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
      // insert_to_freepool: the pool leaves its class's ring for its arena's freepools.
      this.unlinkUsed(pool, c);
      const released = this.arenaObjects.givePool(pool);
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
    if (this.checked && !testGranule(this.live, address)) badSmallFree(address, this.arenaObjects, this.pools());
  }

  /** Checked mode: `address` must be a raw block this allocator handed out. */
  private checkLiveLarge(address: number): void {
    if (!this.checked || testGranule(this.live, address)) return;
    badLargeFree(address, this.raw);
  }

  /** What validation and checked mode's diagnosis read of the pools. */
  private pools(): PoolGeometry {
    const { u32, poolSize, poolOverhead, classSize, classBlocks, usedFirst, usedLast, checked, live } = this;
    return { u32, poolSize, poolOverhead, classSize, classBlocks, usedFirst, usedLast, checked, live };
  }
}

/**
 * pymalloc_alloc alone, for the debug hooks: a pool block of `size` (1 to the
 * threshold) bytes, or 0 when no pool can serve it (no arena to be had),
 * which CPython then hands to the (hooked) raw domain.
 */
export function pymallocAlloc(blocks: BlockAllocator, size: number): number {
  return poolMallocOf(blocks, size);
}

/** The raw domain's block for what pymalloc does not serve, counted in raw_allocated_blocks (the debug hooks' fallback). */
export function pymallocFallback(blocks: BlockAllocator, size: number, zeroed: boolean): number {
  return fallbackMallocOf(blocks, size, zeroed);
}

/** The allocator as pymalloc, if it is (the debug hooks nest its raw fallback; the heap map draws its pools). */
export function asPymalloc(allocator: unknown): BlockAllocator | undefined {
  return allocator instanceof BlockAllocator ? allocator : undefined;
}

/**
 * RawAllocator: the "system" beneath pymalloc. It owns the one ArrayBuffer
 * every layer shares (resizable and grown in place, or reserved whole), serves large requests (CPython's
 * `PyMem_RawMalloc`, i.e. libc malloc) and page-aligned regions for arenas
 * (the model's mmap).
 *
 * It is a two-level segregated fit allocator: O(1) malloc and free, immediate
 * coalescing, 16-byte alignment. Every block starts with a 16-byte header in
 * the buffer, so the bytes a teaching tool reads are the allocator's real state:
 *
 * ```
 *  block b (16-aligned)                            payload = b + 16
 *  +-------------------+-------------------+-------------------+-------------------+------
 *  | size | FREE bit   | previous block    | used: request     | used: 0           | ...
 *  | (u32, bytes incl. | in address order  | free: next free   | free: previous    |
 *  |  this header)     | (u32, 0 = first)  |   in its bin      |   free in its bin |
 *  +-------------------+-------------------+-------------------+-------------------+------
 * ```
 *
 * Address 0..15 is reserved so that 0 is never a block (NULL). The heap ends
 * with a 16-byte sentinel header of size 0 marked used, which stops coalescing
 * and becomes the start of the new free space when the buffer grows.
 *
 * Checked mode (the default) keeps two bitmaps outside the buffer, one bit per
 * 16 bytes: payloads that are live, and payloads that were freed and not handed
 * out since. They turn frees of foreign, interior or already-freed addresses
 * into typed errors before anything changes.
 *
 * @module
 */

import { DoubleFreeError, InvalidAddressError, OutOfMemoryError } from "../errors.js";
import { Emitter } from "../events.js";
import { checkAddress, checkPowerOfTwo, checkSize, MAX_ADDRESS } from "../internal/arguments.js";
import { clearGranule, granuleWords, growGranules, setGranule, testGranule } from "../internal/granule-bitmap.js";
import { declareLayer } from "../internal/layer-state.js";
import { Memory } from "./memory.js";
import {
  blockSizeFor,
  FIRST_BLOCK,
  FREE,
  floorGranule,
  MIN_BLOCK,
  RAW_HEADER,
  roundUp,
  sizeOfWord,
} from "./raw-block.js";
import { BIN_COUNT, binForRequest, binOfSize, FL_COUNT, ffs, GRANULE, SL_COUNT } from "./tlsf.js";
import { validateRawHeap } from "./validate-raw.js";

/** The buffer grows in multiples of this (the WebAssembly page size, a natural unit for ArrayBuffers). */
const GROW_UNIT = 65536;
/** Growth adds at least the current size up to this cap, so repeated growth is amortised O(1) without doubling huge heaps. */
const GROW_STEP_MAX = 64 * 1024 * 1024;

/** Options for {@link RawAllocator}. */
export interface RawAllocatorOptions {
  /** Initial buffer size in bytes (default 1 MiB). At least 64. */
  initialBytes?: number;
  /** The buffer never grows beyond this many bytes (default 2^31, at most 2^32). */
  maxBytes?: number;
  /** Detect invalid and double frees with side bitmaps (default true). `false` trades the checks for speed. */
  checked?: boolean;
  /**
   * Allocate all `maxBytes` up front as a plain ArrayBuffer instead of growing
   * a resizable one (default false). Pages are still handed out by the OS on
   * first touch, so this costs address space, not memory; but every typed-array
   * access gets faster on V8s that reach resizable buffers by a slow path
   * (Node 20: replay up to 1.2x, `collect()` 1.5x, docs/performance.md). The
   * heap's size ({@link RawAllocator.heapBytes}, `u8.length`) still grows as
   * without it; `buffer.byteLength` is `maxBytes`. Each reserved buffer counts
   * in full towards the JS engine's external memory, which makes creating one
   * cost a garbage collection: meant for a few long-lived heaps, such as a
   * replay's.
   */
  reserve?: boolean;
}

/** Events of {@link RawAllocator}. */
export interface RawEvents {
  /** A block was handed out by malloc, calloc, allocAligned or a moving realloc. */
  "raw:alloc": {
    /** The payload address returned to the caller. */
    address: number;
    /** Bytes requested (`nelem * elsize` for calloc). */
    size: number;
    /** Payload bytes the block really has, as {@link RawAllocator.usableSize} reports (malloc_usable_size). */
    usable: number;
  };
  /** A block was released by free or by a moving realloc. */
  "raw:free": {
    /** The payload address that was freed. */
    address: number;
    /** Payload bytes the block had. */
    usable: number;
  };
  /** realloc finished: `address` is the result, `oldAddress` the argument (equal when resized in place). */
  "raw:realloc": {
    /** The payload address now holding the data. */
    address: number;
    /** The address passed to realloc. */
    oldAddress: number;
    /** The new size requested, in bytes. */
    size: number;
    /** Payload bytes the resulting block has. */
    usable: number;
  };
  /** The buffer grew. */
  "raw:grow": {
    /** Where the heap ended before: the old buffer size, rounded down to a multiple of 16. */
    oldBytes: number;
    /** The buffer's new size in bytes. */
    newBytes: number;
  };
}

/** Numbers describing a {@link RawAllocator}'s heap at one moment. */
export interface RawStats {
  /** Live blocks (the same as {@link RawStats.liveBlocks}): what every {@link ObjectAllocator}'s stats count. */
  allocatedBlocks: number;
  /** Current buffer size. */
  heapBytes: number;
  /** The buffer's limit. */
  maxBytes: number;
  /** Live blocks. */
  liveBlocks: number;
  /** Bytes the live blocks' callers asked for. */
  requestedBytes: number;
  /** Bytes of the live blocks, headers included. */
  bytesInUse: number;
  /** Highest bytesInUse so far. */
  peakBytesInUse: number;
  /** Bytes in free blocks, headers included. */
  freeBytes: number;
  /** Free blocks. */
  freeBlocks: number;
  /** The largest free block, header included. */
  largestFreeBlock: number;
  /**
   * External fragmentation: `1 - largestFreeBlock / freeBytes`, 0 when all
   * free memory is one block (or there is none), near 1 when it is in crumbs.
   */
  fragmentation: number;
}

// Reads a private flag for pymalloc's arenas (and the tests), without making it part of the class's public face.
let readLastBlockClean: (raw: RawAllocator) => boolean;
let findHolder: (raw: RawAllocator, address: number, size: number) => number;
let exchangePeak: (raw: RawAllocator, peak: number) => number;

/**
 * Sets the high-water mark of `raw`'s bytes in use to `peak` and returns the
 * one it replaces: a replay measures its own peak with it, then puts the
 * lifetime one back.
 */
export function swapPeakBytes(raw: RawAllocator, peak: number): number {
  return exchangePeak(raw, peak);
}

/**
 * Whether the block the last malloc, calloc, allocAligned or moving realloc of
 * `raw` handed out lay wholly in memory no block had reached, so that its bytes
 * are zero, as fresh pages are.
 */
export function lastBlockClean(raw: RawAllocator): boolean {
  return readLastBlockClean(raw);
}

/**
 * The payload address of the live block of `raw` that holds all of
 * `[address, address + size)`, or 0 when none does. It walks the heap's
 * blocks: for checking the memory a user's arena allocator hands out.
 */
export function liveBlockHolding(raw: RawAllocator, address: number, size: number): number {
  return findHolder(raw, address, size);
}

/**
 * A general-purpose allocator over one ArrayBuffer that grows in place (or
 * is reserved whole up front: the `reserve` option). It is an
 * {@link ObjectAllocator} (objects can live in its blocks, as under
 * `PYTHONMALLOC=malloc`) and the bottom of every stack: its own
 * {@link RawAllocator.raw}.
 *
 * @example
 * ```ts
 * import { RawAllocator } from "pymem";
 *
 * const raw = new RawAllocator({ maxBytes: 1 << 24 });
 * const p = raw.malloc(100);
 * raw.u8.fill(7, p, p + 100);
 * const q = raw.realloc(p, 4000); // contents kept
 * raw.free(q);
 * raw.validate();
 * ```
 */
export class RawAllocator extends Emitter<RawEvents> {
  static {
    readLastBlockClean = (raw) => raw.lastBlockClean;
    findHolder = (raw, address, size) => raw.holderOf(address, size);
    exchangePeak = (raw, peak) => {
      const old = raw.peakInUse;
      raw.peakInUse = peak;
      return old;
    };
  }

  /** Word access and views over the buffer. */
  readonly memory: Memory;
  /** Whether invalid and double frees are detected. */
  readonly checked: boolean;

  private readonly u32: Uint32Array;
  // Head block of each bin (0 = empty): TLSF's two-level free lists.
  private readonly heads = new Uint32Array(BIN_COUNT);
  // Bit per first-level class with a non-empty bin, and per class a bit per non-empty bin.
  private flBitmap = 0;
  private readonly slBitmaps = new Uint32Array(FL_COUNT);
  // Address of the sentinel header that ends the heap.
  private sentinel = 0;
  // Every byte from here up to the sentinel is zero, free blocks' headers aside: no block handed out has
  // reached it (each one moves it past its own end and the next header, which coalescing may bury).
  private dirtyEnd = FIRST_BLOCK;
  // Whether the block the last malloc, calloc, allocAligned or moving realloc handed out lay wholly in memory
  // no block had reached: its payload is zero, as fresh pages are (calloc and pymalloc's arenas skip zeroing it).
  private lastBlockClean = false;
  // Checked mode: one bit per 16 bytes of buffer, indexed by payload address / 16.
  private live: Uint32Array;
  private freed: Uint32Array;

  private nLive = 0;
  private nFree = 0;
  private requested = 0;
  private inUse = 0;
  private peakInUse = 0;

  constructor(options: RawAllocatorOptions = {}) {
    super();
    if (typeof options !== "object" || options === null) {
      throw new TypeError(`options must be an object, got ${String(options)}`);
    }
    const maxBytes = checkSize(options.maxBytes ?? 2 ** 31, "maxBytes", 2 ** 32);
    if (maxBytes < 64) throw new RangeError(`maxBytes must be at least 64, got ${maxBytes}`);
    const initialBytes = checkSize(options.initialBytes ?? Math.min(1 << 20, maxBytes), "initialBytes", maxBytes);
    if (initialBytes < 64) throw new RangeError(`initialBytes must be at least 64, got ${initialBytes}`);
    if (options.checked !== undefined && typeof options.checked !== "boolean") {
      throw new TypeError(`checked must be a boolean, got ${String(options.checked)}`);
    }
    this.checked = options.checked ?? true;
    const reserve = options.reserve ?? false;
    if (typeof reserve !== "boolean") throw new TypeError(`reserve must be a boolean, got ${String(reserve)}`);
    this.memory = new Memory(initialBytes, maxBytes, reserve);
    this.u32 = this.memory.u32;
    const end = floorGranule(initialBytes);
    this.live = new Uint32Array(this.checked ? granuleWords(end) : 0);
    this.freed = new Uint32Array(this.checked ? granuleWords(end) : 0);
    // One free block from FIRST_BLOCK to the sentinel.
    this.sentinel = end - RAW_HEADER;
    this.writeHeader(this.sentinel, 0, 0);
    const size = this.sentinel - FIRST_BLOCK;
    this.writeHeader(FIRST_BLOCK, size | FREE, 0);
    this.u32[(this.sentinel >>> 2) + 1] = FIRST_BLOCK;
    this.insertFree(FIRST_BLOCK, size);
    declareLayer(this, {
      kind: "raw",
      below: undefined,
      parts: [
        {
          owner: this,
          state: [
            "heads",
            "flBitmap",
            "slBitmaps",
            "sentinel",
            "dirtyEnd",
            "lastBlockClean",
            "live",
            "freed",
            "nLive",
            "nFree",
            "requested",
            "inUse",
            "peakInUse",
          ],
          fixed: ["memory", "checked", "u32"],
        },
      ],
    });
  }

  /** The raw allocator under this one: itself (it is the bottom of every stack, and owns the memory). */
  get raw(): RawAllocator {
    return this;
  }

  /** The heap as bytes, `heapBytes` long; read it again after growth (or keep it: without `reserve` it is length-tracking). */
  get u8(): Uint8Array {
    return this.memory.heap;
  }

  /** Whether the buffer was reserved whole up front (the `reserve` option). */
  get reserved(): boolean {
    return this.memory.reserved;
  }

  /** The buffer every layer shares (`maxBytes` long when reserved). */
  get buffer(): ArrayBuffer {
    return this.memory.buffer;
  }

  /** The buffer's current size in bytes. */
  get heapBytes(): number {
    return this.memory.byteLength;
  }

  /** The most bytes the buffer may grow to. */
  get maxBytes(): number {
    return this.memory.maxByteLength;
  }

  /** Bytes of the live blocks, headers included (as {@link RawStats.bytesInUse}, without building the stats). */
  get bytesInUse(): number {
    return this.inUse;
  }

  /**
   * Allocates at least `size` bytes, 16-byte aligned, and returns the address.
   * `malloc(0)` returns a unique block, as `PyMem_RawMalloc(0)` does.
   * @throws RangeError / TypeError for a size that is not a non-negative integer
   * @throws OutOfMemoryError when the buffer cannot grow enough
   */
  malloc(size: number): number {
    checkSize(size, "size");
    const block = this.allocBlock(blockSizeFor(size), size);
    if (this.hasListeners("raw:alloc")) {
      this.emit("raw:alloc", { address: block + RAW_HEADER, size, usable: this.blockSize(block) - RAW_HEADER });
    }
    return block + RAW_HEADER;
  }

  /**
   * Allocates `nelem * elsize` zeroed bytes.
   * @throws RangeError when the product overflows the address space, naming both factors
   */
  calloc(nelem: number, elsize: number): number {
    checkSize(nelem, "nelem", Number.MAX_SAFE_INTEGER);
    checkSize(elsize, "elsize", Number.MAX_SAFE_INTEGER);
    const size = nelem * elsize;
    if (size > MAX_ADDRESS) {
      throw new RangeError(`calloc(${nelem}, ${elsize}) overflows: ${nelem} * ${elsize} exceeds ${MAX_ADDRESS} bytes`);
    }
    const block = this.allocBlock(blockSizeFor(size), size);
    const address = block + RAW_HEADER;
    if (!this.lastBlockClean) this.memory.u8.fill(0, address, address + size);
    if (this.hasListeners("raw:alloc")) {
      this.emit("raw:alloc", { address, size, usable: this.blockSize(block) - RAW_HEADER });
    }
    return address;
  }

  /**
   * Allocates `size` bytes whose address is a multiple of `alignment` (a power
   * of two, at least 16): the model's mmap, used for arenas. Free it with
   * {@link RawAllocator.free}.
   */
  allocAligned(size: number, alignment = 4096): number {
    checkSize(size, "size");
    checkPowerOfTwo(alignment, "alignment", GRANULE, 2 ** 31);
    const need = blockSizeFor(size);
    // Room to slide the payload up to the boundary, leaving a gap big enough to be a free block itself.
    const search = need + alignment + MIN_BLOCK;
    if (search > MAX_ADDRESS)
      throw new OutOfMemoryError(size, this.maxBytes, `aligned allocation (alignment ${alignment})`);
    let block = this.findFree(search);
    if (block === 0) block = this.growFor(search, size);
    const blockSize = this.blockSize(block);
    this.removeFree(block, blockSize);
    const payload = block + RAW_HEADER;
    let aligned = alignUp(payload, alignment);
    if (aligned !== payload && aligned - payload < MIN_BLOCK) aligned = alignUp(payload + MIN_BLOCK, alignment);
    let start = block;
    let startSize = blockSize;
    if (aligned !== payload) {
      // Return the leading gap to the free lists; its left neighbour is used (free blocks never touch).
      const gap = aligned - payload;
      start = block + gap;
      startSize = blockSize - gap;
      this.writeHeader(block, gap | FREE, this.prevPhys(block));
      this.writeHeader(start, startSize, block);
      this.setPrevPhys(start + startSize, start);
      this.insertFree(block, gap);
    }
    this.u32[start >>> 2] = startSize;
    this.carve(start, startSize, need);
    this.markAllocated(start, size);
    const clean = this.lastBlockClean;
    const address = start + RAW_HEADER;
    if (this.hasListeners("raw:alloc")) {
      this.emit("raw:alloc", { address, size, usable: this.blockSize(start) - RAW_HEADER });
    }
    // A listener that allocated must not leave its block's answer behind for this one's caller.
    this.lastBlockClean = clean;
    return address;
  }

  /**
   * Resizes the block at `address` to `size` bytes, keeping its contents up to
   * the smaller size. In place when shrinking or when the next block is free
   * and big enough; otherwise the new block is allocated before the old one is
   * released, so a failure leaves the old block intact. `realloc(0, n)` is malloc.
   */
  realloc(address: number, size: number): number {
    checkAddress(address);
    checkSize(size, "size");
    if (address === 0) return this.malloc(size);
    this.checkLive(address);
    const block = address - RAW_HEADER;
    const need = blockSizeFor(size);
    const cur = this.blockSize(block);
    let result = address;
    if (need <= cur) {
      this.shrinkInPlace(block, cur, need);
    } else {
      const next = block + cur;
      const nextWord = this.u32[next >>> 2] as number;
      const nextSize = sizeOfWord(nextWord);
      if ((nextWord & FREE) !== 0 && cur + nextSize >= need) {
        this.removeFree(next, nextSize);
        const merged = cur + nextSize;
        this.u32[block >>> 2] = merged;
        this.setPrevPhys(block + merged, block);
        this.carve(block, merged, need);
        this.touch(block);
      } else {
        const fresh = this.allocBlock(need, size);
        result = fresh + RAW_HEADER;
        this.memory.u8.copyWithin(result, address, address + cur - RAW_HEADER);
        this.releaseBlock(block);
        if (this.hasListeners("raw:free")) this.emit("raw:free", { address, usable: cur - RAW_HEADER });
        if (this.hasListeners("raw:alloc")) {
          this.emit("raw:alloc", { address: result, size, usable: this.blockSize(fresh) - RAW_HEADER });
        }
      }
    }
    const now = result - RAW_HEADER;
    const nowSize = this.blockSize(now);
    this.requested += size - (this.u32[(now >>> 2) + 2] as number);
    this.inUse += nowSize - (result === address ? cur : nowSize);
    if (this.inUse > this.peakInUse) this.peakInUse = this.inUse;
    this.u32[(now >>> 2) + 2] = size;
    if (this.hasListeners("raw:realloc")) {
      this.emit("raw:realloc", { address: result, oldAddress: address, size, usable: nowSize - RAW_HEADER });
    }
    return result;
  }

  /**
   * Releases the block at `address`, coalescing with free neighbours. `free(0)` does nothing.
   * @throws InvalidAddressError for an address that is not a live block (checked mode)
   * @throws DoubleFreeError for a block already freed (checked mode)
   */
  free(address: number): void {
    checkAddress(address);
    if (address === 0) return;
    this.checkLive(address);
    const block = address - RAW_HEADER;
    const usable = this.blockSize(block) - RAW_HEADER;
    this.releaseBlock(block);
    if (this.hasListeners("raw:free")) this.emit("raw:free", { address, usable });
  }

  /** Bytes usable at `address` (at least what was asked for). */
  usableSize(address: number): number {
    checkAddress(address);
    this.checkLive(address);
    return this.blockSize(address - RAW_HEADER) - RAW_HEADER;
  }

  /**
   * Whether `address` lies in the heap this allocator carves its blocks from
   * (any address from its first block to its end): like pymalloc's
   * {@link BlockAllocator.owns}, it says where an address is, not that a block
   * starts there ({@link RawAllocator.isLive} says that).
   */
  owns(address: number): boolean {
    return address >= FIRST_BLOCK && address < this.sentinel;
  }

  /** Whether `address` is a live block's address. Exact in checked mode; in unchecked mode it reads the header and can be fooled. */
  isLive(address: number): boolean {
    if (!Number.isInteger(address) || address < FIRST_BLOCK + RAW_HEADER || address >= this.sentinel) return false;
    if (address % GRANULE !== 0) return false;
    if (this.checked) return testGranule(this.live, address);
    return ((this.u32[(address - RAW_HEADER) >>> 2] as number) & FREE) === 0;
  }

  /** The heap's numbers now. Walks the largest free bin; everything else is kept as counters. */
  stats(): RawStats {
    const heapBytes = this.memory.byteLength;
    const freeBytes = this.sentinel - FIRST_BLOCK - this.inUse;
    const largest = this.largestFree();
    return {
      allocatedBlocks: this.nLive,
      heapBytes,
      maxBytes: this.maxBytes,
      liveBlocks: this.nLive,
      requestedBytes: this.requested,
      bytesInUse: this.inUse,
      peakBytesInUse: this.peakInUse,
      freeBytes,
      freeBlocks: this.nFree,
      largestFreeBlock: largest,
      fragmentation: freeBytes === 0 ? 0 : 1 - largest / freeBytes,
    };
  }

  /**
   * Walks every block and every free list and checks the heap's invariants:
   * block sizes and links, no two adjacent free blocks, each free block in the
   * bin its size selects, bitmaps matching the bins, counters matching the walk.
   * @throws HeapCorruptionError naming the first inconsistent address
   */
  validate(): void {
    validateRawHeap({
      u32: this.u32,
      heapBytes: this.memory.byteLength,
      checked: this.checked,
      heads: this.heads,
      flBitmap: this.flBitmap,
      slBitmaps: this.slBitmaps,
      sentinel: this.sentinel,
      live: this.live,
      nLive: this.nLive,
      nFree: this.nFree,
      inUse: this.inUse,
      requested: this.requested,
    });
  }

  // ---- internals ----

  /** The payload of the live block holding `[address, address + size)`, or 0 (a walk over the blocks). */
  private holderOf(address: number, size: number): number {
    for (let b = FIRST_BLOCK; b < this.sentinel; ) {
      const end = b + this.blockSize(b);
      if (address < end) {
        const used = ((this.u32[b >>> 2] as number) & FREE) === 0;
        return used && address >= b + RAW_HEADER && address + size <= end ? b + RAW_HEADER : 0;
      }
      b = end;
    }
    return 0;
  }

  private blockSize(block: number): number {
    return sizeOfWord(this.u32[block >>> 2] as number);
  }

  private prevPhys(block: number): number {
    return this.u32[(block >>> 2) + 1] as number;
  }

  private setPrevPhys(block: number, prev: number): void {
    this.u32[(block >>> 2) + 1] = prev;
  }

  private writeHeader(block: number, sizeWord: number, prev: number): void {
    const i = block >>> 2;
    this.u32[i] = sizeWord;
    this.u32[i + 1] = prev;
  }

  private checkLive(address: number): void {
    if (address % GRANULE !== 0 || address < FIRST_BLOCK + RAW_HEADER || address >= this.sentinel) {
      throw new InvalidAddressError(address, "not a block of this RawAllocator");
    }
    if (!this.checked) return;
    if (testGranule(this.live, address)) return;
    if (testGranule(this.freed, address)) throw new DoubleFreeError(address);
    throw new InvalidAddressError(
      address,
      "not the start of a live block of this RawAllocator (never allocated, or interior)",
    );
  }

  /** Finds, unlinks and trims a free block of at least `need` bytes, growing the heap if necessary. */
  private allocBlock(need: number, request: number): number {
    let block = this.findFree(need);
    if (block === 0) block = this.growFor(need, request);
    const size = this.blockSize(block);
    this.removeFree(block, size);
    this.u32[block >>> 2] = size;
    this.carve(block, size, need);
    this.markAllocated(block, request);
    return block;
  }

  private markAllocated(block: number, request: number): void {
    this.lastBlockClean = block >= this.dirtyEnd;
    this.touch(block);
    this.u32[(block >>> 2) + 2] = request;
    this.u32[(block >>> 2) + 3] = 0;
    this.nLive++;
    this.requested += request;
    this.inUse += this.blockSize(block);
    if (this.inUse > this.peakInUse) this.peakInUse = this.inUse;
    if (this.checked) {
      const a = block + RAW_HEADER;
      setGranule(this.live, a);
      clearGranule(this.freed, a);
    }
  }

  /** Moves the dirty watermark past a used block and the header after it. */
  private touch(block: number): void {
    const end = block + this.blockSize(block) + RAW_HEADER;
    if (end > this.dirtyEnd) this.dirtyEnd = end;
  }

  /** `block` is marked used with `size` bytes; split off the tail beyond `need` as a free block if it is big enough. */
  private carve(block: number, size: number, need: number): void {
    const rest = size - need;
    if (rest < MIN_BLOCK) return;
    const tail = block + need;
    this.u32[block >>> 2] = need;
    this.writeHeader(tail, rest | FREE, block);
    this.setPrevPhys(tail + rest, tail);
    this.insertFree(tail, rest);
  }

  /** Shrinks a used block, giving the tail back (merged with a free right neighbour). */
  private shrinkInPlace(block: number, cur: number, need: number): void {
    const next = block + cur;
    const nextWord = this.u32[next >>> 2] as number;
    let rest = cur - need;
    if ((nextWord & FREE) !== 0) {
      const nextSize = sizeOfWord(nextWord);
      this.removeFree(next, nextSize);
      rest += nextSize;
    } else if (rest < MIN_BLOCK) {
      return;
    }
    const tail = block + need;
    this.u32[block >>> 2] = need;
    this.writeHeader(tail, rest | FREE, block);
    this.setPrevPhys(tail + rest, tail);
    this.insertFree(tail, rest);
  }

  /** Marks a used block free, coalesces it with free neighbours and files it. */
  private releaseBlock(block: number): void {
    const u32 = this.u32;
    let size = this.blockSize(block);
    this.nLive--;
    this.requested -= u32[(block >>> 2) + 2] as number;
    this.inUse -= size;
    if (this.checked) {
      const a = block + RAW_HEADER;
      clearGranule(this.live, a);
      setGranule(this.freed, a);
    }
    let start = block;
    const next = block + size;
    const nextWord = u32[next >>> 2] as number;
    if ((nextWord & FREE) !== 0) {
      const nextSize = sizeOfWord(nextWord);
      this.removeFree(next, nextSize);
      size += nextSize;
    }
    const prev = this.prevPhys(block);
    if (prev !== 0) {
      const prevWord = u32[prev >>> 2] as number;
      if ((prevWord & FREE) !== 0) {
        const prevSize = sizeOfWord(prevWord);
        this.removeFree(prev, prevSize);
        start = prev;
        size += prevSize;
      }
    }
    u32[start >>> 2] = size | FREE;
    this.setPrevPhys(start + size, start);
    this.insertFree(start, size);
  }

  private insertFree(block: number, size: number): void {
    const bin = binOfSize(size);
    const head = this.heads[bin] as number;
    const i = block >>> 2;
    this.u32[i + 2] = head;
    this.u32[i + 3] = 0;
    if (head !== 0) this.u32[(head >>> 2) + 3] = block;
    this.heads[bin] = block;
    const fl = bin >>> 5;
    this.flBitmap |= 1 << fl;
    this.slBitmaps[fl] = (this.slBitmaps[fl] as number) | (1 << (bin & 31));
    this.nFree++;
  }

  private removeFree(block: number, size: number): void {
    const bin = binOfSize(size);
    const i = block >>> 2;
    const next = this.u32[i + 2] as number;
    const prev = this.u32[i + 3] as number;
    if (prev !== 0) this.u32[(prev >>> 2) + 2] = next;
    else this.heads[bin] = next;
    if (next !== 0) this.u32[(next >>> 2) + 3] = prev;
    if (this.heads[bin] === 0) {
      const fl = bin >>> 5;
      const sl = (this.slBitmaps[fl] as number) & ~(1 << (bin & 31));
      this.slBitmaps[fl] = sl;
      if (sl === 0) this.flBitmap &= ~(1 << fl);
    }
    this.nFree--;
  }

  /** Head of the first non-empty bin whose blocks all hold `need` bytes, or 0. */
  private findFree(need: number): number {
    const bin = binForRequest(need);
    if (bin >= BIN_COUNT) return 0;
    let fl = bin >>> 5;
    let slMap = (this.slBitmaps[fl] as number) & (~0 << (bin & 31));
    if (slMap === 0) {
      const flMap = fl + 1 < 32 ? this.flBitmap & (~0 << (fl + 1)) : 0;
      if (flMap === 0) return 0;
      fl = ffs(flMap);
      slMap = this.slBitmaps[fl] as number;
    }
    return this.heads[fl * SL_COUNT + ffs(slMap)] as number;
  }

  private largestFree(): number {
    if (this.flBitmap === 0) return 0;
    const fl = 31 - Math.clz32(this.flBitmap);
    const slMap = this.slBitmaps[fl] as number;
    const bin = fl * SL_COUNT + (31 - Math.clz32(slMap));
    let largest = 0;
    for (let b = this.heads[bin] as number; b !== 0; b = this.u32[(b >>> 2) + 2] as number) {
      const size = this.blockSize(b);
      if (size > largest) largest = size;
    }
    return largest;
  }

  /**
   * Grows the buffer so that a free block of at least `need` bytes exists at
   * its end, and returns that block. Checks first and throws OutOfMemoryError
   * without touching anything when maxBytes does not allow it.
   */
  private growFor(need: number, request: number): number {
    const oldEnd = floorGranule(this.memory.byteLength);
    const old = this.sentinel;
    const prev = this.prevPhys(old);
    const prevWord = prev === 0 ? 0 : (this.u32[prev >>> 2] as number);
    // A free block before the sentinel merges with the new space.
    const reuse = (prevWord & FREE) !== 0 ? sizeOfWord(prevWord) : 0;
    const max = floorGranule(this.memory.maxByteLength);
    const minEnd = old + RAW_HEADER + Math.max(0, need - reuse);
    if (minEnd > max) throw new OutOfMemoryError(request, this.memory.maxByteLength);
    const step = Math.min(Math.max(oldEnd, GROW_UNIT), GROW_STEP_MAX);
    const newBytes = Math.min(max, roundUp(Math.max(minEnd, oldEnd + step), GROW_UNIT));
    this.memory.grow(newBytes);
    const newEnd = floorGranule(newBytes);
    if (this.checked) {
      this.live = growGranules(this.live, newEnd);
      this.freed = growGranules(this.freed, newEnd);
    }
    const sentinel = newEnd - RAW_HEADER;
    let start = old;
    let size = sentinel - old;
    if (reuse !== 0) {
      this.removeFree(prev, reuse);
      start = prev;
      size += reuse;
      // The old sentinel is inside the merged free block now: clear it, so that growth leaves only zeros.
      this.u32.fill(0, old >>> 2, (old >>> 2) + 4);
    }
    this.writeHeader(sentinel, 0, start);
    this.writeHeader(start, size | FREE, start === old ? prev : this.prevPhys(prev));
    this.sentinel = sentinel;
    this.insertFree(start, size);
    if (this.hasListeners("raw:grow")) this.emit("raw:grow", { oldBytes: oldEnd, newBytes });
    return start;
  }
}

function alignUp(n: number, alignment: number): number {
  return Math.ceil(n / alignment) * alignment;
}

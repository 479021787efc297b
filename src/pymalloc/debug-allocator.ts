/**
 * DebugAllocator: CPython's debug memory hooks (`PYTHONMALLOC=debug`) over a
 * pymem allocator, byte for byte (docs/notes/debug-hooks.md has what they do
 * in 3.8–3.14, observed on the real interpreters).
 *
 * Every block gets 24 extra bytes: before it, the requested size (8 bytes,
 * big-endian) and the domain's API id byte followed by seven forbidden bytes
 * (0xFD); after it, eight forbidden bytes. New memory is filled with 0xCD,
 * freed memory with 0xDD. Free and realloc check the id, then the leading
 * pads, then the trailing ones; a mismatch raises HeapCorruptionError carrying
 * the report `_PyObject_DebugDumpAddress` prints and CPython's fatal error
 * line, where CPython would abort.
 *
 * Over a BlockAllocator (the mem and object domains), requests pymalloc cannot
 * serve go to the raw domain, which the debug hooks wrap too: such a block
 * sits inside a second, raw ('r') debug block, as in CPython. Over any other
 * allocator the hooks wrap its calls as they are. A DebugAllocator is an
 * allocator itself: objects can live in it (`new RefCounter({ allocator:
 * debug })`), as they do in a `PYTHONMALLOC=debug` interpreter.
 *
 * @module
 */

import { HeapCorruptionError, InvalidAddressError } from "../errors.js";
import { checkAddress, checkSize, MAX_ADDRESS } from "../internal/arguments.js";
import { declareLayer } from "../internal/layer-state.js";
import { type AllocatorStats, checkObjectAllocator, type ObjectAllocator } from "../object-allocator.js";
import type { Profile } from "../profiles.js";
import type { RawAllocator } from "../raw/raw-allocator.js";
import { asPymalloc, type BlockAllocator, pymallocAlloc, pymallocFallback } from "./block-allocator.js";
import { reallocStaysInPlace } from "./size-class.js";

/** The allocator domains of PEP 445, each with its own API id byte. */
export type DebugDomain = "raw" | "mem" | "object";

/** Options of {@link DebugAllocator}. */
export interface DebugAllocatorOptions {
  /**
   * The allocator the hooks wrap: a BlockAllocator (pymalloc), a RawAllocator
   * (the C library's malloc), or any other {@link ObjectAllocator}.
   */
  allocator: ObjectAllocator;
  /**
   * The domain whose calls these are (default `"raw"` over a RawAllocator,
   * `"object"` over any other allocator). The raw domain always goes to the
   * RawAllocator underneath, as PyMem_RawMalloc goes to malloc.
   */
  domain?: DebugDomain;
  /**
   * Store a serial number after each block, as CPython built with
   * PYMEM_DEBUG_SERIALNO does (8 more bytes per block; default false, as in
   * every release).
   */
  serialNumbers?: boolean;
}

// The debug hooks' bytes (PYMEM_CLEANBYTE, PYMEM_DEADBYTE, PYMEM_FORBIDDENBYTE).
const CLEAN = 0xcd;
const DEAD = 0xdd;
const FORBIDDEN = 0xfd;
/** sizeof(size_t) on the 64-bit CPythons modelled. */
const SST = 8;
/** realloc saves and erases this many bytes at each end of a large block. */
const ERASED = 64;
const API_ID: Record<DebugDomain, number> = { raw: 0x72, mem: 0x6d, object: 0x6f };
const RAW_ID = API_ID.raw;

/** What a debug layer hands its requests to. */
interface Wrapped {
  malloc(n: number): number;
  calloc(n: number): number;
  realloc(base: number, n: number): number;
  free(base: number): void;
}

/**
 * CPython's debug memory hooks over a pymem allocator: the bytes around every
 * block, the fills and the checks are the real hooks' (proved against
 * PYTHONMALLOC=debug in CPython 3.8–3.13, test/pymalloc/).
 *
 * @example
 * ```ts
 * import { createHeap, DebugAllocator, HeapCorruptionError } from "pymem";
 *
 * const { blocks, raw } = createHeap({ profile: "cpython-3.11" });
 * const debug = new DebugAllocator({ allocator: blocks }); // the object domain
 * const p = debug.malloc(16);
 * raw.u8[p + 16] = 0x78; // one byte past the end
 * try {
 *   debug.free(p);
 * } catch (e) {
 *   console.log(e instanceof HeapCorruptionError); // true
 *   console.log((e as HeapCorruptionError).report?.includes("at tail+0: 0x78 *** OUCH")); // true
 * }
 * ```
 */
export class DebugAllocator implements ObjectAllocator {
  /** The allocator wrapped. */
  readonly allocator: ObjectAllocator;
  /** The domain of the calls made through this object. */
  readonly domain: DebugDomain;
  /** Whether blocks carry a serial number (PYMEM_DEBUG_SERIALNO). */
  readonly serialNumbers: boolean;
  /** The raw allocator underneath (the raw domain's, and the memory's owner). */
  readonly raw: RawAllocator;
  // The wrapped allocator when it is pymalloc, whose raw fallback the hooks wrap again.
  private readonly blocks: BlockAllocator | undefined;
  private readonly id: number;
  private readonly extra: number;
  private serial = 0;
  // The allocator under this domain's hook, and (over pymalloc) the raw domain's, for pymalloc's fallback.
  private readonly wrapped: Wrapped;
  private readonly fallback: Wrapped | undefined;
  // Bytes realloc saves before it erases, one set per hook (the object hook's realloc nests the raw one's).
  private readonly savedRaw = new Uint8Array(2 * ERASED);
  private readonly savedOther = new Uint8Array(2 * ERASED);

  constructor(options: DebugAllocatorOptions) {
    if (typeof options !== "object" || options === null) {
      throw new TypeError(`options must be an object, got ${String(options)}`);
    }
    const a = options.allocator;
    checkObjectAllocator(a, "options.allocator");
    const isRaw = a.raw === a;
    const domain = options.domain ?? (isRaw ? "raw" : "object");
    if (!(domain in API_ID)) {
      throw new RangeError(`options.domain must be "raw", "mem" or "object", got ${JSON.stringify(domain)}`);
    }
    if (domain !== "raw" && isRaw) {
      throw new TypeError(
        `the ${domain} domain needs a BlockAllocator (pymalloc) or another object allocator to wrap, not the RawAllocator itself`,
      );
    }
    if (options.serialNumbers !== undefined && typeof options.serialNumbers !== "boolean") {
      throw new TypeError(`options.serialNumbers must be a boolean, got ${String(options.serialNumbers)}`);
    }
    this.allocator = a;
    this.domain = domain;
    this.serialNumbers = options.serialNumbers ?? false;
    this.extra = (this.serialNumbers ? 4 : 3) * SST;
    this.raw = a.raw;
    this.blocks = asPymalloc(a);
    this.id = API_ID[domain];
    declareLayer(this, {
      kind: "debug",
      below: a,
      parts: [
        {
          owner: this,
          state: ["serial"],
          fixed: [
            "allocator",
            "domain",
            "serialNumbers",
            "raw",
            "blocks",
            "id",
            "extra",
            "wrapped",
            "fallback",
            "savedRaw",
            "savedOther",
          ],
        },
      ],
    });
    const raw = this.raw;
    const rawDomain: Wrapped = {
      malloc: (n) => raw.malloc(n),
      calloc: (n) => raw.calloc(1, n),
      realloc: (p, n) => raw.realloc(p, n),
      free: (p) => raw.free(p),
    };
    const blocks = this.blocks;
    if (domain === "raw") {
      this.wrapped = rawDomain;
      return;
    }
    if (blocks === undefined) {
      this.wrapped = {
        malloc: (n) => a.malloc(n),
        calloc: (n) => a.calloc(1, n),
        realloc: (p, n) => a.realloc(p, n),
        free: (p) => a.free(p),
      };
      return;
    }
    // pymalloc's fallback (requests over its threshold) calls the raw domain, which is hooked as well. Those
    // blocks still go through the BlockAllocator, which counts them as CPython's raw_allocated_blocks.
    const fallback: Wrapped = {
      malloc: (n) => pymallocFallback(blocks, n, false),
      calloc: (n) => pymallocFallback(blocks, n, true),
      realloc: (p, n) => blocks.realloc(p, n),
      free: (p) => blocks.free(p),
    };
    this.fallback = fallback;
    this.wrapped = {
      malloc: (n) => this.pymallocMalloc(n, false),
      calloc: (n) => this.pymallocMalloc(n, true),
      realloc: (p, n) => this.pymallocRealloc(p, n),
      free: (p) => {
        if (blocks.owns(p)) blocks.free(p);
        else this.hookFree(RAW_ID, fallback, p);
      },
    };
  }

  /** The profile of the allocator wrapped, if it follows one. */
  get profile(): Profile | undefined {
    return this.allocator.profile;
  }

  /**
   * `_PyMem_DebugMalloc`: `size` bytes filled with 0xCD between forbidden bytes.
   * @throws OutOfMemoryError when the wrapped allocator cannot serve it; nothing changes
   */
  malloc(size: number): number {
    checkSize(size, "size", MAX_ADDRESS - this.extra);
    return this.guarded(() => this.hookMalloc(this.id, this.wrapped, size, false));
  }

  /** `_PyMem_DebugCalloc`: `nelem * elsize` zeroed bytes between forbidden bytes. */
  calloc(nelem: number, elsize: number): number {
    checkSize(nelem, "nelem", Number.MAX_SAFE_INTEGER);
    checkSize(elsize, "elsize", Number.MAX_SAFE_INTEGER);
    const n = nelem * elsize;
    if (n > MAX_ADDRESS - this.extra) {
      throw new RangeError(
        `calloc(${nelem}, ${elsize}) overflows: ${n} bytes and the debug pads exceed ${MAX_ADDRESS}`,
      );
    }
    return this.guarded(() => this.hookMalloc(this.id, this.wrapped, n, true));
  }

  /**
   * `_PyMem_DebugRealloc`: checks the block, erases what the old block will no
   * longer hold (saving its first and last 64 bytes), reallocates, rewrites
   * the pads, puts the saved bytes back and fills any growth with 0xCD.
   * `realloc(0, n)` is malloc.
   * @throws HeapCorruptionError (nothing changed) when the block's id or pads are not what the hooks wrote
   */
  realloc(address: number, size: number): number {
    checkAddress(address);
    checkSize(size, "size", MAX_ADDRESS - this.extra);
    if (address === 0) return this.malloc(size);
    return this.guarded(() => this.hookRealloc(this.id, this.wrapped, address, size));
  }

  /**
   * `_PyMem_DebugFree`: checks the block, fills all of it (pads included) with
   * 0xDD and frees it. `free(0)` does nothing.
   * @throws HeapCorruptionError (nothing changed) when the block's id or pads are not what the hooks wrote:
   *   an overrun, an underrun, a block of another domain, or one already freed
   */
  free(address: number): void {
    checkAddress(address);
    if (address === 0) return;
    this.guarded(() => this.hookFree(this.id, this.wrapped, address));
  }

  /**
   * Runs one call with the wrapped allocators' listener errors held: a
   * listener that throws in the middle cannot leave a block without its
   * header; its error comes after the call is complete.
   */
  private guarded<T>(f: () => T): T {
    this.holdListenerErrors();
    let out: T;
    try {
      out = f();
    } catch (e) {
      this.releaseListenerErrors(true);
      throw e;
    }
    this.releaseListenerErrors();
    return out;
  }

  /** Holds the listener errors of the raw allocator and of the allocator wrapped (when it can hold them). */
  holdListenerErrors(): void {
    this.raw.holdListenerErrors();
    if (this.allocator !== this.raw) this.allocator.holdListenerErrors?.();
  }

  /** Releases what {@link DebugAllocator.holdListenerErrors} held; the first error, if any, is thrown after both. */
  releaseListenerErrors(discard = false): void {
    let first: { error: unknown } | undefined;
    const layers: ObjectAllocator[] = this.allocator === this.raw ? [this.raw] : [this.raw, this.allocator];
    for (const l of layers) {
      try {
        l.releaseListenerErrors?.(discard);
      } catch (e) {
        first ??= { error: e };
      }
    }
    if (first !== undefined) throw first.error;
  }

  /** The size `address` was asked with, as its header says. */
  requestedSize(address: number): number {
    this.checkInBuffer(address);
    return this.readBig(address - 2 * SST);
  }

  /** The serial number stored after the block (undefined without `serialNumbers`). */
  serialNumber(address: number): number | undefined {
    if (!this.serialNumbers) return undefined;
    this.checkInBuffer(address);
    const at = address + this.readBig(address - 2 * SST) + SST;
    if (at + SST > this.raw.u8.length)
      throw new InvalidAddressError(address, "its header's size points past the buffer");
    return this.readBig(at);
  }

  /**
   * `_PyMem_DebugCheckAddress`: throws what free and realloc would, for this
   * domain, without freeing anything.
   * @throws HeapCorruptionError with the report CPython prints
   */
  checkAddress(address: number): void {
    checkAddress(address);
    this.check(this.id, address, "_PyMem_DebugCheckAddress");
  }

  /** `_PyObject_DebugDumpAddress`: the report CPython prints about the block at `address`. */
  dumpAddress(address: number): string {
    checkAddress(address);
    return this.dump(address);
  }

  /** Checks the wrapped allocator's invariants. */
  validate(): void {
    this.allocator.validate();
  }

  /**
   * Whether `address` could be a block of these hooks: its debug block lies in
   * memory they take blocks from (the raw allocator's for the raw domain and
   * for what pymalloc hands on to it; otherwise the allocator wrapped's).
   */
  owns(address: number): boolean {
    if (!(address >= 2 * SST)) return false;
    const base = address - 2 * SST;
    return this.domain === "raw" || this.blocks !== undefined ? this.raw.owns(base) : this.allocator.owns(base);
  }

  /**
   * The bytes usable at the block `address`: exactly the size asked for, since
   * the hooks guard every byte past it.
   * @throws HeapCorruptionError when the block's id or pads are not what the hooks wrote
   */
  usableSize(address: number): number {
    this.checkAddress(address);
    return this.requestedSize(address);
  }

  /** The numbers of the allocator wrapped (its blocks are the debug blocks, pads included). */
  stats(): AllocatorStats {
    return this.allocator.stats();
  }

  // -------------------------------------------------------------------- one debug layer

  private hookMalloc(id: number, w: Wrapped, n: number, zeroed: boolean): number {
    const total = n + this.extra;
    const base = zeroed ? w.calloc(total) : w.malloc(total);
    const p = base + 2 * SST;
    this.writeHead(base, n, id);
    if (!zeroed && n > 0) this.raw.u8.fill(CLEAN, p, p + n);
    this.writeTail(p + n, ++this.serial);
    return p;
  }

  private hookFree(id: number, w: Wrapped, p: number): void {
    this.check(id, p, "_PyMem_DebugRawFree");
    const base = p - 2 * SST;
    this.checkNested(id, base, "_PyMem_DebugRawFree");
    this.raw.u8.fill(DEAD, base, base + this.readBig(base) + this.extra);
    w.free(base);
  }

  private hookRealloc(id: number, w: Wrapped, p: number, n: number): number {
    this.check(id, p, "_PyMem_DebugRawRealloc");
    const u8 = this.raw.u8;
    const base = p - 2 * SST;
    this.checkNested(id, base, "_PyMem_DebugRawRealloc");
    const orig = this.readBig(base);
    const serial = this.serialNumbers ? this.readBig(p + orig + SST) : 0;
    const saved = id === RAW_ID ? this.savedRaw : this.savedOther;
    // Erase what a moving realloc would leave behind, keeping copies: a small block whole, a large one's ends.
    if (orig <= 2 * ERASED) {
      saved.set(u8.subarray(p, p + orig));
      u8.fill(DEAD, base, base + orig + this.extra);
    } else {
      saved.set(u8.subarray(p, p + ERASED));
      saved.set(u8.subarray(p + orig - ERASED, p + orig), ERASED);
      u8.fill(DEAD, base, p + ERASED);
      u8.fill(DEAD, p + orig - ERASED, base + orig + this.extra);
    }
    let newBase = base;
    let size = n;
    let failure: unknown;
    try {
      newBase = w.realloc(base, n + this.extra);
    } catch (e) {
      // The old block is intact below: put its header, pads and saved bytes back, then report the failure.
      failure = e;
      size = orig;
    }
    const q = newBase + 2 * SST;
    this.writeHead(newBase, size, id);
    this.writeTail(q + size, failure === undefined ? ++this.serial : serial);
    if (orig <= 2 * ERASED) {
      u8.set(saved.subarray(0, Math.min(size, orig)), q);
    } else {
      u8.set(saved.subarray(0, Math.min(size, ERASED)), q);
      if (size > orig - ERASED)
        u8.set(saved.subarray(ERASED, ERASED + Math.min(size - (orig - ERASED), ERASED)), q + orig - ERASED);
    }
    if (failure !== undefined) throw failure;
    if (size > orig) u8.fill(CLEAN, q + orig, q + size);
    return q;
  }

  /**
   * _PyObject_Malloc / _PyObject_Calloc under the debug hooks: a pool block when
   * pymalloc can serve the size and has (or can get) an arena, else a block of
   * the raw domain, whose hook wraps it again.
   */
  private pymallocMalloc(n: number, zeroed: boolean): number {
    const blocks = this.blocks as BlockAllocator;
    if (n <= blocks.profile.smallRequestThreshold) {
      const bp = pymallocAlloc(blocks, n);
      if (bp !== 0) {
        if (zeroed) this.raw.u8.fill(0, bp, bp + n);
        return bp;
      }
    }
    return this.hookMalloc(RAW_ID, this.fallback as Wrapped, n, zeroed);
  }

  /**
   * pymalloc_realloc under the debug hooks: a raw block stays raw (through the
   * raw hook); a pool block stays put when the size fits its class and shrinks
   * it by less than a quarter, else moves to a block from _PyObject_Malloc
   * (pool or hooked raw) with its whole old block copied.
   */
  private pymallocRealloc(base: number, n: number): number {
    const blocks = this.blocks as BlockAllocator;
    if (!blocks.owns(base)) return this.hookRealloc(RAW_ID, this.fallback as Wrapped, base, n);
    const capacity = blocks.usableSize(base);
    if (reallocStaysInPlace(n, capacity)) return blocks.realloc(base, n);
    const moved = this.pymallocMalloc(n, false);
    this.raw.u8.copyWithin(moved, base, base + Math.min(n, capacity));
    blocks.free(base);
    return moved;
  }

  /**
   * A block of the mem or object domain that pymalloc did not serve sits in a
   * raw debug block: its check runs first here, so that a failure changes
   * nothing (CPython would find it only after erasing the inner block, then abort).
   */
  private checkNested(id: number, base: number, func: string): void {
    if (id !== RAW_ID && this.blocks !== undefined && !this.blocks.owns(base)) this.check(RAW_ID, base, func);
  }

  // -------------------------------------------------------------------- header, pads, checks

  private writeHead(base: number, n: number, id: number): void {
    this.writeBig(base, n);
    const u8 = this.raw.u8;
    u8[base + SST] = id;
    u8.fill(FORBIDDEN, base + SST + 1, base + 2 * SST);
  }

  private writeTail(tail: number, serial: number): void {
    this.raw.u8.fill(FORBIDDEN, tail, tail + SST);
    if (this.serialNumbers) this.writeBig(tail + SST, serial);
  }

  private writeBig(at: number, v: number): void {
    const u8 = this.raw.u8;
    const hi = Math.floor(v / 2 ** 32);
    const lo = v >>> 0;
    for (let i = 0; i < 4; i++) {
      u8[at + i] = (hi >>> (24 - 8 * i)) & 0xff;
      u8[at + 4 + i] = (lo >>> (24 - 8 * i)) & 0xff;
    }
  }

  /** A big-endian size_t; exact up to 2^53, beyond that rounded (such a size is garbage anyway). */
  private readBig(at: number): number {
    const u8 = this.raw.u8;
    let v = 0;
    for (let i = 0; i < SST; i++) v = v * 256 + (u8[at + i] as number);
    return v;
  }

  private checkInBuffer(p: number): void {
    checkAddress(p);
    if (p < 2 * SST || p > this.raw.u8.length) {
      throw new InvalidAddressError(p, "not inside the buffer with room for a debug header before it");
    }
  }

  /** _PyMem_DebugCheckAddress: the id, the leading pads, then the trailing pads; the first mismatch is fatal. */
  private check(id: number, p: number, func: string): void {
    this.checkInBuffer(p);
    const u8 = this.raw.u8;
    const stored = u8[p - SST] as number;
    let msg: string | undefined;
    if (stored !== id) {
      msg = `bad ID: Allocated using API '${String.fromCharCode(stored)}', verified using API '${String.fromCharCode(id)}'`;
    } else {
      for (let i = SST - 1; i >= 1 && msg === undefined; i--) {
        if (u8[p - i] !== FORBIDDEN) msg = "bad leading pad byte";
      }
      if (msg === undefined) {
        const tail = p + this.readBig(p - 2 * SST);
        for (let i = 0; i < SST && msg === undefined; i++) {
          if (tail + i >= u8.length || u8[tail + i] !== FORBIDDEN) msg = "bad trailing pad byte";
        }
      }
    }
    if (msg === undefined) return;
    const fatal = this.fatalLine(func, msg);
    const report = `${this.dump(p)}${fatal}\n`;
    const found = Array.from(u8.subarray(p - 2 * SST, p), hex2).join(" ");
    const serialAt = p + this.readBig(p - 2 * SST) + SST;
    const serial = this.serialNumbers
      ? serialAt + SST <= u8.length
        ? `; made by call #${this.readBig(serialAt)}`
        : "; its serial number lies past the buffer"
      : "; no serial number (release builds keep none: serialNumbers: true keeps them, as PYMEM_DEBUG_SERIALNO does)";
    throw new HeapCorruptionError(p, `${msg} (${func}); the ${2 * SST} bytes before it: ${found}${serial}`, {
      report,
    });
  }

  /** Fatal Python error's line: 3.9+ name the function. */
  private fatalLine(func: string, msg: string): string {
    const v = this.allocator.profile?.python;
    return v === "3.8" ? `Fatal Python error: ${msg}` : `Fatal Python error: ${func}: ${msg}`;
  }

  /** _PyObject_DebugDumpAddress' text. Where CPython would read unmapped memory and crash, the report stops. */
  private dump(p: number): string {
    const u8 = this.raw.u8;
    const out: string[] = [];
    if (p < 2 * SST || p > u8.length) return `Debug memory block at address p=${ptr(p)}: [p is outside the buffer]\n`;
    const n = this.readBig(p - 2 * SST);
    out.push(`Debug memory block at address p=${ptr(p)}: API '${String.fromCharCode(u8[p - SST] as number)}'\n`);
    out.push(`    ${n} bytes originally requested\n`);
    out.push(`    The ${SST - 1} pad bytes at p-${SST - 1} are `);
    let ok = true;
    for (let i = SST - 1; i >= 1; i--) if (u8[p - i] !== FORBIDDEN) ok = false;
    if (ok) {
      out.push("FORBIDDENBYTE, as expected.\n");
    } else {
      out.push(`not all FORBIDDENBYTE (0x${hex2(FORBIDDEN)}):\n`);
      for (let i = SST - 1; i >= 1; i--) {
        const b = u8[p - i] as number;
        out.push(`        at p-${i}: 0x${hex2(b)}${b === FORBIDDEN ? "" : " *** OUCH"}\n`);
      }
      out.push("    Because memory is corrupted at the start, the count of bytes requested\n");
      out.push("       may be bogus, and checking the trailing pad bytes may segfault.\n");
    }
    const tail = p + n;
    out.push(`    The ${SST} pad bytes at tail=${ptr(tail)} are `);
    if (tail + SST > u8.length) {
      out.push("\n[the report stops here: CPython reads unmapped memory at tail and crashes]\n");
      return out.join("");
    }
    ok = true;
    for (let i = 0; i < SST; i++) if (u8[tail + i] !== FORBIDDEN) ok = false;
    if (ok) {
      out.push("FORBIDDENBYTE, as expected.\n");
    } else {
      out.push(`not all FORBIDDENBYTE (0x${hex2(FORBIDDEN)}):\n`);
      for (let i = 0; i < SST; i++) {
        const b = u8[tail + i] as number;
        out.push(`        at tail+${i}: 0x${hex2(b)}${b === FORBIDDEN ? "" : " *** OUCH"}\n`);
      }
    }
    if (this.serialNumbers && tail + 2 * SST <= u8.length) {
      out.push(`    The block was made by call #${this.readBig(tail + SST)} to debug malloc/realloc.\n`);
    }
    if (n > 0) {
      const data: string[] = [];
      const first = Math.min(n, 8);
      for (let i = 0; i < first; i++) data.push(hex2(u8[p + i] as number));
      if (n - first > 8) {
        data.push("...");
        for (let i = n - 8; i < n; i++) data.push(hex2(u8[p + i] as number));
      } else {
        for (let i = first; i < n; i++) data.push(hex2(u8[p + i] as number));
      }
      out.push(`    Data at p: ${data.join(" ")}\n`);
    }
    out.push("\n");
    out.push("Enable tracemalloc to get the memory block allocation traceback\n\n");
    return out.join("");
  }
}

function hex2(b: number): string {
  return b.toString(16).padStart(2, "0");
}

/** An address as glibc's %p prints it. */
function ptr(p: number): string {
  return `0x${p.toString(16)}`;
}

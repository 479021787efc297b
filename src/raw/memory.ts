/**
 * Word access over the simulated memory. Addresses are byte offsets into one
 * ArrayBuffer that never changes identity, so every view of it stays valid
 * and nobody has to refresh a cached view:
 *
 * - by default a resizable ArrayBuffer grown in place, with length-tracking
 *   views;
 * - reserved (`reserve: true`): a plain ArrayBuffer of `maxBytes` allocated up
 *   front, of which the first {@link Memory.byteLength} bytes are the heap.
 *   Operating systems hand out such a buffer's pages on first touch, as they
 *   do a resizable buffer's, so it costs address space rather than memory;
 *   V8 (Node 20) reaches typed arrays over a plain buffer by a faster path.
 *
 * Words are little-endian, as on the x86-64 and arm64 CPythons being modelled.
 * 64-bit words are read and written as JavaScript numbers, exact up to 2^53,
 * which covers every address and count the simulator stores.
 *
 * @module
 */

import { InvalidAddressError } from "../errors.js";
import { checkAddress } from "../internal/arguments.js";
import { readWord, writeWord } from "../internal/words.js";

// Snapshots put a heap back at its old size, smaller or larger; nothing else may shrink a heap.
let resizeOf: (memory: Memory, bytes: number) => void;

/** Typed views over the simulated memory's buffer, and word accessors by byte address. */
export class Memory {
  static {
    resizeOf = (memory, bytes) => memory.resizeTo(bytes);
  }

  /** The buffer; it grows in place (or was reserved whole), so this reference never changes. */
  readonly buffer: ArrayBuffer;
  /** Whether the buffer is a plain ArrayBuffer of {@link Memory.maxByteLength} bytes reserved up front. */
  readonly reserved: boolean;
  /** Bytes over the whole buffer: length-tracking, or all of a reserved buffer. */
  readonly u8: Uint8Array;
  /** 16-bit words over the whole buffer; index is `address >>> 1`. */
  readonly u16: Uint16Array;
  /** 32-bit words over the whole buffer; index is `address >>> 2`. */
  readonly u32: Uint32Array;
  /** Unaligned access in any width. */
  readonly view: DataView;
  /** The heap's size in bytes: the resizable buffer's length, or the used prefix of a reserved one. */
  private size: number;
  /** The limit on {@link Memory.size}. */
  private readonly max: number;
  /** A reserved buffer's bytes cut to the heap's size, rebuilt when the size changes. */
  private heapView: Uint8Array | undefined;

  /**
   * @param reserve - allocate all `maxBytes` now as a plain ArrayBuffer (see the module's notes)
   * @throws RangeError when a reserved buffer of `maxBytes` cannot be allocated
   */
  constructor(initialBytes: number, maxBytes: number, reserve = false) {
    this.reserved = reserve;
    if (reserve) {
      try {
        // Whole 8-byte words, so that every view covers the heap's last bytes.
        this.buffer = new ArrayBuffer(Math.ceil(maxBytes / 8) * 8);
      } catch {
        throw new RangeError(
          `cannot reserve maxBytes ${maxBytes} up front here; lower maxBytes or let the buffer grow (reserve: false)`,
        );
      }
    } else {
      this.buffer = new ArrayBuffer(initialBytes, { maxByteLength: maxBytes });
    }
    this.size = initialBytes;
    this.max = maxBytes;
    this.u8 = new Uint8Array(this.buffer);
    this.u16 = new Uint16Array(this.buffer);
    this.u32 = new Uint32Array(this.buffer);
    this.view = new DataView(this.buffer);
  }

  /** The heap's current size in bytes. */
  get byteLength(): number {
    return this.size;
  }

  /** The most the heap may grow to. */
  get maxByteLength(): number {
    return this.max;
  }

  /** The heap's bytes and no more: {@link Memory.u8} itself, or for a reserved buffer a view of its used prefix, current after growth. */
  get heap(): Uint8Array {
    if (!this.reserved) return this.u8;
    let v = this.heapView;
    if (v === undefined || v.length !== this.size) this.heapView = v = this.u8.subarray(0, this.size);
    return v;
  }

  /** Grows the heap to `bytes` (never shrinks). Views follow automatically. */
  grow(bytes: number): void {
    if (bytes <= this.size) return;
    if (!this.reserved) this.buffer.resize(bytes);
    this.size = bytes;
  }

  /** Sets the heap's size, smaller or larger. Bytes beyond it read as zero after regrowth, as a resized buffer's do. */
  private resizeTo(bytes: number): void {
    if (this.reserved) {
      if (bytes < this.size) this.u8.fill(0, bytes, this.size);
    } else {
      this.buffer.resize(bytes);
    }
    this.size = bytes;
  }

  /** Throws unless `[address, address + width)` lies inside the buffer and `address` is `width`-aligned. */
  private check(address: number, width: number): void {
    checkAddress(address);
    if (address + width > this.size) {
      throw new InvalidAddressError(address, `a ${width * 8}-bit word there ends past the heap (${this.size} bytes)`);
    }
    if (address % width !== 0) {
      throw new InvalidAddressError(address, `not aligned to ${width} bytes`);
    }
  }

  /** The byte at `address`. */
  read8(address: number): number {
    this.check(address, 1);
    return this.u8[address] as number;
  }

  /** The little-endian 16-bit word at `address` (2-aligned). */
  read16(address: number): number {
    this.check(address, 2);
    return this.u16[address >>> 1] as number;
  }

  /** The little-endian 32-bit word at `address` (4-aligned). */
  read32(address: number): number {
    this.check(address, 4);
    return this.u32[address >>> 2] as number;
  }

  /** The little-endian 64-bit word at `address` (8-aligned), as a number. */
  read64(address: number): number {
    this.check(address, 8);
    return readWord(this.u32, address);
  }

  /** Stores the low 8 bits of `value` at `address`. */
  write8(address: number, value: number): void {
    this.check(address, 1);
    this.u8[address] = value;
  }

  /** Stores the low 16 bits of `value` at `address` (2-aligned). */
  write16(address: number, value: number): void {
    this.check(address, 2);
    this.u16[address >>> 1] = value;
  }

  /** Stores the low 32 bits of `value` at `address` (4-aligned). */
  write32(address: number, value: number): void {
    this.check(address, 4);
    this.u32[address >>> 2] = value;
  }

  /** Stores a non-negative integer below 2^53 as a 64-bit word at `address` (8-aligned). */
  write64(address: number, value: number): void {
    this.check(address, 8);
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new RangeError(`value must be a non-negative safe integer, got ${value}`);
    }
    writeWord(this.u32, address, value);
  }
}

/** Sets the heap's size, smaller or larger (a snapshot being restored). */
export function resizeHeap(memory: Memory, bytes: number): void {
  resizeOf(memory, bytes);
}

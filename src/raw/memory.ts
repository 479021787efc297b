/**
 * Word access over the simulated memory. Addresses are byte offsets into one
 * resizable ArrayBuffer; the views here are length-tracking, so they stay valid
 * when the buffer grows and nobody has to refresh them.
 *
 * Words are little-endian, as on the x86-64 and arm64 CPythons being modelled.
 * 64-bit words are read and written as JavaScript numbers, exact up to 2^53,
 * which covers every address and count the simulator stores.
 *
 * @module
 */

import { checkAddress } from "../arguments.js";
import { InvalidAddressError } from "../errors.js";

/** Typed views over a resizable buffer, and word accessors by byte address. */
export class Memory {
  /** The buffer; it grows in place, so this reference never changes. */
  readonly buffer: ArrayBuffer;
  /** Bytes, length-tracking. */
  readonly u8: Uint8Array;
  /** 16-bit words, length-tracking; index is `address >>> 1`. */
  readonly u16: Uint16Array;
  /** 32-bit words, length-tracking; index is `address >>> 2`. */
  readonly u32: Uint32Array;
  /** Unaligned access in any width. */
  readonly view: DataView;

  constructor(initialBytes: number, maxBytes: number) {
    this.buffer = new ArrayBuffer(initialBytes, { maxByteLength: maxBytes });
    this.u8 = new Uint8Array(this.buffer);
    this.u16 = new Uint16Array(this.buffer);
    this.u32 = new Uint32Array(this.buffer);
    this.view = new DataView(this.buffer);
  }

  /** Current size of the buffer in bytes. */
  get byteLength(): number {
    return this.buffer.byteLength;
  }

  /** The most the buffer may grow to. */
  get maxByteLength(): number {
    return this.buffer.maxByteLength;
  }

  /** Grows the buffer to `bytes` (never shrinks). Views follow automatically. */
  grow(bytes: number): void {
    if (bytes > this.buffer.byteLength) this.buffer.resize(bytes);
  }

  /** @internal Sets the buffer's size, smaller or larger (a snapshot being restored). Views follow. */
  resizeTo(bytes: number): void {
    this.buffer.resize(bytes);
  }

  /** Throws unless `[address, address + width)` lies inside the buffer and `address` is `width`-aligned. */
  private check(address: number, width: number): void {
    checkAddress(address);
    if (address + width > this.buffer.byteLength) {
      throw new InvalidAddressError(
        address,
        `a ${width * 8}-bit word there ends past the buffer (${this.buffer.byteLength} bytes)`,
      );
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
    const i = address >>> 2;
    return (this.u32[i] as number) + (this.u32[i + 1] as number) * 0x1_0000_0000;
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
    const i = address >>> 2;
    this.u32[i] = value >>> 0;
    this.u32[i + 1] = Math.floor(value / 0x1_0000_0000);
  }
}

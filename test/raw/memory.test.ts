import { describe, expect, it } from "vitest";
import { InvalidAddressError } from "../../src/errors.js";
import { Memory, resizeHeap } from "../../src/raw/memory.js";

describe("Memory", () => {
  it("reads back words of every width, little-endian", () => {
    const m = new Memory(64, 1024);
    m.write64(8, 0x1234_5678_9abc);
    expect(m.read64(8)).toBe(0x1234_5678_9abc);
    expect(m.read32(8)).toBe(0x5678_9abc);
    expect(m.read32(12)).toBe(0x1234);
    expect(m.read16(8)).toBe(0x9abc);
    expect(m.read8(8)).toBe(0xbc);
    m.write8(3, 0x1ff);
    expect(m.read8(3)).toBe(0xff);
    m.write16(4, 0xbeef);
    expect(m.view.getUint16(4, true)).toBe(0xbeef);
    m.write64(16, Number.MAX_SAFE_INTEGER);
    expect(m.read64(16)).toBe(Number.MAX_SAFE_INTEGER);
  });

  it("views stay valid and see new bytes after the buffer grows", () => {
    const m = new Memory(64, 1 << 20);
    const u32 = m.u32;
    m.grow(1 << 16);
    expect(m.byteLength).toBe(1 << 16);
    expect(u32.length).toBe((1 << 16) / 4);
    m.write32(60000, 42);
    expect(u32[15000]).toBe(42);
    expect(m.u8.length).toBe(1 << 16);
  });

  it("rejects addresses past the end, misaligned, or not integers, naming them", () => {
    const m = new Memory(64, 1024);
    expect(() => m.read32(64)).toThrow(InvalidAddressError);
    expect(() => m.read32(62)).toThrow(/0x3e/);
    expect(() => m.read64(4)).toThrow(/not aligned to 8/);
    expect(() => m.read8(-1)).toThrow(RangeError);
    expect(() => m.read8(1.5)).toThrow(/1\.5/);
    expect(() => m.write64(0, -1)).toThrow(RangeError);
    expect(() => m.write64(0, 2 ** 53)).toThrow(RangeError);
    expect(m.read64(0)).toBe(0);
  });

  it("a reserved buffer holds maxBytes from the start; the heap's size and its byte view follow growth", () => {
    const m = new Memory(64, 1000, true);
    expect(m.reserved).toBe(true);
    expect(m.buffer.resizable).toBe(false);
    expect(m.buffer.byteLength).toBeGreaterThanOrEqual(1000);
    expect(m.byteLength).toBe(64);
    expect(m.heap.length).toBe(64);
    expect(() => m.read32(64)).toThrow(/ends past the heap \(64 bytes\)/);
    m.grow(512);
    expect(m.heap.length).toBe(512);
    m.write32(500, 7);
    expect(m.u32[125]).toBe(7);
    expect(m.maxByteLength).toBe(1000);
  });

  for (const reserve of [false, true]) {
    it(`bytes past a shrunk heap read as zero once it grows again (${reserve ? "reserved" : "resizable"})`, () => {
      const m = new Memory(256, 1024, reserve);
      m.u8.fill(0xee, 0, 256);
      resizeHeap(m, 128);
      expect(m.byteLength).toBe(128);
      m.grow(256);
      expect([...m.heap.subarray(120, 136)]).toEqual([...Array(8).fill(0xee), ...Array(8).fill(0)]);
    });
  }

  it("refuses a reservation the engine cannot make, naming maxBytes", () => {
    // Larger than any ArrayBuffer an engine hands out.
    expect(() => new Memory(64, 2 ** 53, true)).toThrow(/maxBytes 9007199254740992/);
  });
});

import { describe, expect, it } from "vitest";
import { InvalidAddressError } from "../../src/errors.js";
import { Memory } from "../../src/raw/memory.js";

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
});

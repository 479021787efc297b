import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BIN_COUNT, binFloor, binForRequest, binOfSize, ffs, fls, GRANULE, SMALL_LIMIT } from "../../src/raw/tlsf.js";

const blockSize = fc.integer({ min: 2, max: 2 ** 28 - 1 }).map((g) => g * GRANULE);

describe("tlsf bin arithmetic", () => {
  it("fls and ffs find the highest and lowest set bits", () => {
    expect(fls(1)).toBe(0);
    expect(fls(0x8000_0000)).toBe(31);
    expect(fls(0xffff_ffff)).toBe(31);
    expect(ffs(0b1011000)).toBe(3);
    expect(ffs(0x8000_0000)).toBe(31);
  });

  it("small sizes get one bin per granule", () => {
    for (let s = GRANULE; s < SMALL_LIMIT; s += GRANULE) expect(binOfSize(s)).toBe(s / GRANULE);
  });

  it("a block's bin covers its size: binFloor(bin) <= size < binFloor(bin + 1)", () => {
    fc.assert(
      fc.property(blockSize, (size) => {
        const bin = binOfSize(size);
        expect(bin).toBeGreaterThanOrEqual(0);
        expect(bin).toBeLessThan(BIN_COUNT);
        expect(binFloor(bin)).toBeLessThanOrEqual(size);
        if (bin + 1 < BIN_COUNT) expect(binFloor(bin + 1)).toBeGreaterThan(size);
      }),
    );
  });

  it("every block in the bin chosen for a request is big enough, and no smaller bin would be", () => {
    fc.assert(
      fc.property(blockSize, (size) => {
        const bin = binForRequest(size);
        expect(binFloor(bin)).toBeGreaterThanOrEqual(size);
        if (bin > 0) expect(binFloor(bin - 1)).toBeLessThan(size);
      }),
    );
  });

  it("bins grow monotonically with size", () => {
    fc.assert(
      fc.property(blockSize, blockSize, (a, b) => {
        if (a <= b) expect(binOfSize(a)).toBeLessThanOrEqual(binOfSize(b));
      }),
    );
  });

  it("requests too large for any bin say so", () => {
    expect(binForRequest(0xffff_fff0)).toBe(BIN_COUNT);
    expect(binOfSize(0xffff_fff0)).toBe(BIN_COUNT - 1);
  });
});

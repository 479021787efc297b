import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { blockSizeOf, blocksPerPool, poolOf, sizeClassCount, sizeClassOf } from "../../src/index.js";

describe("size classes", () => {
  it("maps the edges as CPython does: 1 and 16 to class 0, 17 to 1, 512 to 31", () => {
    expect(sizeClassOf(1, 16)).toBe(0);
    expect(sizeClassOf(16, 16)).toBe(0);
    expect(sizeClassOf(17, 16)).toBe(1);
    expect(sizeClassOf(512, 16)).toBe(31);
    expect(sizeClassCount(512, 16)).toBe(32);
  });

  it("a request fits its class's block, and not the class below", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 512 }), fc.constantFrom(8, 16, 32), (n, alignment) => {
        const c = sizeClassOf(n, alignment);
        expect(blockSizeOf(c, alignment)).toBeGreaterThanOrEqual(n);
        if (c > 0) expect(blockSizeOf(c - 1, alignment)).toBeLessThan(n);
      }),
    );
  });

  it("blocks per pool fill the pool's payload without overflowing it", () => {
    for (const [pool, c] of [
      [16384, 0],
      [16384, 31],
      [4096, 31],
      [4096, 10],
    ] as const) {
      const n = blocksPerPool(c, pool, 48, 16);
      const size = blockSizeOf(c, 16);
      expect(48 + n * size).toBeLessThanOrEqual(pool);
      expect(48 + (n + 1) * size).toBeGreaterThan(pool);
    }
    expect(blocksPerPool(0, 16384, 48, 16)).toBe(1021);
    expect(blocksPerPool(31, 4096, 48, 16)).toBe(7);
  });

  it("poolOf rounds down to the pool boundary", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), (a) => {
        const p = poolOf(a, 16384);
        expect(p % 16384).toBe(0);
        expect(a - p).toBeLessThan(16384);
        expect(a).toBeGreaterThanOrEqual(p);
      }),
    );
  });
});

import { describe, expect, it } from "vitest";
import { clearGranule, growGranules, setGranule, testGranule } from "../../src/internal/granule-bitmap.js";

describe("granule bitmap", () => {
  it("a set granule reads set, its neighbours and a cleared one unset", () => {
    const map = growGranules(new Uint32Array(0), 4096);
    setGranule(map, 1024);
    expect(testGranule(map, 1024)).toBe(true);
    expect(testGranule(map, 1008)).toBe(false);
    expect(testGranule(map, 1040)).toBe(false);
    clearGranule(map, 1024);
    expect(testGranule(map, 1024)).toBe(false);
  });

  it("only an integer, granule-aligned address in 0 … 2^32 - 1 can read set", () => {
    const map = growGranules(new Uint32Array(0), 4096);
    for (let a = 0; a < 4096; a += 16) setGranule(map, a);
    // Every bit is set: whatever reads unset below is refused for what it is, not for its bit.
    for (const bad of [1024.5, 1025, -16, -0.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 32, 2 ** 32 + 1024]) {
      expect(testGranule(map, bad), String(bad)).toBe(false);
    }
    expect(testGranule(map, "1024" as unknown as number)).toBe(false);
    expect(testGranule(map, 0)).toBe(true);
    expect(testGranule(map, 4080)).toBe(true);
    // Beyond the map: unset, however aligned.
    expect(testGranule(map, 4096 * 64)).toBe(false);
  });
});

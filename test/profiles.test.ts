import { describe, expect, it } from "vitest";
import { defaultProfile, defineProfile, getProfile, type Profile, profiles } from "../src/index.js";

describe("profiles", () => {
  it("has one frozen profile per release 3.8 to 3.14, each valid", () => {
    expect(Object.keys(profiles)).toEqual([
      "cpython-3.8",
      "cpython-3.9",
      "cpython-3.10",
      "cpython-3.11",
      "cpython-3.12",
      "cpython-3.13",
      "cpython-3.14",
    ]);
    for (const p of Object.values(profiles)) {
      expect(Object.isFrozen(p)).toBe(true);
      expect(Object.isFrozen(p.gcThresholds)).toBe(true);
      expect(defineProfile(p)).toEqual(p);
    }
    expect(defaultProfile).toBe(profiles["cpython-3.11"]);
  });

  it("carries the per-release parameters", () => {
    expect(profiles["cpython-3.8"].arenaSize).toBe(256 * 1024);
    expect(profiles["cpython-3.8"].poolSize).toBe(4096);
    expect(profiles["cpython-3.8"].keepLastFreeArena).toBe(false);
    expect(profiles["cpython-3.9"].keepLastFreeArena).toBe(true);
    expect(profiles["cpython-3.10"].arenaSize).toBe(1 << 20);
    expect(profiles["cpython-3.10"].poolSize).toBe(16384);
    expect(profiles["cpython-3.13"].gcThresholds).toEqual([2000, 10, 10]);
    expect(profiles["cpython-3.14"].gc).toBe("incremental-3.14");
  });

  it("getProfile names an unknown profile and lists the known ones", () => {
    expect(getProfile("cpython-3.10")).toBe(profiles["cpython-3.10"]);
    expect(() => getProfile("cpython-2.7")).toThrow(/"cpython-2.7".*cpython-3.8/);
    expect(() => getProfile(3 as unknown as string)).toThrow(TypeError);
  });

  it("defineProfile derives experiments and rejects bad parameters, naming them", () => {
    const base = profiles["cpython-3.11"];
    const big = defineProfile({
      ...base,
      name: "big",
      arenaSize: 4 << 20,
      arenaMap: { ...base.arenaMap, rootBits: 13 } as Profile["arenaMap"],
    });
    expect(big.arenaSize).toBe(4 << 20);
    const bad: Array<[Partial<Profile>, RegExp]> = [
      [{ arenaSize: 300_000 }, /arenaSize must be a power of two.*300000/],
      [{ poolSize: 3000 }, /poolSize must be a power of two/],
      [{ arenaSize: 8192, poolSize: 16384 }, /arenaSize \(8192\) must be a multiple of profile.poolSize/],
      [{ smallRequestThreshold: 8192 }, /smallRequestThreshold/],
      [{ smallRequestThreshold: 500 }, /smallRequestThreshold must be a positive multiple/],
      [{ alignment: 12 }, /alignment/],
      [{ poolOverhead: 40 }, /poolOverhead/],
      [{ name: "" }, /name/],
      [{ gc: "refcount" as never }, /profile.gc/],
      [{ gcThresholds: [1, 2] as never }, /gcThresholds/],
      [{ gcThresholds: [1, -2, 3] }, /gcThresholds\[1\]/],
      [{ keepLastFreeArena: 1 as never }, /keepLastFreeArena/],
      [{ arenaMap: { kind: "hash" } as never }, /arenaMap.kind/],
      [{ arenaSize: 2 << 20 }, /arenaMap bits must add up/],
      [{ arenaSize: 16384, arenaMap: { kind: "address-in-range" } }, /leaves 0 usable pool\(s\)/],
      [{ alignment: 8 }, /alignment must be a power of two between 16/],
      [{ trashcan: { kind: "nesting", unwindLevel: -1 } }, /unwindLevel/],
      [{ immortalRefcount: -5 }, /immortalRefcount/],
    ];
    for (const [patch, message] of bad)
      expect(() => defineProfile({ ...base, ...patch }), JSON.stringify(patch)).toThrow(message);
  });
});

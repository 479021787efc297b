import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  type ArenaMap,
  defaultProfile,
  defineProfile,
  getProfile,
  type Profile,
  type ProfileName,
  profileForRelease,
  profileProofs,
  profiles,
  radixLevels,
} from "../src/index.js";

describe("profileProofs", () => {
  it("says what docs/which-profile.md's table says, row for row", () => {
    const doc = readFileSync(fileURLToPath(new URL("../docs/which-profile.md", import.meta.url)), "utf8");
    const rows = doc
      .split("\n")
      .filter((l) => l.startsWith("| ") && !l.startsWith("| your CPython") && !l.startsWith("| ---"))
      .map((l) =>
        l
          .slice(1, -1)
          .split(" | ")
          .map((c) => c.trim()),
      );
    const expected = Object.entries(profileProofs).map(([name, p]) => [
      p.releases,
      `\`${name}\``,
      p.pymalloc,
      p.gc,
      p.objects,
      p.builtins,
    ]);
    expect(rows).toEqual(expected);
    expect(Object.keys(profileProofs)).toEqual(Object.keys(profiles));
  });
});

describe("profiles", () => {
  it("has one frozen profile per release 3.8 to 3.15, each valid", () => {
    expect(Object.keys(profiles)).toEqual([
      "cpython-3.8",
      "cpython-3.9",
      "cpython-3.10",
      "cpython-3.11",
      "cpython-3.12",
      "cpython-3.13",
      "cpython-3.14.0",
      "cpython-3.14",
      "cpython-3.15",
      "cpython-3.15-hugepages",
    ]);
    for (const p of Object.values(profiles)) {
      expect(Object.isFrozen(p)).toBe(true);
      expect(Object.isFrozen(p.gcThresholds)).toBe(true);
      expect(defineProfile(p)).toEqual(p);
    }
    // The default is the newest release whose every layer is proved against the real interpreter.
    const proved = Object.values(profiles).filter((p) => profileProofs[p.name as ProfileName].proved);
    expect(defaultProfile).toBe(proved.at(-1));
    expect(defaultProfile.name).toBe("cpython-3.15");
  });

  it("carries the per-release parameters", () => {
    expect(profiles["cpython-3.8"].arenaSize).toBe(256 * 1024);
    expect(profiles["cpython-3.8"].poolSize).toBe(4096);
    expect(profiles["cpython-3.8"].keepLastFreeArena).toBe(false);
    expect(profiles["cpython-3.9"].keepLastFreeArena).toBe(true);
    expect(profiles["cpython-3.10"].arenaSize).toBe(1 << 20);
    expect(profiles["cpython-3.10"].poolSize).toBe(16384);
    expect(profiles["cpython-3.13"].gcThresholds).toEqual([2000, 10, 10]);
    expect(profiles["cpython-3.14.0"].gc).toBe("incremental-3.14");
    // 3.14.5 went back to 3.13's collector.
    expect(profiles["cpython-3.14"].gc).toBe("generational-3.12");
    expect(profiles["cpython-3.14"].gcThresholds).toEqual([2000, 10, 10]);
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
    const stack = profiles["cpython-3.14"].trashcan as Extract<Profile["trashcan"], { kind: "stack" }>;
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
      [
        { arenaSize: 2 << 20, arenaMap: { ...base.arenaMap, rootBits: 13 } as Profile["arenaMap"] },
        /arenaMap bits must add up: rootBits 13/,
      ],
      [{ arenaSize: 16384, arenaMap: { kind: "address-in-range" } }, /leaves 0 usable pool\(s\)/],
      [{ alignment: 8 }, /alignment must be a power of two between 16/],
      [{ trashcan: { kind: "nesting", unwindLevel: -1 } }, /unwindLevel/],
      [{ trashcan: { kind: "nesting", unwindLevel: 50, finalizerFrame: "yes" as never } }, /finalizerFrame.*"yes"/],
      [{ trashcan: { ...stack, frameBytes: 0 } }, /frameBytes and listFrameBytes must be positive/],
      [{ trashcan: { ...stack, drainExtraBytes: 0.5 } }, /drainExtraBytes must be an integer.*0.5/],
      [{ trashcan: { ...stack, drainExtraBytes: -144 } }, /drainExtraBytes leaves a drained frame no bytes, got -144/],
      [{ trashcan: { ...stack, stackBytes: -1 } }, /stackBytes/],
      [{ immortalRefcount: -5 }, /immortalRefcount/],
    ];
    for (const [patch, message] of bad)
      expect(() => defineProfile({ ...base, ...patch }), JSON.stringify(patch)).toThrow(message);
  });

  it("radixLevels gives the built-in profiles' arena map levels from their address and arena bits", () => {
    for (const p of Object.values(profiles)) {
      if (p.arenaMap.kind !== "radix-tree") continue;
      const { rootBits, midBits, botBits } = p.arenaMap;
      expect(radixLevels(p.arenaMap.addressBits, Math.log2(p.arenaSize)), p.name).toEqual({
        rootBits,
        midBits,
        botBits,
      });
    }
    // 3.15's hugepage arenas (ARENA_BITS 21): 43 bits above them, 15 + 15 + 13.
    expect(radixLevels(64, 21)).toEqual({ rootBits: 15, midBits: 15, botBits: 13 });
    expect(() => radixLevels(64, 62)).toThrow(/arenaBits \(62\) must leave at least 3/);
    expect(() => radixLevels("64" as never, 20)).toThrow(/addressBits must be a number/);
    expect(() => radixLevels(64, -1)).toThrow(RangeError);
  });

  it("defineProfile derives what follows from a changed parameter, so one change is one line", () => {
    const small = defineProfile({ ...profiles["cpython-3.11"], name: "small", arenaSize: 256 * 1024 });
    expect(small.arenaMap).toEqual({ ...profiles["cpython-3.11"].arenaMap, rootBits: 16, midBits: 16, botBits: 14 });
    const small310 = defineProfile({ ...profiles["cpython-3.10"], name: "small", arenaSize: 256 * 1024 });
    expect(small310.arenaMap).toEqual({ ...profiles["cpython-3.10"].arenaMap, rootBits: 10, midBits: 10, botBits: 10 });
    // A smaller address space: the levels follow it too.
    const narrow = defineProfile({
      ...profiles["cpython-3.11"],
      name: "narrow",
      arenaMap: { ...(profiles["cpython-3.11"].arenaMap as ArenaMap & { kind: "radix-tree" }), addressBits: 48 },
    });
    expect(narrow.arenaMap).toMatchObject({ rootBits: 10, midBits: 10, botBits: 8 });
    // Left out: derived; pointer and leaf sizes default to a 64-bit build's.
    const bare = defineProfile({
      ...profiles["cpython-3.11"],
      name: "bare",
      arenaMap: { kind: "radix-tree", addressBits: 64 },
    });
    expect(bare.arenaMap).toEqual(profiles["cpython-3.11"].arenaMap);
    // The pool header rounded up to a larger alignment.
    expect(defineProfile({ ...profiles["cpython-3.11"], name: "a32", alignment: 32 }).poolOverhead).toBe(64);
    const { poolOverhead: _, ...noOverhead } = profiles["cpython-3.9"];
    expect(defineProfile({ ...noOverhead, name: "o" }).poolOverhead).toBe(48);
    // Levels chosen by hand that add up are kept as given.
    const chosen = {
      ...profiles["cpython-3.11"].arenaMap,
      rootBits: 20,
      midBits: 10,
      botBits: 14,
    } as Profile["arenaMap"];
    expect(defineProfile({ ...profiles["cpython-3.11"], name: "c", arenaMap: chosen }).arenaMap).toEqual(chosen);
    // The base is untouched.
    expect(profiles["cpython-3.11"].arenaMap).toMatchObject({ rootBits: 15, midBits: 15, botBits: 14 });
  });

  it("profileForRelease maps a release to its profile, 3.14.0–3.14.4 to the incremental collector's", () => {
    expect(profileForRelease("3.11.7")).toBe(profiles["cpython-3.11"]);
    expect(profileForRelease("3.8")).toBe(profiles["cpython-3.8"]);
    for (const micro of [0, 1, 2, 4]) expect(profileForRelease(`3.14.${micro}`)).toBe(profiles["cpython-3.14.0"]);
    for (const micro of [5, 10]) expect(profileForRelease(`3.14.${micro}`)).toBe(profiles["cpython-3.14"]);
    expect(profileForRelease("3.14")).toBe(profiles["cpython-3.14"]);
    expect(profileForRelease("3.14.0rc1")).toBe(profiles["cpython-3.14.0"]);
    expect(profileForRelease("2.7.18")).toBeUndefined();
    expect(profileForRelease("not a release")).toBeUndefined();
    expect(() => profileForRelease(3 as never)).toThrow(TypeError);
  });
});

import { describe, expect, it } from "vitest";
import { defineProfile, parseProfileSpec, profileFromJson, profiles } from "../src/index.js";

describe("parseProfileSpec", () => {
  it("takes a built-in name as that profile", () => {
    expect(parseProfileSpec("cpython-3.9")).toBe(profiles["cpython-3.9"]);
  });

  it("changes a built-in profile's parameters, derives what follows and names the result by its spec", () => {
    const p = parseProfileSpec("cpython-3.11:arenaSize=256KiB,keepLastFreeArena=false,gcThresholds=[100,5,5]");
    expect(p).toEqual(
      defineProfile({
        ...profiles["cpython-3.11"],
        name: "cpython-3.11:arenaSize=256KiB,keepLastFreeArena=false,gcThresholds=[100,5,5]",
        arenaSize: 262144,
        keepLastFreeArena: false,
        gcThresholds: [100, 5, 5],
      }),
    );
    expect(p.arenaMap).toMatchObject({ rootBits: 16, midBits: 16, botBits: 14 });
    expect(parseProfileSpec("cpython-3.11:name=big,arenaSize=4MiB").name).toBe("big");
    expect(parseProfileSpec("cpython-3.11:arenaSize=2M").arenaSize).toBe(2 << 20);
    expect(parseProfileSpec("cpython-3.11:arenaMap.addressBits=48").arenaMap).toMatchObject({
      addressBits: 48,
      rootBits: 10,
    });
    expect(parseProfileSpec("cpython-3.13:trashcan.budget=8000").trashcan).toEqual({
      kind: "recursion-budget",
      headroom: 50,
      budget: 8000,
    });
  });

  it("sets the 3.14+ trashcan's stack, for a run with another stack size", () => {
    const t = parseProfileSpec("cpython-3.14:trashcan.stackBytes=16MiB").trashcan;
    expect(t).toMatchObject({ kind: "stack", stackBytes: 16 << 20, frameBytes: 144, listFrameBytes: 96 });
  });

  it("names the unknown profile, the unknown field and the bad value", () => {
    const bad: Array<[string, RegExp]> = [
      ["cpython-2.7:arenaSize=1", /unknown profile "cpython-2.7"/],
      ["cpython-3.11:arenasize=262144", /unknown profile field "arenasize" \(did you mean arenaSize\?\)/],
      ["cpython-3.11:arenaMap.depth=3", /unknown profile field "arenaMap.depth"/],
      ["cpython-3.11:alignment.x=3", /alignment is not an object/],
      ["cpython-3.11:arenaSize=300000", /profile.arenaSize must be a power of two.*300000/],
      ["cpython-3.11:arenaSize", /expected key=value, got "arenaSize"/],
      ["cpython-3.11:keepLastFreeArena=maybe", /keepLastFreeArena must be a boolean/],
    ];
    for (const [spec, message] of bad) expect(() => parseProfileSpec(spec), spec).toThrow(message);
  });
});

describe("profileFromJson", () => {
  it("reads back every profile as `pymem profiles --json NAME` prints it", () => {
    for (const p of Object.values(profiles)) {
      expect(profileFromJson(JSON.parse(JSON.stringify(p)))).toEqual(p);
    }
  });

  it("extends a built-in profile with the fields that change", () => {
    const p = profileFromJson({ extends: "cpython-3.11", name: "small", arenaSize: 262144 });
    expect(p).toEqual(defineProfile({ ...profiles["cpython-3.11"], name: "small", arenaSize: 262144 }));
    expect(profileFromJson({ extends: "cpython-3.10", arenaSize: 262144 }).name).toBe("cpython-3.10:arenaSize=262144");
    // A nested object changes only what it names.
    expect(profileFromJson({ extends: "cpython-3.11", arenaMap: { addressBits: 48 } }).arenaMap).toMatchObject({
      kind: "radix-tree",
      addressBits: 48,
      botBits: 8,
    });
    // A JSON profile edited by hand: the arena size changed, the levels it carried re-derived.
    const edited = { ...JSON.parse(JSON.stringify(profiles["cpython-3.11"])), name: "edited", arenaSize: 262144 };
    expect(profileFromJson(edited).arenaMap).toMatchObject({ rootBits: 16, midBits: 16, botBits: 14 });
  });

  it("names the source, the field and the value of a bad profile", () => {
    const bad: Array<[unknown, RegExp]> = [
      [[1, 2], /x.json: a profile must be a JSON object, got an array/],
      [{ extends: "cpython-4" }, /x.json: "extends": unknown profile "cpython-4"/],
      [{ extends: 3 }, /"extends" must be a profile name/],
      [{ extends: "cpython-3.11", arenaSise: 1 }, /x.json: unknown profile field "arenaSise"/],
      [{ extends: "cpython-3.11", arenaSize: "big" }, /x.json: profile.arenaSize must be a number, got string "big"/],
      [{ name: "half" }, /x.json: missing field\(s\) python, alignment/],
      [{ ...profiles["cpython-3.9"], colour: "red" }, /unknown profile field "colour"/],
    ];
    for (const [json, message] of bad)
      expect(() => profileFromJson(json, "x.json"), JSON.stringify(json)).toThrow(message);
  });
});

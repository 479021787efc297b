import { describe, expect, it } from "vitest";
import { OTHER_TYPES_COLOR, typePalette, UNTYPED_COLOR } from "../../src/view/type-palette.js";

describe("typePalette", () => {
  it("gives the types with most blocks a hue each, ties by name, the rest one grey and untyped another", () => {
    const p = typePalette(
      new Map<string | undefined, number>([
        ["str", 5],
        ["list", 9],
        ["dict", 5],
        ["int", 1],
        [undefined, 3],
      ]),
      3,
    );
    expect(p.keys.map((k) => [k.label, k.blocks])).toEqual([
      ["list", 9],
      ["dict", 5],
      ["str", 5],
      ["other types", 1],
      ["untyped", 3],
    ]);
    const hues = p.keys.slice(0, 3).map((k) => k.color);
    expect(new Set(hues).size).toBe(3);
    expect(hues).not.toContain(OTHER_TYPES_COLOR);
    expect(p.colorOf("int")).toBe(OTHER_TYPES_COLOR);
    expect(p.colorOf(undefined)).toBe(UNTYPED_COLOR);
    expect(p.colorOf("list")).toBe(p.keys[0]?.color);
  });

  it("leaves out keys with nothing drawn", () => {
    expect(typePalette(new Map([["list", 2]])).keys.map((k) => k.label)).toEqual(["list"]);
    expect(typePalette(new Map()).keys).toEqual([]);
  });
});

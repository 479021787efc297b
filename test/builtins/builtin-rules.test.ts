import { describe, expect, it } from "vitest";
import { builtinRules, profiles } from "../../src/index.js";
import { releaseMinor } from "../../src/internal/release.js";

describe("builtinRules", () => {
  it("has the rules of every release a built-in profile models", () => {
    for (const p of Object.values(profiles)) {
      const minor = releaseMinor(p.python);
      expect(builtinRules(minor)?.minor, p.name).toBe(minor);
    }
    expect(builtinRules(7)).toBeUndefined();
  });

  it("reads a release from a profile's python field", () => {
    expect(["3.8", "3.14.0", "3.15", "mine", "3"].map(releaseMinor)).toEqual([8, 14, 15, 0, 0]);
  });
});

import { describe, expect, it } from "vitest";
import { grown } from "../../src/internal/typed-arrays.js";

describe("grown", () => {
  it("copies into a larger array of the same kind, new elements 0", () => {
    const a = Int32Array.of(-1, 7);
    const b = grown(a, 4);
    expect(b).toBeInstanceOf(Int32Array);
    expect([...b]).toEqual([-1, 7, 0, 0]);
    expect(b).not.toBe(a);
    expect([...grown(Float64Array.of(2 ** 40), 2)]).toEqual([2 ** 40, 0]);
  });
});

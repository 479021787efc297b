import { describe, expect, it } from "vitest";
import { FreeList } from "../../src/builtins/free-list.js";

describe("FreeList", () => {
  it("keeps up to its capacity and gives back the most recent first", () => {
    const f = new FreeList(3);
    expect([16, 32, 48, 64].map((a) => f.push(a))).toEqual([true, true, true, false]);
    expect(f.pop()).toBe(48);
    const freed: number[] = [];
    f.clear((a) => freed.push(a));
    expect(freed).toEqual([32, 16]);
    expect(f.pop()).toBe(0);
  });

  it("keeps nothing with capacity 0 (a list the release does not have)", () => {
    const f = new FreeList(0);
    expect(f.push(16)).toBe(false);
    expect(f.size).toBe(0);
  });

  it("grows past its first storage", () => {
    const f = new FreeList(2000);
    for (let i = 1; i <= 2000; i++) f.push(i * 16);
    expect(f.size).toBe(2000);
    expect(f.pop()).toBe(32000);
  });
});

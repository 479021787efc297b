import { describe, expect, it } from "vitest";
import { SplitValues } from "../../src/builtins/split-values.js";
import { BlockAllocator, profiles, RefCounter } from "../../src/index.js";
import { objectCoreOf } from "../../src/objects/ref-counter.js";

function values(layout: "array" | "prefix" | "header") {
  const blocks = new BlockAllocator({ profile: profiles["cpython-3.13"] });
  const core = objectCoreOf(new RefCounter({ allocator: blocks }));
  if (core === undefined) throw new Error("no core");
  return { blocks, v: new SplitValues(core, layout) };
}

describe("SplitValues", () => {
  it("asks for each release's array size (3.8–3.10 bare, 3.11–3.12 with a prefix, 3.13+ with a header)", () => {
    expect(values("array").v.bytes(5)).toBe(40);
    // 3.11: round8(29 + 2) + 8 × 29, the first instance's array.
    expect(values("prefix").v.bytes(29)).toBe(264);
    // 3.13: a header word, 30 values and 30 order bytes rounded up: the inline values of the first instance.
    expect(values("header").v.bytes(30)).toBe(280);
  });

  it("keeps the insertion order, deletions closing the gap", () => {
    for (const layout of ["prefix", "header"] as const) {
      const { v, blocks } = values(layout);
      const a = v.alloc(10);
      for (const ix of [3, 0, 7, 5]) v.addToOrder(a, ix);
      v.deleteFromOrder(a, 0);
      v.addToOrder(a, 0);
      expect(Array.from({ length: v.count(a) }, (_, i) => v.orderAt(a, i))).toEqual([3, 7, 5, 0]);
      v.set(a, 9, 1234);
      expect(v.get(a, 9)).toBe(1234);
      const before = blocks.allocatedBlocks();
      v.free(a);
      expect(blocks.allocatedBlocks()).toBe(before - 1);
    }
  });

  it("copies inline values out, order and all, into an array of its own (3.13+)", () => {
    const { v } = values("header");
    const a = v.alloc(8);
    v.set(a, 2, 99);
    v.addToOrder(a, 2);
    const b = v.copy(a);
    expect(v.embedded(b)).toBe(false);
    expect([v.capacity(b), v.count(b), v.orderAt(b, 0), v.get(b, 2)]).toEqual([8, 1, 2, 99]);
  });
});

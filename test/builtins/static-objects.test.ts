import { describe, expect, it } from "vitest";
import { BlockAllocator, Builtins, profiles, RefCounter } from "../../src/index.js";

describe("StaticObjects: interned attribute names", () => {
  it("are made once, outside the allocator, never freed (immortal from 3.12)", () => {
    for (const name of ["cpython-3.11", "cpython-3.12"] as const) {
      const blocks = new BlockAllocator({ profile: profiles[name] });
      const objects = new RefCounter({ allocator: blocks });
      const py = new Builtins({ objects });
      const A = py.newClass("A", { slots: [] });
      const C = py.newClass("C");
      const c = py.instance(C);
      const v = py.float(1.5);
      const held = blocks.allocatedBlocks();
      py.setAttr(c, "attribute", v);
      py.setAttr(c, "x", v);
      // 3.11: the values array was made with the instance; the names cost no block.
      expect(blocks.allocatedBlocks(), name).toBe(held);
      const d = py.instanceDict(c);
      const [attribute, x] = py.keys(d);
      expect(py.strValue(attribute as number)).toBe("attribute");
      // A one-character latin-1 name is the shared str.
      expect(x).toBe(py.str("x"));
      expect(objects.isImmortal(attribute as number), name).toBe(name === "cpython-3.12");
      expect(py.classInfo(A).slots).toEqual([]);
    }
  });
});

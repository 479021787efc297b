import { describe, expect, it } from "vitest";
import { BlockAllocator, Builtins, type ProfileName, profiles, RefCounter, TraceRecorder } from "../../src/index.js";

describe("DictKeys: a class's shared keys", () => {
  it("are made with the class: 8 slots up to 3.10 (168 bytes), 64 slots of str entries from 3.11 (768)", () => {
    for (const [name, bytes] of [
      ["cpython-3.8", 168],
      ["cpython-3.10", 168],
      ["cpython-3.11", 768],
      ["cpython-3.15", 768],
    ] as const) {
      const recorder = new TraceRecorder(new BlockAllocator({ profile: profiles[name as ProfileName] }));
      const py = new Builtins({ objects: new RefCounter({ allocator: recorder }) });
      const A = py.newClass("A");
      py.newClass("B", { slots: ["x"] });
      expect(recorder.text().split("\n").slice(1, -1), name).toEqual([`m 0 ${bytes}`]);
      expect(py.classInfo(A).sharedKeys).toBeGreaterThan(0);
    }
  });

  it("3.8–3.10: the class's 8-slot keys go to the keys free list once no one holds them", () => {
    const recorder = new TraceRecorder(new BlockAllocator({ profile: profiles["cpython-3.9"] }));
    const py = new Builtins({ objects: new RefCounter({ allocator: recorder }) });
    const A = py.newClass("A");
    py.dropClass(A);
    expect(py.freeListSizes().dictKeys).toBe(1);
    // The next class takes them back.
    py.newClass("C");
    expect(recorder.text().split("\n").slice(1, -1)).toEqual(["m 0 168"]);
  });
});

import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import {
  BlockAllocator,
  Builtins,
  CycleCollector,
  InvalidAddressError,
  type ProfileName,
  profiles,
  RefCounter,
  TraceRecorder,
} from "../../src/index.js";

const RELEASES = [
  "cpython-3.8",
  "cpython-3.9",
  "cpython-3.10",
  "cpython-3.11",
  "cpython-3.12",
  "cpython-3.13",
  "cpython-3.14",
  "cpython-3.15",
] as const;

function heap(name: ProfileName) {
  const blocks = new BlockAllocator({ profile: profiles[name] });
  const recorder = new TraceRecorder(blocks);
  const objects = new RefCounter({ allocator: recorder });
  const gc = new CycleCollector({ objects });
  gc.disable();
  const py = new Builtins({ objects });
  /** The calls made by `f`, as "m SIZE" / "f" / "r SIZE". */
  const calls = (f: () => void): string[] => {
    const before = recorder.text().split("\n").length;
    f();
    return recorder
      .text()
      .split("\n")
      .slice(before - 1, -1)
      .filter((l) => l !== "" && !l.startsWith("#") && l !== "s")
      .map((l) => {
        const [op, , size] = l.split(" ");
        return size === undefined ? (op as string) : `${op} ${size}`;
      });
  };
  return { blocks, objects, gc, py, calls };
}

describe("Builtins: instances, as each release lays them out", () => {
  it("makes `A()` and its first attributes with CPython's allocator calls (measured on each release)", () => {
    const expected: Record<string, [string[], string[]]> = {
      "cpython-3.8": [["m 48"], ["m 40", "m 64"]],
      "cpython-3.10": [["m 48"], ["m 40", "m 64"]],
      "cpython-3.11": [["m 56", "m 264"], []],
      "cpython-3.12": [["m 48", "m 264"], []],
      "cpython-3.13": [["m 328"], []],
      "cpython-3.15": [["m 328"], []],
    };
    for (const [name, [made, stored]] of Object.entries(expected)) {
      const { py, calls } = heap(name as ProfileName);
      const A = py.newClass("A");
      const one = py.int(1);
      let a = 0;
      expect(
        calls(() => (a = py.instance(A))),
        name,
      ).toEqual(made);
      expect(
        calls(() => py.setAttr(a, "x", one)),
        name,
      ).toEqual(stored);
      expect(calls(() => py.setAttr(a, "y", one))).toEqual([]);
    }
  });

  it("3.11+: each new instance leaves the class's shared keys one entry less (30 at first)", () => {
    for (const [name, first] of [
      ["cpython-3.11", 264],
      ["cpython-3.13", 328],
    ] as const) {
      const { py, calls } = heap(name);
      const A = py.newClass("A");
      const sizes = [0, 1, 2].flatMap(() => calls(() => py.instance(A)).filter((c) => c !== "m 56"));
      expect(sizes, name).toEqual([`m ${first}`, `m ${first - 8}`, `m ${first - 16}`]);
    }
  });

  it("3.8–3.10: a grown split table becomes the class's shared keys; another order or a deletion stops the sharing", () => {
    const { py, calls } = heap("cpython-3.8");
    const A = py.newClass("A");
    const v = py.int(100000);
    const a = py.instance(A);
    for (const n of ["a0", "a1", "a2", "a3", "a4"]) py.setAttr(a, n, v);
    // The sixth key: a combined table of 16 slots, the old values freed, new values for the shared table.
    expect(calls(() => py.setAttr(a, "a5", v))).toEqual(["m 296", "f", "m 80"]);
    const b = py.instance(A);
    // Out of the keys' order: values and dict made, then combined (keys from the free list), values freed.
    expect(calls(() => py.setAttr(b, "a1", v))).toEqual(["m 80", "m 64", "f"]);
    expect(py.classInfo(A).sharedKeys).toBe(0);
    // The class dropped its keys: the next instance's dict is a plain one.
    const c = py.instance(A);
    expect(calls(() => py.setAttr(c, "a0", v))).toEqual(["m 64", "m 168"]);
  });

  it("keeps __slots__ in the object, without a dict; a weaklist only when asked", () => {
    for (const name of RELEASES) {
      const { py, objects } = heap(name);
      const B = py.newClass("B", { slots: ["x", "y"] });
      const W = py.newClass("W", { slots: ["x", "__weakref__"] });
      const E = py.newClass("E", { slots: [] });
      const b = py.instance(B);
      const w = py.instance(W);
      expect(py.getsizeof(b), name).toBe(48);
      expect(py.getsizeof(py.instance(E)), name).toBe(32);
      // 3.12+ keep the weaklist before the gc head, in two words.
      expect(py.getsizeof(w), name).toBe(py.rules.minor >= 12 ? 56 : 48);
      const one = py.int(100000);
      py.setAttr(b, "y", one);
      expect(py.getAttr(b, "y")).toBe(one);
      expect(py.getAttr(b, "x")).toBe(0);
      expect(() => py.setAttr(b, "z", one)).toThrow(/AttributeError/);
      expect(() => py.instanceDict(b)).toThrow(TypeError);
      expect(() => objects.weakref(b)).toThrow(TypeError);
      const ref = objects.weakref(w);
      objects.decref(w);
      expect(objects.weakrefTarget(ref)).toBe(0);
      py.delAttr(b, "y");
      expect(objects.refcount(one)).toBe(1);
    }
  });

  it("gives getsizeof of instances and of their __dict__ as CPython does", () => {
    // [A(), its __dict__ after one attribute, a second instance's __dict__]
    const expected: Record<string, number[]> = {
      "cpython-3.8": [48, 104, 104],
      "cpython-3.11": [56, 296, 288],
      "cpython-3.12": [48, 296, 288],
      "cpython-3.14": [48, 296, 288],
    };
    for (const [name, sizes] of Object.entries(expected)) {
      const { py } = heap(name as ProfileName);
      const A = py.newClass("A");
      const a = py.instance(A);
      py.setAttr(a, "x", py.int(1));
      const d = py.instanceDict(a);
      const first = py.getsizeof(d);
      const second = py.instanceDict(py.instance(A));
      expect([py.getsizeof(a), first, py.getsizeof(second)], name).toEqual(sizes);
    }
  });

  it("keeps attributes and __dict__ in step, in insertion order", () => {
    for (const name of RELEASES) {
      const { py } = heap(name);
      const A = py.newClass("A");
      const a = py.instance(A);
      const [x, y, z] = [py.int(1001), py.int(1002), py.int(1003)];
      py.setAttr(a, "b", x);
      py.setAttr(a, "a", y);
      const d = py.instanceDict(a);
      py.setAttr(a, "c", z);
      py.delAttr(a, "b");
      py.setAttr(a, "b", x);
      expect(
        py.keys(d).map((k) => py.strValue(k)),
        name,
      ).toEqual(["a", "c", "b"]);
      expect(py.getAttr(a, "c")).toBe(z);
      py.setItem(d, py.str("zz"), y);
      expect(py.getAttr(a, "zz")).toBe(y);
      expect(py.len(d)).toBe(4);
    }
  });

  it("frees every block once instances, their dicts and cycles are gone", () => {
    for (const name of RELEASES) {
      const { py, objects, gc, blocks } = heap(name);
      const before = blocks.allocatedBlocks();
      const A = py.newClass("A");
      const a = py.instance(A);
      const b = py.instance(A);
      py.setAttr(a, "peer", b);
      py.setAttr(b, "peer", a);
      const d = py.instanceDict(b);
      py.setAttr(a, "self", a);
      for (let i = 0; i < 40; i++) py.setAttr(b, `k${i}`, d);
      objects.decref(a);
      objects.decref(b);
      objects.decref(d);
      expect(py.classInfo(A).instances).toBe(2);
      expect(gc.collect(), name).toBeGreaterThanOrEqual(3);
      expect(py.classInfo(A).instances).toBe(0);
      py.dropClass(A);
      gc.collect();
      expect(blocks.allocatedBlocks(), name).toBe(before);
      expect(() => py.instance(A)).toThrow(TypeError);
    }
  });

  it("an attribute's place in a dropped class's shared keys is not taken for a new class's, whose keys reuse the block", () => {
    for (const name of RELEASES) {
      const { py, objects } = heap(name);
      const v = py.int(5000);
      const A = py.newClass("A");
      const a = py.instance(A);
      py.setAttr(a, "x", v);
      py.setAttr(a, "y", v);
      objects.decref(a);
      py.dropClass(A);
      const B = py.newClass("B");
      const b = py.instance(B);
      // "y" is B's first key: at index 0 of B's keys, wherever A had it.
      py.setAttr(b, "y", v);
      expect(py.getAttr(b, "y"), name).toBe(v);
      expect(py.getAttr(b, "x"), name).toBe(0);
      const d = py.instanceDict(b);
      expect(
        py.keys(d).map((k) => py.strValue(k)),
        name,
      ).toEqual(["y"]);
      objects.decref(d);
      objects.decref(b);
      py.dropClass(B);
    }
  });

  it("__del__ runs once per instance: at its deallocation, before its attributes go; a resurrected one lives on", () => {
    for (const name of RELEASES) {
      const { py, objects, gc, blocks } = heap(name);
      const before = blocks.allocatedBlocks();
      const seen: Array<[number, number]> = [];
      let keep = 0;
      const D = py.newClass("D", {
        finalize: (a) => {
          // The attributes are still there when __del__ runs.
          seen.push([a, py.getAttr(a, "v")]);
          if (keep === -1) {
            objects.incref(a);
            keep = a;
          }
        },
      });
      const v = py.int(777777);
      const d = py.instance(D);
      py.setAttr(d, "v", v);
      objects.decref(d);
      expect(seen, name).toEqual([[d, v]]);
      expect(objects.isAlive(d), name).toBe(false);
      // Resurrected: alive with its attributes, and never finalized again.
      keep = -1;
      const e = py.instance(D);
      py.setAttr(e, "v", v);
      objects.decref(e);
      expect(keep, name).toBe(e);
      expect(py.getAttr(e, "v"), name).toBe(v);
      expect(py.classInfo(D).instances, name).toBe(1);
      objects.decref(e);
      expect(
        seen.map(([a]) => a),
        name,
      ).toEqual([d, e]);
      expect(objects.isAlive(e), name).toBe(false);
      objects.decref(v);
      py.dropClass(D);
      gc.collect();
      expect(blocks.allocatedBlocks(), name).toBe(before);
    }
  });

  it("__del__ in a cycle: the gc calls each once and frees the cycle (PEP 442); a resurrection keeps it all", () => {
    for (const name of RELEASES) {
      const { py, objects, gc, blocks } = heap(name);
      const before = blocks.allocatedBlocks();
      const calls: number[] = [];
      let rescue = false;
      let kept = 0;
      const D = py.newClass("D", {
        finalize: (a) => {
          calls.push(a);
          if (rescue && kept === 0) {
            objects.incref(a);
            kept = a;
          }
        },
      });
      const cycle = () => {
        const a = py.instance(D);
        const b = py.instance(D);
        py.setAttr(a, "peer", b);
        py.setAttr(b, "peer", a);
        objects.decref(a);
        objects.decref(b);
        return [a, b];
      };
      const [a, b] = cycle();
      // 3.8–3.10: each instance's __dict__ is an object of the cycle too.
      expect(gc.collect(), name).toBe(py.rules.minor <= 10 ? 4 : 2);
      expect([...calls].sort(), name).toEqual([a, b].sort());
      expect(py.classInfo(D).instances, name).toBe(0);
      // One finalizer takes a reference: nothing of the cycle is freed, and no finalizer runs twice.
      calls.length = 0;
      rescue = true;
      const [c, d] = cycle();
      gc.collect();
      expect(calls.length, name).toBe(2);
      expect([objects.isAlive(c as number), objects.isAlive(d as number)], name).toEqual([true, true]);
      objects.decref(kept);
      calls.length = 0;
      gc.collect();
      expect(calls, name).toEqual([]);
      expect(py.classInfo(D).instances, name).toBe(0);
      py.dropClass(D);
      gc.collect();
      expect(blocks.allocatedBlocks(), name).toBe(before);
    }
  });

  it("collects in one go a cycle through a __dict__ still over an object's inline values (3.13.18+ visit both)", () => {
    for (const name of ["cpython-3.11", "cpython-3.13", "cpython-3.15"] as const) {
      const { py, objects, gc } = heap(name);
      const [A, C] = [py.newClass("A"), py.newClass("C")];
      const r9 = py.instance(A);
      const r6 = py.instanceDict(r9);
      py.setAttr(r9, "a4", r9);
      let r0 = py.instance(C);
      const r2 = py.instanceDict(r0);
      py.setAttr(r0, "a18", r2);
      py.setAttr(r0, "a5", r6);
      const c2 = py.instance(C);
      py.setAttr(c2, "a5", r0);
      objects.decref(r0);
      r0 = py.instanceDict(c2);
      py.setItem(r0, c2, r0);
      for (const o of [r9, r6, r2, c2, r0]) objects.decref(o);
      expect([gc.collect(), gc.collect()], name).toEqual([6, 0]);
    }
  });

  test.prop([fc.array(fc.tuple(fc.nat(5), fc.nat(40), fc.boolean()), { maxLength: 120 })], { numRuns: 30 })(
    "any sequence of stores and deletions keeps getAttr as a Map and frees all",
    (ops) => {
      for (const name of ["cpython-3.9", "cpython-3.11", "cpython-3.12", "cpython-3.13"] as const) {
        const { py, objects, gc, blocks } = heap(name);
        const before = blocks.allocatedBlocks();
        const A = py.newClass("A");
        const insts = Array.from({ length: 6 }, () => py.instance(A));
        const model = insts.map(() => new Map<string, number>());
        const v = py.int(123456);
        for (const [i, k, del] of ops) {
          const o = insts[i] as number;
          const m = model[i] as Map<string, number>;
          const n = `n${k}`;
          if (del && m.has(n)) {
            py.delAttr(o, n);
            m.delete(n);
          } else if (!del) {
            py.setAttr(o, n, v);
            m.set(n, v);
          }
        }
        insts.forEach((o, i) => {
          for (let k = 0; k <= 40; k++) expect(py.getAttr(o, `n${k}`)).toBe(model[i]?.get(`n${k}`) ?? 0);
          const d = py.instanceDict(o);
          expect(py.len(d)).toBe(model[i]?.size);
          objects.decref(d);
        });
        objects.decref(v);
        for (const o of insts) objects.decref(o);
        gc.collect();
        py.dropClass(A);
        gc.collect();
        expect(blocks.allocatedBlocks()).toBe(before);
      }
    },
  );
});

describe("Builtins: instances, bad input", () => {
  it("validates and changes nothing on failure", () => {
    const { py, objects } = heap("cpython-3.12");
    const A = py.newClass("A");
    const a = py.instance(A);
    const l = py.list();
    expect(() => py.newClass("")).toThrow(TypeError);
    expect(() => py.newClass("B", { slots: ["1x"] })).toThrow(/identifiers/);
    expect(() => py.newClass("B", { slots: ["x", "x"] })).toThrow(/twice/);
    expect(() => py.newClass("B", { slots: ["__dict__"] })).toThrow(/not modelled/);
    const types = objects.types().length;
    expect(() => py.newClass("B", { finalize: "no" as unknown as () => void })).toThrow(
      /finalize must be a function, got no/,
    );
    expect(objects.types().length).toBe(types);
    expect(() => py.instance(objects.weakrefType)).toThrow(/not a class/);
    expect(() => py.setAttr(l, "x", a)).toThrow(/instance of a class/);
    expect(() => py.setAttr(a, "", a)).toThrow(TypeError);
    expect(() => py.setAttr(a, "__dict__", a)).toThrow(/descriptor/);
    expect(() => py.setAttr(a, "x", 4242)).toThrow(InvalidAddressError);
    expect(() => py.delAttr(a, "x")).toThrow(/AttributeError/);
    expect(() => py.dropClass(A)).toThrow(/live instance/);
    expect(py.getAttr(a, "x")).toBe(0);
    expect(py.getsizeof(a)).toBe(48);
  });
});

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  BlockAllocator,
  CycleCollector,
  type ObjectType,
  profiles,
  RawAllocator,
  RefCounter,
} from "../../src/index.js";

function setUp(profile = profiles["cpython-3.11"]) {
  const blocks = new BlockAllocator({ raw: new RawAllocator(), profile });
  const objects = new RefCounter({ allocator: blocks });
  const gc = new CycleCollector({ objects });
  const Node = objects.defineType({ name: "Node", slots: 2, container: true, weakrefable: true });
  return { blocks, objects, gc, Node };
}

/** Two objects referencing each other, the caller's references dropped: a cycle only the gc frees. */
function droppedCycle(objects: RefCounter, first: ObjectType, second: ObjectType): [number, number] {
  const a = objects.new(first);
  const b = objects.new(second);
  objects.setSlot(a, 0, b);
  objects.setSlot(b, 0, a);
  objects.decref(a);
  objects.decref(b);
  return [a, b];
}

describe("CycleCollector", () => {
  it("tracks containers at creation in the youngest generation and counts them", () => {
    const { objects, gc, Node } = setUp();
    const Leaf = objects.defineType({ name: "Leaf" });
    gc.disable();
    const a = objects.new(Node);
    const leaf = objects.new(Leaf);
    expect(gc.isTracked(a)).toBe(true);
    expect(gc.isTracked(leaf)).toBe(false);
    expect(gc.getCount()).toEqual([1, 0, 0]);
    expect(gc.objectsOf(0)).toEqual([a]);
    objects.decref(a);
    expect(gc.getCount()).toEqual([0, 0, 0]);
    expect(gc.objectsOf(0)).toEqual([]);
  });

  it("collects cycles, counts generations as CPython does, and keeps statistics", () => {
    const { blocks, objects, gc, Node } = setUp();
    gc.disable();
    droppedCycle(objects, Node, Node);
    expect(gc.collect(0)).toBe(2);
    expect(gc.getCount()).toEqual([0, 1, 0]);
    expect(objects.liveObjects).toBe(0);
    expect(blocks.allocatedBlocks()).toBe(0); // the generation heads live in a raw block of their own
    expect(gc.getStats()[0]).toEqual({ collections: 1, collected: 2, uncollectable: 0 });
    expect(gc.collect(2)).toBe(0);
    expect(gc.getCount()).toEqual([0, 0, 0]);
  });

  it("collects automatically when generation 0 passes its threshold (3.11: inside the allocation)", () => {
    const { objects, gc, Node } = setUp();
    gc.setThreshold(10);
    const stops: number[] = [];
    gc.on("gc:stop", (e) => stops.push(e.collected));
    for (let i = 0; i < 10; i++) {
      const a = objects.new(Node);
      objects.setSlot(a, 0, a);
      objects.decref(a);
    }
    expect(stops).toEqual([]);
    objects.new(Node); // the 11th container: count 11 > 10
    expect(stops).toEqual([10]);
    expect(gc.getThreshold()).toEqual([10, 10, 10]);
  });

  it("3.12+ schedules the collection and runs it once the allocation is complete", () => {
    const { objects, gc, Node } = setUp(profiles["cpython-3.12"]);
    gc.setThreshold(3);
    const seen: string[] = [];
    gc.on("gc:start", () => seen.push("gc"));
    objects.on("object:alloc", () => seen.push("alloc"));
    for (let i = 0; i < 4; i++) objects.new(Node);
    expect(seen).toEqual(["alloc", "alloc", "alloc", "gc", "alloc"]);
  });

  it("freeze moves everything out of the way; unfreeze puts it into the oldest generation", () => {
    const { objects, gc, Node } = setUp();
    gc.disable();
    const a = objects.new(Node);
    objects.setSlot(a, 0, a);
    objects.decref(a);
    gc.freeze();
    expect(gc.getFreezeCount()).toBe(1);
    expect(gc.collect()).toBe(0);
    expect(objects.isAlive(a)).toBe(true);
    gc.unfreeze();
    expect(gc.objectsOf(2)).toEqual([a]);
    expect(gc.collect()).toBe(1);
  });

  it("runs finalizers once; resurrected objects survive and are finalized no more", () => {
    const { objects, gc } = setUp();
    gc.disable();
    const saved: number[] = [];
    let calls = 0;
    const Phoenix = objects.defineType({
      name: "Phoenix",
      slots: 1,
      container: true,
      finalize: (a) => {
        calls++;
        objects.incref(a);
        saved.push(a);
      },
    });
    const p = objects.new(Phoenix);
    objects.setSlot(p, 0, p);
    objects.decref(p);
    expect(gc.collect()).toBe(0);
    expect(objects.isAlive(p)).toBe(true);
    expect(gc.isFinalized(p)).toBe(true);
    objects.decref(saved.pop() as number);
    expect(gc.collect()).toBe(1);
    expect(calls).toBe(1);
    expect(objects.isAlive(p)).toBe(false);
  });

  it("an object a listener takes hold of mid-collection survives it, as a finalizer's would (every release)", () => {
    for (const minor of [8, 9, 11, 12, 13, 14, 15]) {
      const { objects, gc, Node } = setUp(profiles[`cpython-3.${minor}` as "cpython-3.11"]);
      gc.disable();
      const [a, b] = droppedCycle(objects, Node, Node);
      let held = false;
      // Past move_unreachable the set is known; resurrection checks must see the new reference.
      gc.on("gc:phase", (e) => {
        if (e.phase !== "move_unreachable" && !held) {
          held = true;
          objects.incref(a);
        }
      });
      expect(gc.collect(), `3.${minor}`).toBe(0);
      expect(objects.isAlive(a) && objects.isAlive(b), `3.${minor}`).toBe(true);
      objects.decref(a);
      expect(gc.collect(), `3.${minor}`).toBe(2);
      expect(objects.liveObjects, `3.${minor}`).toBe(0);
    }
  });

  it("an object a weakref callback takes hold of mid-collection survives it (every release)", () => {
    for (const minor of [8, 9, 11, 12, 13, 14, 15]) {
      const { objects, gc, Node } = setUp(profiles[`cpython-3.${minor}` as "cpython-3.11"]);
      gc.disable();
      const [a, b] = droppedCycle(objects, Node, Node);
      // The weak reference lives outside the cycle, so handle_weakrefs calls its callback.
      const wr = objects.weakref(b, () => objects.incref(a));
      expect(gc.collect(), `3.${minor}`).toBe(0);
      expect(objects.isAlive(a) && objects.isAlive(b), `3.${minor}`).toBe(true);
      objects.decref(a);
      expect(gc.collect(), `3.${minor}`).toBe(2);
      objects.decref(wr);
      expect(objects.liveObjects, `3.${minor}`).toBe(0);
    }
  });

  it("saveAll keeps unreachable objects in garbage instead of clearing them", () => {
    const { objects, gc, Node } = setUp();
    gc.disable();
    gc.saveAll = true;
    const a = objects.new(Node);
    objects.setSlot(a, 0, a);
    objects.decref(a);
    expect(gc.collect()).toBe(1);
    expect(gc.garbage).toEqual([a]);
    expect(objects.isAlive(a)).toBe(true);
  });

  it("emits a phase event per phase, for tools that animate a collection", () => {
    const { objects, gc, Node } = setUp();
    gc.disable();
    const phases: string[] = [];
    gc.on("gc:phase", (e) => phases.push(`${e.phase} ${e.objects}`));
    const a = objects.new(Node);
    objects.setSlot(a, 0, a);
    objects.decref(a);
    gc.collect();
    expect(phases).toEqual([
      "move_unreachable 1",
      "handle_weakrefs 1",
      "finalize_garbage 1",
      "handle_resurrected_objects 1",
      "delete_garbage 0",
    ]);
  });

  it("collect(2) of a 10^6-object cyclic graph completes without recursion", () => {
    const { objects, gc, Node } = setUp();
    gc.disable();
    const first = objects.new(Node);
    let prev = first;
    for (let i = 1; i < 1_000_000; i++) {
      const n = objects.new(Node);
      objects.setSlot(prev, 0, n);
      objects.decref(n);
      prev = n;
    }
    objects.setSlot(prev, 0, first); // close the ring
    objects.decref(first);
    expect(gc.collect(2)).toBe(1_000_000);
    expect(objects.liveObjects).toBe(0);
    expect(gc.getStats()[2]).toMatchObject({ collections: 1, collected: 1_000_000, uncollectable: 0 });
  });

  it("untracks tuple-likes holding only non-containers or untracked tuple-likes, as CPython untracks tuples", () => {
    const { objects, gc } = setUp();
    gc.disable();
    const Tuple = objects.defineType({
      name: "tuple",
      varSized: true,
      container: true,
      clearOrder: "reverse",
      tupleLike: true,
    });
    const Int = objects.defineType({ name: "int", dataBytes: 8 });
    const List = objects.defineType({ name: "list", listLike: true, container: true });
    const Obj = objects.defineType({ name: "L", slots: 1, container: true });
    const tuple = (...items: number[]) => {
      const t = objects.new(Tuple, { size: items.length });
      items.forEach((x, i) => {
        objects.setSlot(t, i, x);
      });
      return t;
    };
    const t1 = tuple(objects.new(Int), objects.new(Int));
    const t2 = tuple(t1);
    const t3 = tuple(objects.new(List));
    const t4 = tuple(objects.new(Obj));
    const t5 = tuple(t2, objects.new(Int));
    const all = [t1, t2, t3, t4, t5];
    expect(all.map((t) => gc.isTracked(t))).toEqual([true, true, true, true, true]);
    gc.collect(0);
    // CPython 3.11 prints the same for (1, 2), (t1,), ([],), (L(),), (t2, 5).
    expect(all.map((t) => gc.isTracked(t))).toEqual([false, false, true, true, false]);
  });

  it("legacy finalizers make a cycle uncollectable: it goes to garbage, counted as uncollectable", () => {
    const { objects, gc, Node } = setUp();
    gc.disable();
    const Legacy = objects.defineType({ name: "Legacy", slots: 1, container: true, legacyFinalizer: true });
    const [a, b] = droppedCycle(objects, Legacy, Node);
    const info: string[] = [];
    gc.on("gc:stop", (e) => info.push(`${e.collected}/${e.uncollectable}`));
    expect(gc.collect()).toBe(2);
    expect(info).toEqual(["0/2"]);
    expect(gc.garbage).toEqual([a]);
    expect(objects.isAlive(b)).toBe(true);
    expect(gc.getStats()[2]).toEqual({ collections: 1, collected: 0, uncollectable: 2 });
  });

  it("collects cycles of objects above 2 GiB, where pointers fill all 32 bits of a word's low half", () => {
    for (const name of ["cpython-3.11", "cpython-3.14.0"] as const) {
      const raw = new RawAllocator({ maxBytes: 2 ** 32 - 1 });
      // A large raw block (never touched) pushes the arenas above 2^31.
      raw.malloc(2 ** 31 + 2 ** 20);
      const blocks = new BlockAllocator({ raw, profile: profiles[name] });
      const objects = new RefCounter({ allocator: blocks });
      const gc = new CycleCollector({ objects });
      gc.disable();
      const Node = objects.defineType({ name: "Node", slots: 2, container: true, finalize: () => {} });
      const held = objects.new(Node);
      const ring: number[] = [];
      for (let i = 0; i < 500; i++) ring.push(objects.new(Node));
      ring.forEach((a, i) => {
        objects.setSlot(a, 0, ring[(i + 1) % ring.length] as number);
        objects.setSlot(held, 1, a);
      });
      for (const a of ring) objects.decref(a);
      expect(Math.min(held, ...ring)).toBeGreaterThan(2 ** 31);
      // held keeps the ring; one collection finds nothing, and it stays tracked, its flags intact.
      expect(gc.collect()).toBe(0);
      expect(ring.every((a) => gc.isTracked(a) && !gc.isFinalized(a))).toBe(true);
      // Broken open, the ring dies by refcounting down to what held keeps: each death unlinks from the old list.
      objects.setSlot(ring[0] as number, 0, 0);
      expect(objects.liveObjects).toBe(3);
      const old = gc.objectsOf(2);
      expect([...old].sort()).toEqual([held, ring[0], ring[499]].sort());
      objects.setSlot(ring[499] as number, 0, ring[0] as number);
      objects.setSlot(ring[0] as number, 0, ring[499] as number);
      objects.setSlot(held, 1, 0);
      expect(gc.collect()).toBe(2);
      expect(objects.liveObjects).toBe(1);
      expect(gc.objectsOf(2)).toEqual([held]);
      blocks.validate();
    }
  });

  it("rejects bad input", () => {
    const { objects, gc } = setUp();
    expect(() => gc.collect(3)).toThrow(/generation/);
    expect(() => gc.setThreshold()).toThrow(TypeError);
    expect(() => gc.setThreshold(-1)).toThrow(/threshold0/);
    expect(() => gc.isTracked(12345)).toThrow(/not a live object/);
    expect(() => new CycleCollector({ objects })).toThrow(/already has a CycleCollector/);
    expect(() => new CycleCollector({ objects: {} as RefCounter })).toThrow(/options.objects must be a RefCounter/);
    expect(() => new CycleCollector(null as never)).toThrow(TypeError);
    expect(() => new CycleCollector({ objects: new RefCounter(), heapSize: -1 })).toThrow(/options.heapSize/);
  });

  it("rejects bad roots and changes nothing", () => {
    const { objects, gc, Node } = setUp(profiles["cpython-3.14.0"]);
    const a = objects.new(Node);
    expect(() => gc.addRoot(12345)).toThrow(/not a live object/);
    expect(() => gc.addRoot(a, "frame" as never)).toThrow(/kind must be "global" or "stack", got "frame"/);
    expect(() => gc.removeRoot(a)).toThrow(/not a root/);
    expect(() => gc.removeRoot(Number.NaN)).toThrow(RangeError);
    expect(objects.refcount(a)).toBe(1);
    expect(gc.roots()).toEqual([]);
  });
});

describe("3.14's incremental collector", () => {
  const p314 = profiles["cpython-3.14.0"];

  it("has thresholds (2000, 10, 0) and counts tracked objects, untracking included", () => {
    const { objects, gc, Node } = setUp(p314);
    expect(gc.getThreshold()).toEqual([2000, 10, 0]);
    gc.disable();
    const a = objects.new(Node);
    const b = objects.new(Node);
    expect(gc.getCount()).toEqual([2, 0, 0]);
    objects.decref(b);
    expect(gc.getCount()).toEqual([1, 0, 0]);
    expect(gc.collect(0)).toBe(0);
    // A young collection counts in the visited space's counter.
    expect(gc.getCount()).toEqual([0, 1, 0]);
    expect(gc.objectsOf(1)).toEqual([a]);
    expect(gc.getStats()[0]?.collections).toBe(1);
  });

  it("starts a cycle by marking from the roots, then collects increments of the pending space", () => {
    const { objects, gc, Node } = setUp(p314);
    gc.disable();
    const root = objects.new(Node);
    gc.addRoot(root, "stack");
    objects.decref(root);
    const child = objects.new(Node);
    objects.setSlot(root, 0, child);
    objects.decref(child);
    const ring = objects.new(Node);
    objects.setSlot(ring, 0, ring);
    objects.decref(ring);
    const phases: string[] = [];
    gc.on("gc:phase", (e) => phases.push(`${e.phase} ${e.objects}`));
    // The first increment of a cycle only marks: the root and what it reaches go to the visited space.
    expect(gc.collect(1)).toBe(0);
    expect(phases).toEqual(["mark 2"]);
    expect(gc.objectsOf(1)).toEqual([root, child]);
    expect(gc.objectsOf(0)).toEqual([ring]);
    expect(gc.getStats()[1]?.collections).toBe(0);
    // Marking left work_to_do negative (3 new objects, minus the 2 marked twice): nothing happens.
    expect(gc.collect(1)).toBe(0);
    expect(objects.isAlive(ring)).toBe(true);
    // New objects pay for an increment, which takes the young list: the ring is found.
    for (let i = 0; i < 3; i++) objects.decref(objects.new(Node));
    const other = objects.new(Node);
    expect(gc.collect(1)).toBe(1);
    expect(objects.isAlive(ring)).toBe(false);
    expect(gc.getStats()[1]).toEqual({ collections: 1, collected: 1, uncollectable: 0 });
    objects.decref(other);
    gc.removeRoot(root);
    expect(objects.isAlive(root)).toBe(false);
    expect(objects.liveObjects).toBe(0);
  });

  it("collect(2) collects every space, and freeze() keeps frozen objects out", () => {
    const { objects, gc, Node } = setUp(p314);
    gc.disable();
    const kept = objects.new(Node);
    objects.setSlot(kept, 0, kept);
    gc.freeze();
    expect(gc.getFreezeCount()).toBe(1);
    objects.decref(kept);
    const a = objects.new(Node);
    objects.setSlot(a, 0, a);
    objects.decref(a);
    expect(gc.collect(2)).toBe(1);
    expect(objects.isAlive(kept)).toBe(true);
    gc.unfreeze();
    expect(gc.collect(2)).toBe(1);
    expect(objects.liveObjects).toBe(0);
  });

  it("schedules an increment when the young count passes threshold0 and runs it once the allocation completes", () => {
    const { objects, gc, Node } = setUp(p314);
    gc.setThreshold(3);
    const seen: string[] = [];
    gc.on("gc:start", (e) => seen.push(`gc ${e.generation}`));
    objects.on("object:alloc", () => seen.push("alloc"));
    for (let i = 0; i < 4; i++) objects.new(Node);
    expect(seen).toEqual(["alloc", "alloc", "alloc", "gc 1", "alloc"]);
  });

  it("marks global roots in the order added, then stack roots from the top down", () => {
    const { objects, gc, Node } = setUp(p314);
    gc.disable();
    const made = [0, 1, 2, 3].map(() => objects.new(Node));
    const [g1, g2, s1, s2] = made as [number, number, number, number];
    gc.addRoot(s1, "stack");
    gc.addRoot(g1);
    gc.addRoot(s2, "stack");
    gc.addRoot(g2, "global");
    gc.collect(1);
    expect(gc.objectsOf(1)).toEqual([g1, g2, s2, s1]);
    expect(gc.roots().map((r) => r.kind)).toEqual(["stack", "global", "stack", "global"]);
    for (const a of made) {
      gc.removeRoot(a);
      objects.decref(a);
    }
    expect(objects.liveObjects).toBe(0);
  });
});

describe("CycleCollector against an independent reachability model", () => {
  it.each([
    ["cpython-3.11", false],
    ["cpython-3.14.0", true],
  ] as const)(
    "%s: collect(2) never frees what an external reference reaches, and frees everything else",
    (name, useRoots) => {
      const op = fc.oneof(
        { weight: 3, arbitrary: fc.constant({ k: "new" as const }) },
        { weight: 5, arbitrary: fc.record({ k: fc.constant("set" as const), a: fc.nat(), s: fc.nat(1), b: fc.nat() }) },
        { weight: 2, arbitrary: fc.record({ k: fc.constant("drop" as const), a: fc.nat() }) },
        { weight: 1, arbitrary: fc.record({ k: fc.constant("collect" as const), g: fc.nat(2) }) },
      );
      fc.assert(
        fc.property(fc.array(op, { maxLength: 120 }), (ops) => {
          const { objects, gc, Node } = setUp(profiles[name]);
          gc.disable();
          // 3.14: every other external reference is held by a root (stack or global).
          const rootKind = (a: number) => (a % 48 === 0 ? "stack" : "global");
          const external = new Map<number, number>(); // address -> external references
          const all: number[] = [];
          for (const o of ops) {
            const held = [...external.keys()];
            if (o.k === "new") {
              const a = objects.new(Node);
              external.set(a, 1);
              all.push(a);
              if (useRoots && all.length % 2 === 0) {
                gc.addRoot(a, rootKind(a));
                objects.decref(a);
              }
            } else if (held.length === 0) {
              continue;
            } else if (o.k === "set") {
              const live = all.filter((x) => objects.isAlive(x));
              objects.setSlot(held[o.a % held.length] as number, o.s, live[o.b % live.length] as number);
            } else if (o.k === "drop") {
              const a = held[o.a % held.length] as number;
              external.delete(a);
              if (gc.roots().some((r) => r.address === a)) gc.removeRoot(a);
              else objects.decref(a);
            } else {
              gc.collect(o.g);
            }
            // Safety after every step: everything reachable from an external reference is alive.
            const reach = new Set<number>();
            const stack = [...external.keys()];
            while (stack.length > 0) {
              const x = stack.pop() as number;
              if (reach.has(x)) continue;
              reach.add(x);
              expect(objects.isAlive(x), "reachable objects are alive").toBe(true);
              for (let s = 0; s < 2; s++) {
                const c = objects.getSlot(x, s);
                if (c !== 0) stack.push(c);
              }
            }
          }
          // Completeness: a full collection leaves exactly the reachable objects.
          gc.collect(2);
          const reach = new Set<number>();
          const stack = [...external.keys()];
          while (stack.length > 0) {
            const x = stack.pop() as number;
            if (reach.has(x)) continue;
            reach.add(x);
            for (let s = 0; s < 2; s++) {
              const c = objects.getSlot(x, s);
              if (c !== 0) stack.push(c);
            }
          }
          expect(objects.liveObjects).toBe(reach.size);
          for (const a of external.keys()) {
            if (gc.roots().some((r) => r.address === a)) gc.removeRoot(a);
            else objects.decref(a);
          }
          gc.collect(2);
          expect(objects.liveObjects).toBe(0);
        }),
        { numRuns: 300 },
      );
    },
  );
});

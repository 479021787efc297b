import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createHeap, InvalidAddressError, profiles, RawAllocator, RefCounter } from "../../src/index.js";

function setUp(profile = profiles["cpython-3.11"]) {
  const { blocks } = createHeap({ profile });
  const objects = new RefCounter({ allocator: blocks });
  const Node = objects.defineType({ name: "Node", slots: 2, container: true });
  const Tuple = objects.defineType({ name: "Tuple", varSized: true, container: true, clearOrder: "reverse" });
  const Int = objects.defineType({ name: "Int", dataBytes: 8 });
  return { blocks, objects, Node, Tuple, Int };
}

describe("RefCounter", () => {
  it("lays objects out as 64-bit CPython: refcount and type at the address, PyGC_Head before containers", () => {
    const { blocks, objects, Node, Tuple, Int } = setUp();
    const n = objects.new(Node);
    const t = objects.new(Tuple, { size: 3 });
    const i = objects.new(Int);
    const mem = blocks.raw.memory;
    expect(mem.read64(n)).toBe(1);
    expect(mem.read64(n + 8)).toBe(Node.id);
    expect(mem.read64(n - 16)).toBe(0); // untracked
    expect(blocks.usableSize(n - 16)).toBe(48); // 16 gc head + 16 header + 2 slots = 48 bytes
    expect(mem.read64(t + 16)).toBe(3); // ob_size
    expect(blocks.usableSize(t - 16)).toBe(64); // 16 + 24 + 3 * 8 = 64
    expect(blocks.usableSize(i)).toBe(32); // 16 + 8, no gc head: class 1
    expect(objects.size(t)).toBe(3);
    expect(objects.typeOf(t)).toBe(Tuple);
  });

  it("setSlot increfs the new value before decrefing the old, so storing the same object is safe", () => {
    const { objects, Node } = setUp();
    const a = objects.new(Node);
    const b = objects.new(Node);
    objects.setSlot(a, 0, b);
    objects.decref(b);
    expect(objects.refcount(b)).toBe(1);
    objects.setSlot(a, 0, b);
    expect(objects.refcount(b)).toBe(1);
    expect(objects.isAlive(b)).toBe(true);
    objects.setSlot(a, 0, 0);
    expect(objects.isAlive(b)).toBe(false);
    expect(objects.getSlot(a, 0)).toBe(0);
  });

  it("a 10^6-long chain and a 10^6-wide fan-out are freed by one decref, all memory returned", () => {
    const { blocks, objects, Node, Tuple } = setUp();
    const before = blocks.allocatedBlocks();
    let head = objects.new(Node);
    for (let i = 1; i < 1_000_000; i++) {
      const n = objects.new(Node);
      objects.setSlot(n, 0, head);
      objects.decref(head);
      head = n;
    }
    objects.decref(head);
    expect(objects.liveObjects).toBe(0);
    expect(blocks.allocatedBlocks()).toBe(before);
    const fan = objects.new(Tuple, { size: 1_000_000 });
    for (let i = 0; i < 1_000_000; i++) {
      const n = objects.new(Node);
      objects.setSlot(fan, i, n);
      objects.decref(n);
    }
    objects.decref(fan);
    expect(objects.liveObjects).toBe(0);
    expect(blocks.allocatedBlocks()).toBe(before);
    blocks.validate();
  });

  it("a finalizer that resurrects keeps the object; it runs once; a later decref frees it", () => {
    const { blocks, objects } = setUp();
    const kept: number[] = [];
    let calls = 0;
    const Phoenix = objects.defineType({
      name: "Phoenix",
      slots: 1,
      container: true,
      finalize: (a) => {
        calls++;
        objects.incref(a);
        kept.push(a);
      },
    });
    const Leaf = objects.defineType({ name: "Leaf" });
    const p = objects.new(Phoenix);
    const leaf = objects.new(Leaf);
    objects.setSlot(p, 0, leaf);
    objects.decref(leaf);
    const seen: string[] = [];
    objects.on("object:finalize", () => seen.push("finalize"));
    objects.on("object:resurrect", (e) => seen.push(`resurrect ${e.refcount}`));
    objects.on("object:dealloc", (e) => seen.push(`dealloc ${e.type}`));
    objects.decref(p);
    expect(objects.isAlive(p)).toBe(true);
    expect(objects.isAlive(leaf)).toBe(true); // nothing was released
    expect(objects.refcount(p)).toBe(1);
    expect(objects.isFinalized(p)).toBe(true);
    expect(calls).toBe(1);
    objects.decref(kept.pop() as number);
    expect(calls).toBe(1);
    expect(objects.isAlive(p)).toBe(false);
    expect(objects.isAlive(leaf)).toBe(false);
    // Memory is freed after the references it held are released: the leaf goes first.
    expect(seen).toEqual(["finalize", "resurrect 1", "dealloc Leaf", "dealloc Phoenix"]);
    expect(blocks.allocatedBlocks()).toBe(0);
  });

  it("immortal objects (3.12+) ignore incref and decref and report CPython's value", () => {
    for (const [name, value] of [
      ["cpython-3.12", 4294967295],
      ["cpython-3.13", 4294967295],
      ["cpython-3.14.0", 3221225472],
      ["cpython-3.14", 3221225472],
    ] as const) {
      const { objects, Node } = setUp(profiles[name]);
      const a = objects.new(Node);
      objects.immortalize(a);
      objects.incref(a);
      objects.decref(a);
      objects.decref(a);
      expect(objects.refcount(a)).toBe(value);
      expect(objects.isImmortal(a)).toBe(true);
      const holder = objects.new(Node);
      objects.setSlot(holder, 0, a);
      objects.decref(holder);
      expect(objects.isAlive(a)).toBe(true);
    }
    const { objects, Node } = setUp(profiles["cpython-3.11"]);
    expect(() => objects.immortalize(objects.new(Node))).toThrow(/cpython-3\.11 has no immortal objects/);
  });

  it("bad input throws typed errors naming the value and changes nothing", () => {
    const { blocks, objects, Node, Int } = setUp();
    const a = objects.new(Node);
    const b = objects.new(Int);
    objects.decref(b);
    const snapshot = () => ({ live: objects.liveObjects, blocks: blocks.stats(), rc: objects.refcount(a) });
    const before = snapshot();
    expect(() => objects.decref(b)).toThrow(InvalidAddressError);
    expect(() => objects.incref(a + 16)).toThrow(/not a live object/);
    expect(() => objects.setSlot(a, 2, 0)).toThrow(/slot index 2 out of range for Node object with 2 slots/);
    expect(() => objects.setSlot(a, -1, 0)).toThrow(RangeError);
    expect(() => objects.setSlot(a, 0, 12345)).toThrow(/12345|0x3039/);
    expect(() => objects.getSlot(a, 1.5)).toThrow(/1\.5/);
    expect(() => objects.new({ ...Node })).toThrow(/not a type defined by this RefCounter/);
    expect(() => objects.new(Node, { size: 5 })).toThrow(/fixed 2 slots/);
    expect(() => objects.defineType({ name: "" })).toThrow(/name/);
    expect(() => objects.defineType({ name: "X", slots: -1 })).toThrow(/slots/);
    expect(() => objects.defineType({ name: "X", clearOrder: "sideways" as never })).toThrow(/clearOrder/);
    expect(() => new RefCounter({ allocator: {} as never })).toThrow(TypeError);
    expect(snapshot()).toEqual(before);
    blocks.validate();
  });

  it("a type name already defined on the RefCounter is a TypeError naming it; nothing is defined", () => {
    const { blocks, objects, Node } = setUp();
    const types = objects.types();
    const stats = blocks.stats();
    for (const spec of [
      { name: "Node", slots: 2, container: true },
      { name: "Node" },
      { name: "Int", finalize: () => {} },
    ]) {
      expect(() => objects.defineType(spec)).toThrow(TypeError);
      expect(() => objects.defineType(spec)).toThrow(
        `a type named "${spec.name}" is already defined on this RefCounter`,
      );
    }
    expect(objects.types()).toEqual(types);
    expect(blocks.stats()).toEqual(stats);
    // The types keep working; a new name is still welcome, and so is the same name on another RefCounter.
    expect(objects.typeOf(objects.new(Node))).toBe(Node);
    const Other = objects.defineType({ name: "node" });
    expect(objects.types()).toEqual([...types, Other]);
    expect(new RefCounter().defineType({ name: "Node" }).name).toBe("Node");
    // The built-in weakref and tuple types do not take their names from the user; a user's own tuple type may.
    const Tuple = objects.defineType({ name: "tuple", varSized: true, container: true, tupleLike: true });
    expect(objects.types().filter((t) => t.name === "tuple")).toHaveLength(2);
    expect(() => objects.defineType({ name: "tuple" })).toThrow(/"tuple" is already defined/);
    expect(objects.types().at(-1)).toBe(Tuple);
    blocks.validate();
  });

  it("places a pre-header before the gc head, and a weaklist in it, as 3.12+ lay out instances of classes", () => {
    const { blocks, objects } = setUp();
    const T = objects.defineType({
      name: "T",
      container: true,
      weakrefable: true,
      preHeaderBytes: 16,
      weaklistOffset: -32,
    });
    expect([T.preHeader, T.weaklistOffset, T.slotOffset]).toEqual([16, -32, 16]);
    const held = blocks.allocatedBlocks();
    const sizes: number[] = [];
    const off = objects.on("object:alloc", (e) => sizes.push(e.size));
    const t = objects.new(T);
    off();
    // The block holds the pre-header, the gc head and the header: the object is 32 bytes in, 48 asked for.
    expect(blocks.owns(t - 32)).toBe(true);
    expect(sizes).toEqual([48]);
    const ref = objects.weakref(t);
    objects.decref(t);
    expect(objects.weakrefTarget(ref)).toBe(0);
    objects.decref(ref);
    expect(blocks.allocatedBlocks()).toBe(held);
    blocks.validate();
    expect(() => objects.defineType({ name: "U", preHeaderBytes: 12 })).toThrow(/12/);
    expect(() => objects.defineType({ name: "U", container: true, weakrefable: true, weaklistOffset: -8 })).toThrow(
      /-8/,
    );
    expect(() => objects.defineType({ name: "U", weaklistOffset: 16 })).toThrow(/weakrefable/);
  });

  it("weak references: shared when callback-less, cleared when the target dies, callbacks newest first", () => {
    const { blocks, objects } = setUp();
    const T = objects.defineType({ name: "T", weakrefable: true, container: true });
    const t = objects.new(T);
    const order: string[] = [];
    const a = objects.weakref(t, (w) => order.push(`a ${objects.weakrefTarget(w)}`));
    const basic = objects.weakref(t);
    const b = objects.weakref(t, () => order.push("b"));
    expect(objects.weakref(t)).toBe(basic);
    expect(objects.refcount(basic)).toBe(2);
    expect(objects.weakrefsOf(t)).toEqual([basic, b, a]);
    expect(objects.weakrefTarget(a)).toBe(t);
    // A weak reference that dies first leaves its target's list.
    const c = objects.weakref(t, () => order.push("c"));
    objects.decref(c);
    expect(objects.weakrefsOf(t)).toEqual([basic, b, a]);
    objects.decref(t);
    expect(order).toEqual(["b", "a 0"]);
    expect(objects.weakrefTarget(basic)).toBe(0);
    for (const w of [a, basic, basic, b]) objects.decref(w);
    expect(objects.liveObjects).toBe(0);
    expect(blocks.allocatedBlocks()).toBe(0);
    const Plain = objects.defineType({ name: "Plain" });
    expect(() => objects.weakref(objects.new(Plain))).toThrow(/cannot create weak reference to 'Plain' object/);
    expect(() => objects.weakrefTarget(objects.new(Plain))).toThrow(/not a weakref/);
  });

  it("an error thrown by a finalizer or a callback surfaces after the deallocation completed", () => {
    const { blocks, objects } = setUp();
    const T = objects.defineType({
      name: "T",
      weakrefable: true,
      slots: 1,
      container: true,
      finalize: () => {
        throw new Error("finalizer failed");
      },
    });
    const t = objects.new(T);
    const child = objects.new(T);
    objects.setSlot(t, 0, child);
    objects.decref(child);
    expect(() => objects.decref(t)).toThrow("finalizer failed");
    expect(objects.liveObjects).toBe(0);
    expect(blocks.allocatedBlocks()).toBe(0);
    blocks.validate();
  });

  it("list-like objects keep their items in a block of their own and release them last first", () => {
    const { blocks, objects } = setUp();
    const order: number[] = [];
    const List = objects.defineType({ name: "list", listLike: true, container: true });
    const Item = objects.defineType({ name: "Item", dataBytes: 8, finalize: (a) => order.push(a) });
    const empty = objects.new(List);
    expect(blocks.usableSize(empty - 16)).toBe(64); // a 56-byte request, as CPython's []
    const l = objects.new(List, { size: 2 });
    expect(objects.capacity(l)).toBe(2);
    const items = [0, 1, 2, 3, 4].map(() => objects.new(Item));
    objects.setSlot(l, 0, items[0] as number);
    objects.setSlot(l, 1, items[1] as number);
    for (const it of items.slice(2)) objects.append(l, it);
    expect(objects.size(l)).toBe(5);
    expect(objects.capacity(l)).toBe(8);
    for (const it of items) objects.decref(it);
    const popped = objects.pop(l);
    expect(popped).toBe(items[4]);
    expect(objects.refcount(popped)).toBe(1);
    objects.decref(popped);
    expect(() => objects.pop(empty)).toThrow(/empty/);
    expect(() => objects.append(objects.new(Item), l)).toThrow(/list-like/);
    order.length = 0;
    objects.decref(l);
    expect(order).toEqual([items[3], items[2], items[1], items[0]]);
    objects.decref(empty);
    expect(blocks.allocatedBlocks()).toBe(1); // the Item made for the append that failed
  });

  it("works over a RawAllocator too", () => {
    const raw = new RawAllocator();
    const objects = new RefCounter({ allocator: raw });
    const T = objects.defineType({ name: "T", slots: 1, container: true });
    const a = objects.new(T);
    objects.setSlot(a, 0, objects.new(T));
    objects.decref(objects.getSlot(a, 0));
    objects.decref(a);
    expect(raw.stats().liveBlocks).toBe(0);
  });

  it("events cost nothing unlistened and report refcounts when listened", () => {
    const { objects, Node } = setUp();
    const seen: string[] = [];
    const off = objects.on("object:incref", (e) => seen.push(`+${e.refcount}`));
    objects.on("object:decref", (e) => seen.push(`-${e.refcount}`));
    objects.on("object:alloc", (e) => seen.push(`alloc ${e.type} ${e.size}`));
    const a = objects.new(Node);
    objects.incref(a);
    off();
    objects.incref(a);
    objects.decref(a);
    expect(seen).toEqual(["alloc Node 48", "+2", "-2"]);
  });
  it("every dead object's last decref is reported before its dealloc, the trashcan's held frames (3.8) included", () => {
    const { objects } = setUp(profiles["cpython-3.8"]);
    // Finalizers in a chain deeper than the trashcan's nesting: 3.8 deposits frames that hold objects.
    const Del = objects.defineType({ name: "Del", slots: 1, container: true, finalize: () => {} });
    let head = objects.new(Del);
    const all = [head];
    for (let i = 1; i < 500; i++) {
      const n = objects.new(Del);
      objects.setSlot(n, 0, head);
      objects.decref(head);
      head = n;
      all.push(n);
    }
    const order: string[] = [];
    objects.on("object:decref", (e) => {
      if (e.refcount === 0) order.push(`0 ${e.address}`);
    });
    objects.on("object:resurrect", (e) => order.push(`resurrect ${e.address}`));
    objects.on("object:dealloc", (e) => order.push(`dealloc ${e.address}`));
    objects.decref(head);
    expect(objects.liveObjects).toBe(0);
    let held = 0;
    for (const a of all) {
      const dealloc = order.indexOf(`dealloc ${a}`);
      const revived = order.lastIndexOf(`resurrect ${a}`);
      // Held by a finalizer's frame, the object comes back; the frame's release is its last decref.
      if (revived >= 0) held++;
      const zero = order.lastIndexOf(`0 ${a}`);
      expect(zero, `the decref that kills ${a}`).toBeGreaterThan(revived);
      expect(dealloc).toBeGreaterThan(zero);
    }
    expect(held, "objects held by deposited frames").toBeGreaterThan(0);
  });
});

describe("RefCounter against a reference model", () => {
  it("the same objects are alive after every step of random acyclic programs; all memory returns at the end", () => {
    const op = fc.oneof(
      { weight: 3, arbitrary: fc.record({ k: fc.constant("new" as const), size: fc.integer({ min: 0, max: 4 }) }) },
      { weight: 4, arbitrary: fc.record({ k: fc.constant("set" as const), a: fc.nat(), slot: fc.nat(), b: fc.nat() }) },
      { weight: 1, arbitrary: fc.record({ k: fc.constant("clear" as const), a: fc.nat(), slot: fc.nat() }) },
      { weight: 2, arbitrary: fc.record({ k: fc.constant("incref" as const), a: fc.nat() }) },
      { weight: 3, arbitrary: fc.record({ k: fc.constant("decref" as const), a: fc.nat() }) },
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 150 }), (ops) => {
        const { blocks, objects, Tuple } = setUp();
        const start = blocks.stats().poolBlocksInUse;
        // Model: per object, its external references, its slots, and its creation rank (slots point to older objects only).
        interface M {
          ext: number;
          slots: (number | 0)[];
          rank: number;
        }
        const model = new Map<number, M>();
        let rank = 0;
        const refs = (target: number) => {
          let n = model.get(target)?.ext ?? 0;
          for (const m of model.values()) for (const s of m.slots) if (s === target) n++;
          return n;
        };
        const collect = () => {
          for (let changed = true; changed; ) {
            changed = false;
            for (const a of [...model.keys()]) {
              if (refs(a) === 0) {
                model.delete(a);
                changed = true;
              }
            }
          }
        };
        const held = () => [...model.entries()].filter(([, m]) => m.ext > 0).map(([a]) => a);
        for (const o of ops) {
          const h = held();
          if (o.k === "new") {
            const a = objects.new(Tuple, { size: o.size });
            model.set(a, { ext: 1, slots: new Array(o.size).fill(0), rank: rank++ });
          } else if (h.length === 0) {
            continue;
          } else if (o.k === "set" || o.k === "clear") {
            const a = h[o.a % h.length] as number;
            const m = model.get(a) as M;
            if (m.slots.length === 0) continue;
            const slot = o.slot % m.slots.length;
            let b = 0;
            if (o.k === "set") {
              const older = [...model.entries()].filter(([, x]) => x.rank < m.rank).map(([x]) => x);
              if (older.length === 0) continue;
              b = older[o.b % older.length] as number;
            }
            objects.setSlot(a, slot, b);
            m.slots[slot] = b;
          } else if (o.k === "incref") {
            const a = h[o.a % h.length] as number;
            objects.incref(a);
            (model.get(a) as M).ext++;
          } else {
            const a = h[o.a % h.length] as number;
            objects.decref(a);
            (model.get(a) as M).ext--;
          }
          collect();
          expect(objects.liveObjects).toBe(model.size);
          for (const [a] of model) {
            expect(objects.isAlive(a)).toBe(true);
            expect(objects.refcount(a)).toBe(refs(a));
          }
        }
        for (const a of held()) for (let n = (model.get(a) as M).ext; n > 0; n--) objects.decref(a);
        expect(objects.liveObjects).toBe(0);
        expect(blocks.stats().poolBlocksInUse).toBe(start);
        blocks.validate();
      }),
      { numRuns: 300 },
    );
  });
});

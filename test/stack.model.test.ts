/**
 * Model-based test of the whole stack (raw + blocks + objects + gc + debug
 * hooks): fast-check runs random sequences of valid and invalid commands
 * against a small model of what the user holds. Valid commands must do what
 * the model says; invalid ones must throw a typed error and change nothing;
 * every layer validates after every command.
 */
import { fc } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import {
  BlockAllocator,
  CycleCollector,
  DebugAllocator,
  DoubleFreeError,
  HeapCorruptionError,
  InvalidAddressError,
  type ObjectType,
  type ProfileName,
  profiles,
  RawAllocator,
  RefCounter,
} from "../src/index.js";
import { expectSameState, stackState } from "./support/stack-state.js";

interface Real {
  raw: RawAllocator;
  blocks: BlockAllocator;
  objects: RefCounter;
  gc: CycleCollector;
  debug: DebugAllocator;
  Node: ObjectType;
}

/** What the user holds: blocks (with the byte written at each end), debug blocks, object references. */
interface Model {
  blocks: Array<{ p: number; size: number; tag: number }>;
  debug: Array<{ p: number; size: number }>;
  objects: number[];
  freed: number[];
}

type Cmd = fc.Command<Model, Real>;

function checkAll(m: Model, r: Real): void {
  r.raw.validate();
  r.blocks.validate();
  for (const b of m.blocks) {
    expect(r.blocks.usableSize(b.p)).toBeGreaterThanOrEqual(b.size);
    if (b.size > 0) expect([r.raw.u8[b.p], r.raw.u8[b.p + b.size - 1]]).toEqual([b.tag, b.tag]);
  }
  for (const d of m.debug) r.debug.checkAddress(d.p);
  for (const o of m.objects) expect(r.objects.isAlive(o)).toBe(true);
}

/** An invalid call: must throw `type` and leave every byte and number as it was. */
function refused(r: Real, f: () => unknown, ...types: Array<new (...a: never[]) => Error>): void {
  const before = stackState(r);
  let thrown: unknown;
  try {
    f();
  } catch (e) {
    thrown = e;
  }
  expect(
    types.some((t) => thrown instanceof t),
    `threw ${String(thrown)}`,
  ).toBe(true);
  expectSameState(before, stackState(r));
}

const tagOf = (n: number) => (n * 37 + 11) & 255;

const commands = [
  fc.integer({ min: 0, max: 2000 }).map(
    (size): Cmd => ({
      check: () => true,
      run(m, r) {
        const p = r.blocks.malloc(size);
        expect(m.blocks.some((b) => b.p === p)).toBe(false);
        const tag = tagOf(p + size);
        if (size > 0) {
          r.raw.u8[p] = tag;
          r.raw.u8[p + size - 1] = tag;
        }
        m.blocks.push({ p, size, tag });
        m.freed = m.freed.filter((f) => f !== p);
        checkAll(m, r);
      },
      toString: () => `malloc(${size})`,
    }),
  ),
  fc.tuple(fc.nat(), fc.integer({ min: 0, max: 2000 })).map(
    ([i, size]): Cmd => ({
      check: (m) => m.blocks.length > 0,
      run(m, r) {
        const k = i % m.blocks.length;
        const b = m.blocks[k] as Model["blocks"][number];
        const q = r.blocks.realloc(b.p, size);
        // The first byte survives a realloc; so does the last, when the block does not shrink below it.
        if (size > 0 && b.size > 0) expect(r.raw.u8[q]).toBe(b.tag);
        const tag = tagOf(q + size);
        if (size > 0) {
          r.raw.u8[q] = tag;
          r.raw.u8[q + size - 1] = tag;
        }
        if (q !== b.p) m.freed.push(b.p);
        m.blocks[k] = { p: q, size, tag };
        m.freed = m.freed.filter((f) => f !== q);
        checkAll(m, r);
      },
      toString: () => `realloc(#${i}, ${size})`,
    }),
  ),
  fc.nat().map(
    (i): Cmd => ({
      check: (m) => m.blocks.length > 0,
      run(m, r) {
        const [b] = m.blocks.splice(i % m.blocks.length, 1) as [Model["blocks"][number]];
        r.blocks.free(b.p);
        m.freed.push(b.p);
        checkAll(m, r);
      },
      toString: () => `free(#${i})`,
    }),
  ),
  fc.integer({ min: 0, max: 1500 }).map(
    (size): Cmd => ({
      check: () => true,
      run(m, r) {
        m.debug.push({ p: r.debug.malloc(size), size });
        checkAll(m, r);
      },
      toString: () => `debug.malloc(${size})`,
    }),
  ),
  fc.tuple(fc.nat(), fc.integer({ min: 0, max: 1500 })).map(
    ([i, size]): Cmd => ({
      check: (m) => m.debug.length > 0,
      run(m, r) {
        const k = i % m.debug.length;
        m.debug[k] = { p: r.debug.realloc((m.debug[k] as { p: number }).p, size), size };
        checkAll(m, r);
      },
      toString: () => `debug.realloc(#${i}, ${size})`,
    }),
  ),
  fc.nat().map(
    (i): Cmd => ({
      check: (m) => m.debug.length > 0,
      run(m, r) {
        const [d] = m.debug.splice(i % m.debug.length, 1) as [{ p: number; size: number }];
        r.debug.free(d.p);
        // Freed through the hooks, the block is 0xDD: a second free is caught as corruption.
        refused(r, () => r.debug.free(d.p), HeapCorruptionError);
        checkAll(m, r);
      },
      toString: () => `debug.free(#${i}) twice`,
    }),
  ),
  fc.constant<Cmd>({
    check: () => true,
    run(m, r) {
      m.objects.push(r.objects.new(r.Node));
      checkAll(m, r);
    },
    toString: () => "new(Node)",
  }),
  fc.tuple(fc.nat(), fc.nat(1), fc.nat()).map(
    ([i, slot, j]): Cmd => ({
      check: (m) => m.objects.length > 0,
      run(m, r) {
        const a = m.objects[i % m.objects.length] as number;
        const b = m.objects[j % m.objects.length] as number;
        r.objects.setSlot(a, slot, b);
        expect(r.objects.getSlot(a, slot)).toBe(b);
        checkAll(m, r);
      },
      toString: () => `setSlot(#${i}, ${slot}, #${j})`,
    }),
  ),
  fc.nat().map(
    (i): Cmd => ({
      check: (m) => m.objects.length > 0,
      run(m, r) {
        const [o] = m.objects.splice(i % m.objects.length, 1) as [number];
        r.objects.decref(o);
        checkAll(m, r);
      },
      toString: () => `decref(#${i})`,
    }),
  ),
  fc.nat(2).map(
    (g): Cmd => ({
      check: () => true,
      run(m, r) {
        r.gc.collect(g);
        checkAll(m, r);
      },
      toString: () => `collect(${g})`,
    }),
  ),
  // Invalid calls, mixed in.
  fc.constantFrom(-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 60, "8" as unknown as number).map(
    (bad): Cmd => ({
      check: () => true,
      run(_m, r) {
        refused(r, () => r.blocks.malloc(bad), RangeError, TypeError);
        refused(r, () => r.debug.malloc(bad), RangeError, TypeError);
      },
      toString: () => `malloc(${String(bad)}) refused`,
    }),
  ),
  fc.nat().map(
    (i): Cmd => ({
      check: (m) => m.freed.length > 0,
      run(m, r) {
        const p = m.freed[i % m.freed.length] as number;
        // A freed address may since have become another block (an object's, the debug allocator's).
        if (r.blocks.isLive(p)) return;
        refused(r, () => r.blocks.free(p), DoubleFreeError, InvalidAddressError);
        refused(r, () => r.blocks.realloc(p, 8), DoubleFreeError, InvalidAddressError);
      },
      toString: () => `free(freed #${i}) refused`,
    }),
  ),
  fc.nat().map(
    (i): Cmd => ({
      check: (m) => m.blocks.length > 0,
      run(m, r) {
        const b = m.blocks[i % m.blocks.length] as Model["blocks"][number];
        // Inside the block, not its start.
        refused(r, () => r.blocks.free(b.p + 8), InvalidAddressError);
      },
      toString: () => `free(interior of #${i}) refused`,
    }),
  ),
  fc.tuple(fc.nat(), fc.integer({ min: 2, max: 5 })).map(
    ([i, slot]): Cmd => ({
      check: (m) => m.objects.length > 0,
      run(m, r) {
        const o = m.objects[i % m.objects.length] as number;
        refused(r, () => r.objects.setSlot(o, slot, 0), RangeError);
        refused(r, () => r.objects.incref(o + 8), InvalidAddressError);
      },
      toString: () => `setSlot(#${i}, ${slot}) refused`,
    }),
  ),
];

describe("the whole stack under random valid and invalid commands", () => {
  for (const name of ["cpython-3.8", "cpython-3.11", "cpython-3.14.0"] as ProfileName[]) {
    it(`${name}: every command does what the model says or is refused without a trace; every layer validates`, () => {
      fc.assert(
        fc.property(fc.commands(commands, { maxCommands: 200, size: "large" }), (cmds) => {
          const blocks = new BlockAllocator({ raw: new RawAllocator(), profile: profiles[name] });
          const objects = new RefCounter({ allocator: blocks });
          const gc = new CycleCollector({ objects });
          const debug = new DebugAllocator({ allocator: blocks });
          const Node = objects.defineType({ name: "Node", slots: 2, container: true });
          const real: Real = { raw: blocks.raw, blocks, objects, gc, debug, Node };
          fc.modelRun(() => ({ model: { blocks: [], debug: [], objects: [], freed: [] }, real }), cmds);
        }),
        { numRuns: 100 },
      );
    });
  }
});

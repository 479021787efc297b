/**
 * Every layer declares which of its fields are state (what a snapshot copies)
 * and which are not. These tests keep the declarations honest: a field added
 * to a layer, or state moved into a new helper object, fails here until it is
 * declared one way or the other, so nothing falls out of snapshots unnoticed.
 */
import { describe, expect, it } from "vitest";
import {
  BlockAllocator,
  CycleCollector,
  DebugAllocator,
  type ProfileName,
  profiles,
  RawAllocator,
  RefCounter,
  snapshot,
} from "../../src/index.js";
import { EMITTER_FIELDS, type LayerRecord, layerOf, undeclaredFields } from "../../src/internal/layer-state.js";

/** Layers of every kind, under profiles of each arena map and each collector, after some work. */
function layers(name: ProfileName): object[] {
  const raw = new RawAllocator({ maxBytes: 1 << 26 });
  const blocks = new BlockAllocator({ raw, profile: profiles[name] });
  const objects = new RefCounter({ allocator: blocks });
  const gc = new CycleCollector({ objects });
  const debug = new DebugAllocator({ allocator: blocks, serialNumbers: true });
  const T = objects.defineType({ name: "T", slots: 2, container: true, weakrefable: true, finalize: () => {} });
  const a = objects.new(T);
  const b = objects.new(T);
  objects.setSlot(a, 0, b);
  objects.setSlot(b, 0, a);
  objects.weakref(a, () => {});
  gc.addRoot(b, "stack");
  gc.removeRoot(b);
  objects.decref(a);
  objects.decref(b);
  gc.collect();
  debug.free(debug.malloc(1000));
  blocks.free(blocks.malloc(100_000));
  const other = new RawAllocator({ maxBytes: 1 << 26, checked: false, reserve: true });
  const placed = new BlockAllocator({
    raw: other,
    profile: profiles[name],
    arenaAllocator: { alloc: (size) => other.allocAligned(size, 4096), free: (address) => other.free(address) },
  });
  placed.free(placed.malloc(8));
  const onRaw = new RefCounter({ allocator: other });
  onRaw.decref(onRaw.new(onRaw.defineType({ name: "L", listLike: true, container: true })));
  return [raw, blocks, objects, gc, debug, other, placed, onRaw];
}

const NAMES: ProfileName[] = ["cpython-3.8", "cpython-3.11", "cpython-3.13", "cpython-3.14.0", "cpython-3.14"];

function records(name: ProfileName): LayerRecord[] {
  return layers(name).map((l) => layerOf(l) as LayerRecord);
}

describe("layer declarations", () => {
  it("every pymem layer declares itself", () => {
    for (const name of NAMES) expect(records(name).every((r) => r !== undefined)).toBe(true);
  });

  it("every own field of every part is declared state or fixed", () => {
    const missing: string[] = [];
    for (const name of NAMES) {
      for (const r of records(name)) {
        for (const part of r.parts) {
          for (const f of undeclaredFields(part)) missing.push(`${name} ${r.kind} ${part.owner.constructor.name}.${f}`);
        }
      }
    }
    expect([...new Set(missing)]).toEqual([]);
  });

  it("declares no field a part does not have, and none as both state and fixed", () => {
    const wrong: string[] = [];
    for (const name of NAMES) {
      for (const r of records(name)) {
        for (const part of r.parts) {
          const who = `${r.kind} ${part.owner.constructor.name}`;
          for (const f of [...part.state, ...part.fixed]) {
            if (!Object.hasOwn(part.owner, f)) wrong.push(`${who} declares ${f}, which it does not have`);
          }
          for (const f of part.state) {
            if (part.fixed.includes(f) || EMITTER_FIELDS.includes(f)) wrong.push(`${who} declares ${f} twice`);
          }
        }
      }
    }
    expect([...new Set(wrong)]).toEqual([]);
  });

  it("counts the layers built on each one, through debug layers", () => {
    const raw = new RawAllocator();
    const blocks = new BlockAllocator({ raw });
    const debug = new DebugAllocator({ allocator: blocks });
    expect(layerOf(blocks)?.above).toBe(0);
    const objects = new RefCounter({ allocator: debug });
    expect(layerOf(debug)?.above).toBe(1);
    expect(layerOf(blocks)?.above).toBe(1);
    expect(layerOf(raw)?.above).toBe(1);
    new CycleCollector({ objects });
    expect(layerOf(objects)?.above).toBe(1);
  });

  it("counts a layer built on a user's own allocator on the raw allocator under it", () => {
    const raw = new RawAllocator();
    const blocks = new BlockAllocator({ raw });
    const mine = {
      raw,
      malloc: (n: number) => blocks.malloc(n),
      calloc: (n: number, e: number) => blocks.calloc(n, e),
      realloc: (p: number, n: number) => blocks.realloc(p, n),
      free: (p: number) => blocks.free(p),
      owns: (p: number) => blocks.owns(p),
      usableSize: (p: number) => blocks.usableSize(p),
      validate: () => blocks.validate(),
      stats: () => blocks.stats(),
    };
    new RefCounter({ allocator: mine });
    expect(layerOf(raw)?.above).toBe(2);
    // Its objects live in that memory: a snapshot of the allocators alone would fall out of step with them.
    expect(() => snapshot({ raw, blocks })).toThrow(/leaves out a layer built on its allocators/);
  });
});

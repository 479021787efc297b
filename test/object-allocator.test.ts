/**
 * ObjectAllocator: pymem's allocators implement it, and an allocator a user
 * writes (here one that counts calls and hands each to a BlockAllocator)
 * carries RefCounter, the cycle collector and trace replay exactly as
 * pymalloc itself does: the gc programs collect as the real CPython did
 * (golden hashes of its logs), and a recorded trace ends with the real
 * CPython's stats report.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import {
  type BlockAllocator,
  CycleCollector,
  createHeap,
  DebugAllocator,
  type ObjectAllocator,
  type ProfileName,
  parseTrace,
  profiles,
  RawAllocator,
  RefCounter,
  replayTrace,
} from "../src/index.js";
import { collectorViewOf } from "../src/objects/ref-counter.js";
import { generateGcProgram, runGcWithPymem } from "./gc/gc-programs.js";

const root = fileURLToPath(new URL("../", import.meta.url));

/** A user's allocator: counts every call by name and delegates it to pymalloc; no pymem class involved. */
function counting(blocks: BlockAllocator, calls: Record<string, number>): ObjectAllocator {
  const count = (name: string) => {
    calls[name] = (calls[name] ?? 0) + 1;
  };
  return {
    raw: blocks.raw,
    profile: blocks.profile,
    malloc(size) {
      count("malloc");
      return blocks.malloc(size);
    },
    calloc(nelem, elsize) {
      count("calloc");
      return blocks.calloc(nelem, elsize);
    },
    realloc(address, size) {
      count("realloc");
      return blocks.realloc(address, size);
    },
    free(address) {
      count("free");
      blocks.free(address);
    },
    owns: (address) => blocks.owns(address),
    usableSize: (address) => blocks.usableSize(address),
    validate: () => blocks.validate(),
    stats: () => blocks.stats(),
    debugMallocStats: () => blocks.debugMallocStats(),
    mallocStats: () => blocks.mallocStats(),
  };
}

const hash = (log: string[]) => createHash("sha256").update(JSON.stringify(log)).digest("hex");

describe("ObjectAllocator", () => {
  it("is what pymem's allocators are", () => {
    const raw = new RawAllocator();
    const { blocks } = createHeap();
    const all: ObjectAllocator[] = [raw, blocks, new DebugAllocator({ allocator: blocks })];
    expect(all.map((a) => a.raw)).toEqual([raw, blocks.raw, blocks.raw]);
    expect(raw.stats().allocatedBlocks).toBe(0);
    const p = raw.malloc(100);
    expect(raw.owns(p) && raw.stats().allocatedBlocks === 1).toBe(true);
  });

  for (const version of ["3.8", "3.11", "3.13"]) {
    it(`carries RefCounter and the gc through a user's wrapper: 100 programs collect as CPython ${version} did`, () => {
      const golden: string[] = JSON.parse(readFileSync(`${root}test/gc/golden/gc-${version}.json`, "utf8"));
      const profile = profiles[`cpython-${version}` as ProfileName];
      const calls: Record<string, number> = {};
      for (let k = 0; k < 100; k++) {
        const program = generateGcProgram(k, 60 + (k % 5) * 60);
        const log = runGcWithPymem(program, profile, { locals: false }, (blocks) => counting(blocks, calls));
        expect(hash(log), `program ${k}`).toBe(golden[k]);
      }
      // Every object block came through the wrapper, and every freed one went back through it.
      expect(calls.malloc).toBeGreaterThan(10_000);
      expect(calls.free).toBeGreaterThan(5_000);
    });
  }

  it("replays a recorded trace through a user's wrapper to the real CPython 3.11's report", async () => {
    const golden = JSON.parse(readFileSync(`${root}test/oracle/golden/pymalloc-3.11.json`, "utf8"));
    const trace = parseTrace(gunzipSync(readFileSync(`${root}cli/traces/startup.trace.gz`)));
    const calls: Record<string, number> = {};
    const { blocks } = createHeap({ profile: "cpython-3.11" });
    const summary = await replayTrace(trace, counting(blocks, calls), { keepCheckpoints: true, sampleEvery: 5000 });
    expect(summary.checkpointStats?.at(-1)?.stats).toBe(golden["final-stats:startup"]);
    expect(calls.malloc).toBe(summary.mallocs);
    expect(calls.free).toBe(summary.frees);
    // The replay learns the rest from the interface: arenas, pools and the raw allocator's bytes.
    expect(summary.arenasHighwater).toBe(blocks.stats().arenasHighwater);
    expect(summary.series?.some((s) => s.arenas > 0 && s.rawBytes > 0 && s.blockBytes > 0)).toBe(true);
  });

  it("takes objects in a DebugAllocator: each object's block carries the hooks' pads", () => {
    const { blocks, raw } = createHeap({ profile: "cpython-3.11" });
    const debug = new DebugAllocator({ allocator: blocks });
    const objects = new RefCounter({ allocator: debug });
    const gc = new CycleCollector({ objects });
    expect(objects.profile).toBe(blocks.profile);
    const Node = objects.defineType({ name: "Node", slots: 1, container: true });
    const a = objects.new(Node);
    objects.setSlot(a, 0, a);
    const block = a - blocks.profile.gcHeadSize;
    expect(raw.u8[block - 8]).toBe(0x6f); // the object domain's id, 'o'
    expect(debug.requestedSize(block)).toBe(16 + 16 + 8);
    objects.decref(a);
    expect(gc.collect()).toBe(1);
    // Freed through the hooks: the block is filled with DEADBYTE.
    expect(raw.u8[block]).toBe(0xdd);
    debug.validate();
  });

  it("frees an object whose block the debug hooks refuse, reports it once the deallocation is done, and goes on", () => {
    const heap = createHeap({ profile: "cpython-3.11" });
    const debug = new DebugAllocator({ allocator: heap.blocks });
    const objects = new RefCounter({ allocator: debug });
    const T = objects.defineType({ name: "T", slots: 1, container: true, dataBytes: 8 });
    const a = objects.new(T);
    const b = objects.new(T);
    objects.setSlot(a, 0, b);
    objects.decref(b);
    const base = a - 16;
    heap.raw.u8[base + debug.requestedSize(base)] = 0; // a's object wrote one byte past its end
    const freed: number[] = [];
    objects.on("object:dealloc", (e) => freed.push(e.address));
    expect(() => objects.decref(a)).toThrow(/bad trailing pad byte/);
    // Both died, in CPython's order; nothing is left half-done: no frame, no hold.
    expect(freed).toEqual([b, a]);
    expect(objects.isAlive(a) || objects.isAlive(b)).toBe(false);
    expect(collectorViewOf(objects)?.isDeallocating()).toBe(false);
    objects.on("object:alloc", () => {
      throw new Error("listener");
    });
    // A listener's error comes out at once: the hooks' failure left no hold behind.
    expect(() => objects.new(T)).toThrow("listener");
    heap.blocks.validate();
  });

  it("releases what it holds when an automatic collection's finalizer fails inside new()", () => {
    for (const profile of ["cpython-3.11", "cpython-3.12"] as const) {
      const { objects, gc, blocks } = createHeap({ profile });
      gc.setThreshold(1);
      const F = objects.defineType({
        name: "F",
        slots: 1,
        container: true,
        finalize: () => {
          throw new Error("finalizer");
        },
      });
      const N = objects.defineType({ name: "N", slots: 1, container: true });
      const f = objects.new(F);
      objects.setSlot(f, 0, f);
      objects.decref(f);
      let error: unknown;
      for (let i = 0; i < 5 && error === undefined; i++) {
        try {
          objects.new(N);
        } catch (e) {
          error = e;
        }
      }
      expect(String(error)).toMatch(/finalizer/);
      blocks.on("block:alloc", () => {
        throw new Error("listener");
      });
      // Nothing is still held: the next listener error surfaces from the call that raised it.
      expect(() => blocks.malloc(8)).toThrow("listener");
      blocks.validate();
    }
  });

  it("puts the debug hooks around a user's allocator as it is: one guarded block per request, large ones too", () => {
    const { blocks, raw } = createHeap({ profile: "cpython-3.11" });
    const calls: Record<string, number> = {};
    const debug = new DebugAllocator({ allocator: counting(blocks, calls) });
    expect(debug.domain).toBe("object");
    const p = debug.malloc(1000);
    // The request went to the wrapper once, pads included: no raw debug block nested inside, as pymalloc's has.
    expect(calls.malloc).toBe(1);
    expect(blocks.usableSize(p - 16)).toBeGreaterThanOrEqual(1000 + 24);
    expect(raw.u8[p - 8]).toBe(0x6f);
    // owns() is the wrapped allocator's answer for the block: pymalloc's address_in_range, so a large one is not.
    expect([debug.owns(p), debug.owns(debug.malloc(16))]).toEqual([false, true]);
    expect(debug.usableSize(p)).toBe(1000);
    debug.free(p);
    expect(calls.free).toBe(1);
    expect(calls.malloc).toBe(2);
    debug.validate();
  });

  it("refuses what is not an allocator, naming what it lacks", () => {
    const { blocks } = createHeap();
    expect(() => new RefCounter({ allocator: { ...counting(blocks, {}), free: undefined } as never })).toThrow(
      /no free\(\) method/,
    );
    expect(() => new RefCounter({ allocator: { ...counting(blocks, {}), raw: undefined } as never })).toThrow(
      /no raw allocator/,
    );
  });
});

import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { fc } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { createHeap, parseTrace, replayTrace, TraceError, TracePlayer } from "../../src/index.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const text = gunzipSync(readFileSync(`${root}cli/traces/startup.trace.gz`)).toString("utf8");
const lines = text.split("\n").filter((l) => l !== "");
const body = lines.filter((l) => !l.startsWith("#"));
const trace = parseTrace(text);

describe("TracePlayer", () => {
  it("at any position, after any walk back and forth, holds the heap a replay of that prefix builds", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: body.length }), { minLength: 1, maxLength: 4 }), (walk) => {
        const heap = createHeap({ profile: "cpython-3.11" });
        const player = new TracePlayer(trace, heap, { keyframes: 8 });
        for (const to of walk) {
          player.seek(to);
          expect(player.position).toBe(to);
          const fresh = createHeap({ profile: "cpython-3.11" });
          const fromScratch = new TracePlayer(trace, fresh);
          // Forward only, from the start: no keyframe is ever restored.
          for (let i = 0; i < to; i++) fromScratch.step();
          expect(heap.blocks.debugMallocStats()).toBe(fresh.blocks.debugMallocStats());
          expect(heap.raw.stats()).toEqual(fresh.raw.stats());
          for (let i = 0; i < to; i++) {
            const id = trace.ops.id[i] as number;
            expect(player.addressOf(id)).toBe(fromScratch.addressOf(id));
          }
          heap.blocks.validate();
          heap.raw.validate();
        }
      }),
      { numRuns: 6 },
    );
    // The forward-only player itself agrees with replayTrace on the whole trace.
    const a = createHeap({ profile: "cpython-3.11" });
    replayTrace(trace, a.blocks);
    const b = createHeap({ profile: "cpython-3.11" });
    new TracePlayer(trace, b).seek(trace.ops.length);
    expect(b.blocks.debugMallocStats()).toBe(a.blocks.debugMallocStats());
  });

  it("says what each op did: its line, kind, ID, size and addresses", () => {
    const heap = createHeap({ profile: "cpython-3.11" });
    const player = new TracePlayer(parseTrace("# python: 3.11\nm 0 24\nc 1 3 8\nr 0 100\ns\nf 1\n"), heap);
    const steps = [player.step(), player.step(), player.step(), player.step(), player.step()];
    expect(player.step()).toBeUndefined();
    expect(player.atEnd).toBe(true);
    expect(steps.map((s) => [s?.line, s?.op, s?.id, s?.size, s?.text])).toEqual([
      [2, "malloc", 0, 24, "m 0 24"],
      [3, "calloc", 1, 24, "c 1 3 8"],
      [4, "realloc", 0, 100, "r 0 100"],
      [5, "checkpoint", 0, 0, "s"],
      [6, "free", 1, 0, "f 1"],
    ]);
    const [m, c, r, , f] = steps;
    expect(r?.oldAddress).toBe(m?.address);
    expect(r?.address).not.toBe(m?.address);
    expect(f?.oldAddress).toBe(c?.address);
    expect(f?.address).toBe(c?.address);
    expect(player.opAt(2)?.text).toBe("r 0 100");
    expect(player.opAt(2)?.address).toBe(0);
    expect(player.opAt(5)).toBeUndefined();
  });

  it("back() returns the op it undid, as step() described it", () => {
    const player = new TracePlayer(parseTrace("m 0 24\nm 1 24\nf 0\n"), createHeap({ profile: "cpython-3.11" }));
    const played = [player.step(), player.step(), player.step()];
    expect(played[2]?.address).toBe(played[0]?.address); // the free names the block it freed
    for (let i = 2; i >= 0; i--) {
      expect(player.back()).toEqual(played[i]);
      expect(player.position).toBe(i);
    }
    expect(player.back()).toBeUndefined();
    expect(player.step()).toEqual(played[0]);
  });

  it("knows the last op after a seek back, keyframe boundary or not", () => {
    const heap = createHeap({ profile: "cpython-3.11" });
    const player = new TracePlayer(trace, heap, { keyframes: 64 });
    player.seek(2000);
    const interval = Math.max(256, Math.ceil(trace.ops.length / 64));
    for (const to of [interval, interval + 1, 2 * interval, 1]) {
      player.seek(to);
      expect(player.last?.index, `at ${to}`).toBe(to - 1);
      expect(player.last?.text).toBe(player.opAt(to - 1)?.text);
    }
    player.seek(0);
    expect(player.last).toBeUndefined();
  });

  it("tells listeners it is seeking while it replays to go back", () => {
    const heap = createHeap({ profile: "cpython-3.11" });
    const player = new TracePlayer(trace, heap);
    const seen: boolean[] = [];
    heap.blocks.on("block:alloc", () => seen.push(player.seeking));
    player.seek(300);
    player.back();
    player.step();
    expect(seen.filter((s) => s).length).toBeGreaterThan(100);
    expect(seen.at(-1)).toBe(false);
  });

  it("refuses bad positions and inconsistent traces, changing nothing", () => {
    const heap = createHeap({ profile: "cpython-3.11" });
    const player = new TracePlayer(parseTrace("m 0 24\nf 1\n"), heap);
    for (const bad of [-1, 3, 1.5, Number.NaN]) {
      expect(() => player.seek(bad)).toThrow(RangeError);
      expect(() => player.seek(bad)).toThrow(`position must be an integer from 0 to 2, got ${bad}`);
    }
    player.step();
    const before = heap.blocks.debugMallocStats();
    expect(() => player.step()).toThrow(TraceError);
    expect(() => player.step()).toThrow(/line 2: block 1 is not live/);
    expect(player.position).toBe(1);
    expect(heap.blocks.debugMallocStats()).toBe(before);
    expect(() => new TracePlayer(parseTrace((async function* () {})()) as never, heap)).toThrow(
      /needs the whole trace.*loadTrace/,
    );
    expect(() => new TracePlayer(trace, heap, { keyframes: 0 })).toThrow(/keyframes must be a positive integer, got 0/);
  });
});

/**
 * One replay measurement in a process of its own, so that no other
 * allocator's type feedback reaches the replay loop: argv = trace path,
 * allocator (pymem-checked, pymem-unchecked, pymem-growing, floor, thi.ng,
 * events-off, events-none, events-one), passes. Prints ns/op (best pass after
 * the first).
 *
 * pymem's heaps reserve their buffers (`reserve: true`, as `pymem replay`
 * runs), except pymem-growing's, which grow one as the library does by
 * default. Every pass gets a fresh heap, and all are built before the first
 * pass: building a reserved heap costs V8 a full garbage collection, and a
 * full collection between passes throws the replay loop's optimised code away
 * (the hidden classes it checks for die with the last pass's objects), which
 * would time V8's recompilation rather than the replay.
 */
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { MemPool } from "@thi.ng/malloc";
import { FloorAllocator } from "./floor.js";
import { built, type Pymem, withoutEvents } from "./pymem.js";

const [path, kind, passesArg] = process.argv.slice(2) as [string, string, string];
let passes = Number(passesArg);
const pm: Pymem = kind === "events-off" ? await withoutEvents() : await built();
const trace = pm.parseTrace(gunzipSync(readFileSync(path)).toString("utf8"));
// Enough passes for about 10^7 ops in all: short traces would otherwise be timed before the JIT is done.
if (passes > 2) passes = Math.max(passes, Math.ceil(1e7 / trace.ops.length));
const profile = pm.profiles["cpython-3.11"];
let seen = 0;

function make(): Parameters<Pymem["replayTrace"]>[1] {
  switch (kind) {
    case "pymem-unchecked":
      return pm.createHeap({ profile, checked: false, reserve: true }).blocks;
    case "pymem-growing":
      return pm.createHeap({ profile, checked: true }).blocks;
    case "floor":
      return new FloorAllocator();
    case "thi.ng": {
      const pool = new MemPool({ size: 1 << 29, align: 16 });
      const ok = (p: number) => {
        if (p === 0) throw new Error("out of memory");
        return p;
      };
      return {
        malloc: (n: number) => ok(pool.malloc(Math.max(n, 1))),
        calloc: (n: number, e: number) => ok(pool.calloc(Math.max(n * e, 1))),
        realloc: (p: number, n: number) => ok(pool.realloc(p, Math.max(n, 1))),
        free: (p: number) => pool.free(p),
      };
    }
    case "events-one": {
      const { blocks } = pm.createHeap({ profile, checked: true, reserve: true });
      blocks.on("block:alloc", () => {
        seen++;
      });
      return blocks;
    }
    default:
      return pm.createHeap({ profile, checked: true, reserve: true }).blocks;
  }
}

let best = Number.POSITIVE_INFINITY;
const heaps: Array<ReturnType<typeof make> | undefined> = Array.from({ length: passes }, make);
for (let r = 0; r < passes; r++) {
  const a = heaps[r] as ReturnType<typeof make>;
  heaps[r] = undefined;
  const t0 = performance.now();
  pm.replayTrace(trace as never, a);
  const ms = performance.now() - t0;
  if (r > 0 || passes === 1) best = Math.min(best, (ms * 1e6) / trace.ops.length);
  // Slow allocators get fewer passes.
  if (ms > 20_000) break;
}
if (kind === "events-one" && seen === 0) throw new Error("the listener never ran");
console.log(best);

/**
 * One replay measurement in a process of its own, so that no other
 * allocator's type feedback reaches the replay loop: argv = trace path,
 * allocator (pymem-checked, pymem-unchecked, floor, thi.ng, events-off,
 * events-none, events-one, plain-buffer), passes. Prints ns/op (best pass after the first).
 */
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { MemPool } from "@thi.ng/malloc";
import { FloorAllocator } from "./floor.js";
import { built, type Pymem, withoutEvents, withPlainBuffer } from "./pymem.js";

const [path, kind, passesArg] = process.argv.slice(2) as [string, string, string];
let passes = Number(passesArg);
const pm: Pymem =
  kind === "events-off" ? await withoutEvents() : kind === "plain-buffer" ? await withPlainBuffer() : await built();
const trace = pm.parseTrace(gunzipSync(readFileSync(path)).toString("utf8"));
// Enough passes for about 10^7 ops in all: short traces would otherwise be timed before the JIT is done.
if (passes > 2) passes = Math.max(passes, Math.ceil(1e7 / trace.ops.length));
const profile = pm.profiles["cpython-3.11"];
let seen = 0;

function make(): Parameters<Pymem["replayTrace"]>[1] {
  switch (kind) {
    case "pymem-unchecked":
      return pm.createHeap({ profile, checked: false }).blocks;
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
      const { blocks } = pm.createHeap({ profile, checked: true });
      blocks.on("block:alloc", () => {
        seen++;
      });
      return blocks;
    }
    default:
      return pm.createHeap({ profile, checked: true }).blocks;
  }
}

let best = Number.POSITIVE_INFINITY;
for (let r = 0; r < passes; r++) {
  const a = make();
  const t0 = performance.now();
  pm.replayTrace(trace as never, a);
  const ms = performance.now() - t0;
  if (r > 0 || passes === 1) best = Math.min(best, (ms * 1e6) / trace.ops.length);
  // Slow allocators get fewer passes.
  if (ms > 20_000) break;
}
if (kind === "events-one" && seen === 0) throw new Error("the listener never ran");
console.log(best);

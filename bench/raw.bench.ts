/**
 * RawAllocator (TLSF) against @thi.ng/malloc (first fit) on the same random
 * workload, in the same process and run: ns per operation and the ratio.
 */
import { MemPool } from "@thi.ng/malloc";
import { Bench } from "tinybench";
import { RawAllocator } from "../src/index.js";
import { type Mallocator, randomWorkload, replay } from "./workload.js";

export async function rawBench(): Promise<string[]> {
  const lines: string[] = [];
  for (const [label, slots, maxSize] of [
    ["small blocks, 1k live", 1000, 512],
    ["mixed sizes to 16 KiB, 4k live", 4000, 16384],
  ] as const) {
    const w = randomWorkload(50_000, slots, maxSize);
    const ops = w.kind.length;
    const heap = 64 * 1024 * 1024;
    const bench = new Bench({ time: 1500, warmupTime: 300 });
    // Each allocator is built before its timed run: zeroing a 64 MiB buffer is not what is measured.
    const task = (name: string, make: () => Mallocator) => {
      let a: Mallocator = make();
      bench.add(name, () => replay(w, a), {
        beforeEach: () => {
          a = make();
        },
      });
    };
    task("pymem RawAllocator (checked)", () => new RawAllocator({ initialBytes: heap, maxBytes: heap }));
    task(
      "pymem RawAllocator (unchecked)",
      () => new RawAllocator({ initialBytes: heap, maxBytes: heap, checked: false }),
    );
    task("@thi.ng/malloc MemPool", () => new MemPool({ size: heap, align: 16 }));
    await bench.run();
    const ns = bench.tasks.map((t) => {
      const r = t.result as { latency?: { mean?: number } } | undefined;
      return ((r?.latency?.mean ?? Number.NaN) * 1e6) / ops;
    });
    const baseline = ns[2] as number;
    lines.push(`raw: ${label} (${ops} ops per run)`);
    bench.tasks.forEach((t, i) => {
      const v = ns[i] as number;
      lines.push(
        `  ${t.name.padEnd(34)} ${v.toFixed(1).padStart(8)} ns/op   ratio vs @thi.ng/malloc ${(v / baseline).toFixed(2)}`,
      );
    });
  }
  return lines;
}

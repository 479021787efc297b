/**
 * RawAllocator (TLSF) against @thi.ng/malloc (first fit) on the same random
 * workload, in the same process and run: ns per operation and the ratio.
 */
import { MemPool } from "@thi.ng/malloc";
import { Bench } from "tinybench";
import { built } from "./pymem.js";
import type { Table } from "./table.js";
import { type Mallocator, randomWorkload, replay } from "./workload.js";

export async function rawBench(tables: Table[]): Promise<void> {
  const { RawAllocator } = await built();
  const rows: string[][] = [];
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
    bench.tasks.forEach((t, i) => {
      const v = ns[i] as number;
      rows.push([`${label} (${ops} ops)`, t.name, v.toFixed(1), (v / baseline).toFixed(2)]);
    });
  }
  tables.push({
    title: "RawAllocator (TLSF) against @thi.ng/malloc",
    head: ["workload", "allocator", "ns/op", "÷ @thi.ng/malloc"],
    rows,
    notes: [
      "Mean over tinybench iterations (at least 64 and 1.5 s per allocator, after 0.3 s of warm-up) of one seeded random workload.",
    ],
  });
}

/**
 * Memory: JS heap growth over a 5M-op replay (the steady state must allocate
 * nothing per op) and resident memory per live simulated block, measured in
 * a child process with an exposed gc (bench/memory-child.mjs).
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { Table } from "./table.js";

export async function memoryBench(tables: Table[]): Promise<void> {
  const child = fileURLToPath(new URL("./memory-child.mjs", import.meta.url));
  const r = spawnSync(process.execPath, ["--expose-gc", child], { encoding: "utf8", maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`memory benchmark failed:\n${r.stderr}`);
  const m = JSON.parse(r.stdout) as {
    ops: number;
    heap: Array<[number, number]>;
    rssPerBlock: number;
    blockBytes: number;
  };
  const first = m.heap[0] as [number, number];
  const last = m.heap.at(-1) as [number, number];
  const perOp = (last[1] - first[1]) / (last[0] - first[0]);
  tables.push({
    title: "Memory",
    head: ["measure", "value"],
    rows: [
      ...m.heap.map(([op, bytes]) => [
        `JS heap after ${op.toLocaleString("en")} ops (MB)`,
        (bytes / 2 ** 20).toFixed(1),
      ]),
      ["JS heap growth per op, steady state (bytes)", perOp.toFixed(4)],
      [`resident memory per live ${m.blockBytes}-byte block, written (bytes)`, m.rssPerBlock.toFixed(1)],
    ],
    notes: [
      `A ${m.ops.toLocaleString("en")}-op trace (100,000 blocks live, 90% small requests) replayed checked into cpython-3.11; the heap sampled after a full gc every million ops. Simulated memory is an ArrayBuffer, outside the JS heap.`,
    ],
  });
}

/**
 * What reserving the buffer buys on this Node: heaps that grow a resizable
 * ArrayBuffer (the library's default) against heaps that reserve a plain one
 * of maxBytes up front (`reserve: true`, as the other tables run), on the two
 * largest real traces (checked replay, fresh process per run) and on
 * collect(2) of the objects benchmark's graph (in this process, runs
 * interleaved).
 */
import { readFileSync } from "node:fs";
import { collectGraph } from "./objects.bench.js";
import { built } from "./pymem.js";
import { measure, traceFiles } from "./replay.bench.js";
import type { Table } from "./table.js";

const ROUNDS = 3;

export async function bufferBench(tables: Table[]): Promise<void> {
  const rows: string[][] = [];
  const largest = traceFiles()
    .filter((p) => p.includes("/shared/"))
    .sort((a, b) => readFileSync(b).length - readFileSync(a).length)
    .slice(0, 2);
  const row = (label: string, growing: number, reserved: number, digits: number) =>
    rows.push([label, growing.toFixed(digits), reserved.toFixed(digits), (growing / reserved).toFixed(2)]);
  for (const path of largest) {
    let [growing, reserved] = [Infinity, Infinity];
    for (let r = 0; r < ROUNDS; r++) {
      growing = Math.min(growing, measure(path, "pymem-growing"));
      reserved = Math.min(reserved, measure(path, "pymem-checked"));
    }
    row(`replay ${path.slice(path.lastIndexOf("/") + 1)}, checked (ns/op)`, growing, reserved, 1);
  }
  const pm = await built();
  const profile = pm.profiles["cpython-3.11"];
  let [growing, reserved] = [Infinity, Infinity];
  for (let r = 0; r < ROUNDS; r++) {
    growing = Math.min(growing, collectGraph(pm, profile, false).ms);
    reserved = Math.min(reserved, collectGraph(pm, profile, true).ms);
  }
  row("collect(2) of the 10^6-object graph (ms)", growing, reserved, 0);
  tables.push({
    title: "Growing against reserved buffers (this Node)",
    head: ["workload", "growing (default)", "reserved", "÷ reserved"],
    rows,
    notes: [
      "Same bundle, same code, same addresses: only the buffer under the typed arrays differs. By default the heap" +
        " grows one resizable ArrayBuffer in place, so that every view of it stays valid; with `reserve: true` it" +
        " takes a plain ArrayBuffer of maxBytes up front (the OS hands out its pages on first touch, so it costs" +
        " address space, not memory), which this Node's V8 reaches by a faster path. The other tables run reserved" +
        ` heaps, as \`pymem replay\` and \`pymem compare\` do. Best of ${ROUNDS} interleaved runs each.`,
    ],
  });
}

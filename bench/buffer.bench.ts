/**
 * What the memory model's resizable ArrayBuffer costs on this Node: the same
 * bundle with its memory in a plain ArrayBuffer (bench/pymem.ts,
 * withPlainBuffer), against the bundle as shipped, on the two largest real
 * traces (checked replay, fresh process per run) and on collect(2) of the
 * objects benchmark's graph (in this process, runs interleaved).
 */
import { readFileSync } from "node:fs";
import { collectGraph } from "./objects.bench.js";
import { built, withPlainBuffer } from "./pymem.js";
import { measure, traceFiles } from "./replay.bench.js";
import type { Table } from "./table.js";

const ROUNDS = 3;

export async function bufferBench(tables: Table[]): Promise<void> {
  const rows: string[][] = [];
  const largest = traceFiles()
    .filter((p) => p.includes("/shared/"))
    .sort((a, b) => readFileSync(b).length - readFileSync(a).length)
    .slice(0, 2);
  for (const path of largest) {
    let [resizable, plain] = [Infinity, Infinity];
    for (let r = 0; r < ROUNDS; r++) {
      resizable = Math.min(resizable, measure(path, "pymem-checked"));
      plain = Math.min(plain, measure(path, "plain-buffer"));
    }
    rows.push([
      `replay ${path.slice(path.lastIndexOf("/") + 1)}, checked (ns/op)`,
      resizable.toFixed(1),
      plain.toFixed(1),
      (resizable / plain).toFixed(2),
    ]);
  }
  const [shipped, plainPm] = [await built(), await withPlainBuffer()];
  const profile = shipped.profiles["cpython-3.11"];
  let [resizable, plain] = [Infinity, Infinity];
  for (let r = 0; r < ROUNDS; r++) {
    resizable = Math.min(resizable, collectGraph(shipped, profile).ms);
    plain = Math.min(plain, collectGraph(plainPm, plainPm.profiles["cpython-3.11"]).ms);
  }
  rows.push([
    "collect(2) of the 10^6-object graph (ms)",
    resizable.toFixed(0),
    plain.toFixed(0),
    (resizable / plain).toFixed(2),
  ]);
  tables.push({
    title: "What the resizable buffer costs (this Node)",
    head: ["workload", "resizable (shipped)", "plain ArrayBuffer", "÷ plain"],
    rows,
    notes: [
      "Same bundle, same code: only the buffer under the typed arrays differs. The memory model grows one resizable" +
        " ArrayBuffer in place so that every view of it stays valid; this Node's V8 reaches typed arrays over such a" +
        " buffer (length-tracking or not) by a slower path than over a plain one, and the difference is the last column." +
        ` Best of ${ROUNDS} interleaved runs each.`,
    ],
  });
}

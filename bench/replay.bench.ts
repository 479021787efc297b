/**
 * Trace replay, ns per op, parse excluded (ops decoded once into typed
 * arrays), best of several passes after a warm-up, all in this process except
 * the native run: pymem's BlockAllocator (cpython-3.11, checked and
 * unchecked), the real pymalloc of libpython3.11 driven from C by the oracle
 * harness in its timing mode (same trace, same arena addresses), the ideal JS
 * floor (bench/floor.ts) and @thi.ng/malloc, through the same replay loop.
 * Also the cost of events: no listener, events compiled out, one listener.
 */

import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { buildReplay, findInterpreter, replayWithPymem } from "../test/oracle/pymalloc-oracle.js";
import { built } from "./pymem.js";
import type { Table } from "./table.js";

const root = fileURLToPath(new URL("../", import.meta.url));
const PASSES = 15;
const ROUNDS = 3;

/** Every trace of ../shared/traces and cli/traces, each content once. */
export function traceFiles(): string[] {
  const dirs = [`${root}../shared/traces/`, `${root}cli/traces/`];
  const seen = new Set<string>();
  return dirs.flatMap((d) =>
    existsSync(d)
      ? readdirSync(d)
          .filter((f) => f.endsWith(".trace.gz"))
          .map((f) => d + f)
          .filter((p) => {
            const h = createHash("sha256")
              .update(gunzipSync(readFileSync(p)))
              .digest("hex");
            if (seen.has(h)) return false;
            seen.add(h);
            return true;
          })
      : [],
  );
}

const child = fileURLToPath(new URL("./replay-child.ts", import.meta.url));

/** ns/op of one allocator on one trace, measured in a fresh process (short traces get more passes, for the JIT). */
export function measure(path: string, kind: string, passes = PASSES): number {
  const r = spawnSync(process.execPath, ["--import", "tsx", child, path, kind, String(passes)], {
    encoding: "utf8",
    maxBuffer: 1 << 20,
  });
  if (r.status !== 0) return Number.NaN;
  return Number(r.stdout.trim());
}

function native(binary: string, text: string, arenas: number[]): number {
  const input = `trace t\narenas ${arenas.length} ${arenas.join(" ")}\n${text}end\n`;
  let ns = Number.POSITIVE_INFINITY;
  for (let r = 0; r < PASSES; r++) {
    const out = execFileSync(binary, [], {
      input,
      encoding: "utf8",
      maxBuffer: 1 << 26,
      env: { ...process.env, PYMEM_REPLAY_TIME: "1" },
    });
    const m = /time (\d+) (\d+)/.exec(out);
    if (m && r > 0) ns = Math.min(ns, Number(m[1]) / Number(m[2]));
  }
  return ns;
}

const geomean = (xs: number[]) => Math.exp(xs.reduce((s, x) => s + Math.log(x), 0) / xs.length);

export async function replayBench(tables: Table[]): Promise<void> {
  const pm = await built();
  const py = findInterpreter("3.11");
  const binary = typeof py === "string" ? py : buildReplay(py);
  const nativeNote = typeof binary === "string" && !existsSync(binary) ? binary : undefined;
  const rows: string[][] = [];
  const checkedRatios: number[] = [];
  const uncheckedRatios: number[] = [];
  for (const path of traceFiles()) {
    const text = gunzipSync(readFileSync(path)).toString("utf8");
    const trace = pm.parseTrace(text);
    const profile = pm.profiles["cpython-3.11"];
    // Rounds interleave the contenders, so that a slow spell of the machine does not fall on one of them.
    let [checked, unchecked, floor, nat] = [Infinity, Infinity, Infinity, Number.NaN];
    const arenas = replayWithPymem(text, profile as never).arenas;
    for (let round = 0; round < ROUNDS; round++) {
      checked = Math.min(checked, measure(path, "pymem-checked"));
      unchecked = Math.min(unchecked, measure(path, "pymem-unchecked"));
      floor = Math.min(floor, measure(path, "floor"));
      if (nativeNote === undefined && typeof binary === "string") {
        nat = Math.min(Number.isNaN(nat) ? Infinity : nat, native(binary, text, arenas));
      }
    }
    const th = measure(path, "thi.ng", 2);
    if (!Number.isNaN(nat)) {
      checkedRatios.push(checked / nat);
      uncheckedRatios.push(unchecked / nat);
    }
    const f = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : "-");
    const r = (x: number, y: number) => (Number.isFinite(x) && Number.isFinite(y) ? (x / y).toFixed(2) : "-");
    rows.push([
      `${path.includes("/shared/") ? "shared" : "cli"}/${path.slice(path.lastIndexOf("/") + 1)}`,
      String(trace.ops.length),
      f(nat),
      f(checked),
      r(checked, nat),
      f(unchecked),
      r(unchecked, nat),
      f(floor),
      r(checked, floor),
      f(th),
    ]);
  }
  const notes = [
    "Traces: `shared/` are the project's recordings of CPython 3.11 running stdlib workloads (beside a clone, not in the npm package; `startup` is also shipped as `cli/traces/startup.trace.gz`), `cli/` the ones the package ships.",
    "ns per op: the best pass of 3 rounds that interleave the contenders, each round a fresh process per contender running at least 14 passes and 10^7 ops after a warm-up pass; pymem's heaps reserve their buffers (`reserve: true`, as `pymem replay` runs; growing ones are priced below), a fresh heap per pass, all built before the first; ratios are pymem's time over native's or the floor's; @thi.ng/malloc: one pass after a warm-up, '-' when a pass takes over 20 s.",
    nativeNote === undefined
      ? `Geometric mean of pymem/native: checked ${geomean(checkedRatios).toFixed(2)}, unchecked ${geomean(uncheckedRatios).toFixed(2)}; worst checked ${Math.max(...checkedRatios).toFixed(2)}.`
      : `Native pymalloc not measured: ${nativeNote}.`,
  ];
  tables.push({
    title: "Trace replay (cpython-3.11)",
    head: [
      "trace",
      "ops",
      "native",
      "checked",
      "÷ native",
      "unchecked",
      "÷ native",
      "JS floor",
      "checked ÷ floor",
      "@thi.ng/malloc",
    ],
    rows,
    notes,
  });
  await eventsBench(tables);
}

/** The cost of events on the largest trace: compiled out, no listener, one listener. */
async function eventsBench(tables: Table[]): Promise<void> {
  const path = traceFiles().reduce((a, b) => (readFileSync(a).length >= readFileSync(b).length ? a : b));
  let [off, none, one] = [Infinity, Infinity, Infinity];
  for (let round = 0; round < ROUNDS; round++) {
    off = Math.min(off, measure(path, "events-off"));
    none = Math.min(none, measure(path, "events-none"));
    one = Math.min(one, measure(path, "events-one"));
  }
  tables.push({
    title: `Events (${path.slice(path.lastIndexOf("/") + 1)}, checked)`,
    head: ["events", "ns/op", "÷ compiled out"],
    rows: [
      ["compiled out", off.toFixed(1), "1.00"],
      ["no listener", none.toFixed(1), (none / off).toFixed(3)],
      ["one block:alloc listener", one.toFixed(1), (one / off).toFixed(3)],
    ],
    notes: ["Compiled out: the bundle with every `hasListeners(...)` check replaced by `false`."],
  });
}

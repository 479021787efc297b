/**
 * Where the time goes, measured rather than guessed: a checked replay of the
 * two largest real traces broken down by part of pymem (V8's CPU profiler,
 * bench/profile-child.ts), and collect(2) of the objects benchmark's graph
 * broken down by CPython's phases (gc:phase events), next to the least work
 * any JavaScript can do for the first phase over the same simulated memory.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Profile } from "../src/index.js";
import { buildGraph } from "./objects.bench.js";
import { built, type Pymem } from "./pymem.js";
import { traceFiles } from "./replay.bench.js";
import type { Table } from "./table.js";

const child = fileURLToPath(new URL("./profile-child.ts", import.meta.url));

interface ReplayProfile {
  nsPerOp: number;
  parts: Record<string, number>;
}

function profileReplay(path: string): ReplayProfile | undefined {
  const r = spawnSync(process.execPath, ["--import", "tsx", child, path], { encoding: "utf8", maxBuffer: 1 << 20 });
  return r.status === 0 ? (JSON.parse(r.stdout) as ReplayProfile) : undefined;
}

/**
 * update_refs and subtract_refs as the least JavaScript can do them over the
 * graph's memory: the same words read and written in the same order, with no
 * type tables, no 64-bit words and no profile switches. Every object of the
 * graph is a three-slot container of one type. Returns milliseconds.
 */
function leastDeduce(pm: Pymem, profile: Profile): number {
  const { raw, gc, addresses } = buildGraph(pm, profile);
  const u32 = raw.memory.u32;
  const nodeType = u32[((addresses[0] as number) + 8) >>> 2] as number;
  // The young generation's list head sits where the collector keeps it: the first object's _gc_prev.
  const head = (u32[((addresses[0] as number) - 8) >>> 2] as number) & ~3;
  const t0 = performance.now();
  for (let g = u32[head >>> 2] as number; g !== head; g = (u32[g >>> 2] as number) & ~3) {
    // gc_refs = ob_refcnt, COLLECTING.
    u32[(g + 8) >>> 2] = ((u32[(g + 16) >>> 2] as number) << 2) | 2;
  }
  for (let g = u32[head >>> 2] as number; g !== head; g = (u32[g >>> 2] as number) & ~3) {
    for (let k = 0; k < 3; k++) {
      const child = u32[(g + 32 + 8 * k) >>> 2] as number;
      if (child === 0 || u32[(child + 8) >>> 2] !== nodeType) continue;
      const p = (child - 8) >>> 2;
      const prev = u32[p] as number;
      if ((prev & 2) !== 0) u32[p] = prev - 4;
    }
  }
  const ms = performance.now() - t0;
  gc.enable();
  return ms;
}

/**
 * pymem's own update_refs and subtract_refs on the graph, called directly
 * (protected methods of the collector strategy behind the bundle's
 * CycleCollector: the comparison with leastDeduce needs the two passes
 * alone). Returns milliseconds.
 */
function pymemDeduce(pm: Pymem, profile: Profile): number {
  const { raw, gc, addresses } = buildGraph(pm, profile);
  const passes = (gc as unknown as { strategy: { updateRefs(list: number): void; subtractRefs(list: number): void } })
    .strategy;
  const u32 = raw.memory.u32;
  const head = (u32[((addresses[0] as number) - 8) >>> 2] as number) & ~3;
  const t0 = performance.now();
  passes.updateRefs(head);
  passes.subtractRefs(head);
  const ms = performance.now() - t0;
  gc.enable();
  return ms;
}

/** collect(2) of the graph, timed phase by phase. */
function phases(pm: Pymem, profile: Profile): Map<string, number> {
  const { gc } = buildGraph(pm, profile);
  const out = new Map<string, number>();
  let last = performance.now();
  gc.on("gc:phase", (e) => {
    const now = performance.now();
    out.set(e.phase, now - last);
    last = now;
  });
  last = performance.now();
  const t0 = last;
  gc.collect(2);
  out.set("total", performance.now() - t0);
  return out;
}

const PHASES: Array<[string, string]> = [
  ["move_unreachable", "update_refs, subtract_refs, move_unreachable"],
  ["handle_weakrefs", "legacy finalizers, handle_weakrefs"],
  ["finalize_garbage", "finalize_garbage"],
  ["handle_resurrected_objects", "handle_resurrected_objects (the three passes again)"],
  ["delete_garbage", "delete_garbage: tp_clear, deallocation, PyObject_GC_Del"],
  ["total", "collect(2)"],
];

export async function profileBench(tables: Table[]): Promise<void> {
  const largest = traceFiles()
    .filter((p) => p.includes("/shared/"))
    .sort((a, b) => readFileSync(b).length - readFileSync(a).length)
    .slice(0, 2);
  const runs = largest.map((p) => [p.slice(p.lastIndexOf("/") + 1), profileReplay(p)] as const);
  const parts = new Map<string, number>();
  for (const [, r] of runs) for (const [k, v] of Object.entries(r?.parts ?? {})) parts.set(k, (parts.get(k) ?? 0) + v);
  const order = [...parts].sort((a, b) => b[1] - a[1]).map(([k]) => k);
  tables.push({
    title: "Where a checked replay's time goes",
    head: ["part of pymem", ...runs.flatMap(([name]) => [`${name} (%)`, "ns/op"])],
    rows: [
      ...order.map((k) => [
        k,
        ...runs.flatMap(([, r]) => {
          const share = r?.parts[k] ?? 0;
          return [(100 * share).toFixed(1), r ? (share * r.nsPerOp).toFixed(1) : "-"];
        }),
      ]),
      ["all", ...runs.flatMap(([, r]) => ["100.0", r ? r.nsPerOp.toFixed(1) : "-"])],
    ],
    notes: [
      "V8's sampling CPU profiler (every 0.1 ms) over 6 passes of a checked replay into reserved heaps, after 3 passes of" +
        " warm-up, in a fresh process per trace; each sample goes to the source line it was in, so code inlined into the" +
        " replay loop counts for the part it comes from. ns/op is the share of the profiled passes' time, which the" +
        " profiler itself slows a little.",
    ],
  });

  const pm = await built();
  const profile = pm.profiles["cpython-3.11"];
  const best = new Map<string, number>();
  let [least, ours] = [Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY];
  for (let r = 0; r < 3; r++) {
    for (const [k, v] of phases(pm, profile)) best.set(k, Math.min(best.get(k) ?? Number.POSITIVE_INFINITY, v));
    least = Math.min(least, leastDeduce(pm, profile));
    ours = Math.min(ours, pymemDeduce(pm, profile));
  }
  const total = best.get("total") ?? Number.NaN;
  tables.push({
    title: "Where collect(2)'s time goes (cpython-3.11, 10^6 objects)",
    head: ["phase", "pymem (ms)", "share (%)"],
    rows: [
      ...PHASES.map(([k, label]) => {
        const ms = best.get(k) ?? Number.NaN;
        return [label, ms.toFixed(0), ((100 * ms) / total).toFixed(1)];
      }),
      ["update_refs and subtract_refs alone", ours.toFixed(0), ""],
      ["the same two passes as bare loops (least JS)", least.toFixed(0), ""],
    ],
    notes: [
      "Best of 3 collections of freshly built graphs, timed between gc:phase events (each event also counts its list for" +
        " the payload). The last two rows time the first two passes on their own, on freshly built graphs: pymem's," +
        " and bare loops over the same memory doing the same reads and writes in the same order with no abstraction" +
        ` (pymem's take ${(ours / least).toFixed(1)}x their time), the floor any JavaScript collector of this memory stands` +
        " on: the referents are scattered over 64 MB, and each visit waits for memory in C and in JavaScript alike.",
    ],
  });
}

/**
 * The figures of docs/python-memory-advice.md: a workload's trace replayed
 * between two of its checkpoints (allocator calls, bytes, arenas, the types
 * holding the bytes at the peak, a heap map), from a real CPython's recording
 * or from the same objects built with Builtins.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { recorderFor } from "../../cli/record.js";
import {
  BlockAllocator,
  Builtins,
  CycleCollector,
  type Profile,
  parseTrace,
  RefCounter,
  renderHeapMap,
  type Trace,
  TraceOp,
  TraceRecorder,
} from "../../src/index.js";
import { LiveTable } from "../../src/trace/live-table.js";
import type { Pair } from "./pairs.js";

/** What a workload did between its two checkpoints. */
export interface Figures {
  /** Calls to the allocator (malloc, calloc, realloc, free). */
  calls: number;
  /** The most bytes requested by live blocks, above what was live at the first checkpoint. */
  peakBytes: number;
  /** Bytes still live at the second checkpoint, above the first: the result. */
  keptBytes: number;
  /** The most arenas allocated at once, above those allocated at the first checkpoint. */
  arenas: number;
  /** At the peak, the types with most bytes above the first checkpoint (traces with type annotations). */
  types?: Array<[string, number]>;
}

/**
 * Replays `trace` under `profile` and measures between its `first`-th `s`
 * line (1-based) and the next; with `map`, also draws the heap at the peak
 * (a second replay, stopped there), coloured by type when the trace names
 * types.
 */
export function measure(
  trace: Trace,
  profile: Profile,
  first: number,
  map = false,
): { figures: Figures; svg?: string } {
  const { figures, peakOp } = replayWindow(trace, profile, first);
  if (!map) return { figures };
  return { figures, svg: replayWindow(trace, profile, first, peakOp).svg as string };
}

function replayWindow(
  trace: Trace,
  profile: Profile,
  first: number,
  drawAt = -1,
): { figures: Figures; peakOp: number; svg?: string } {
  const blocks = new BlockAllocator({ profile });
  let arenas = 0;
  blocks.on("arena:alloc", () => {
    arenas++;
  });
  blocks.on("arena:free", () => {
    arenas--;
  });
  const live = new LiveTable();
  const names = trace.header.typeNames;
  const { op, id } = trace.ops;
  const byType = new Map<string, number>();
  let checkpoints = 0;
  let inside = false;
  let liveBytes = 0;
  let base = { bytes: 0, arenas: 0, byType: new Map<string, number>() };
  let figures: Figures = { calls: 0, peakBytes: 0, keptBytes: 0, arenas: 0 };
  let peakTypes = new Map<string, number>();
  let svg: string | undefined;
  let peakOp = -1;
  const owner = (k: number) => {
    const t = k < live.type.length ? (live.type[k] as number) : 0;
    return t === 0 ? undefined : (names[t - 1] as string);
  };
  for (let i = 0; i < trace.ops.length; i++) {
    const code = op[i] as number;
    if (code === TraceOp.Stats) {
      checkpoints++;
      if (checkpoints === first) {
        inside = true;
        base = { bytes: liveBytes, arenas, byType: new Map(byType) };
        peakTypes = new Map(byType);
      } else if (checkpoints === first + 1 && inside) {
        inside = false;
        figures.keptBytes = liveBytes - base.bytes;
        break;
      }
      continue;
    }
    const k = id[i] as number;
    const before = live.sizeOf(k);
    const type = code === TraceOp.Malloc || code === TraceOp.Calloc ? trace.ops.type[i] : undefined;
    live.play(trace.ops, i, blocks);
    if (type !== undefined && k < live.type.length) live.type[k] = type;
    const delta = live.sizeOf(k) - before;
    liveBytes += delta;
    const t = owner(k);
    if (t !== undefined) byType.set(t, (byType.get(t) ?? 0) + delta);
    if (!inside) continue;
    figures.calls++;
    figures.arenas = Math.max(figures.arenas, arenas - base.arenas);
    if (liveBytes - base.bytes > figures.peakBytes) {
      figures.peakBytes = liveBytes - base.bytes;
      peakOp = i;
      if (names.length > 0) peakTypes = new Map(byType);
    }
    if (i === drawAt) {
      svg = heapMap(blocks, live, names);
      break;
    }
  }
  if (drawAt >= 0) return { figures, peakOp, ...(svg === undefined ? {} : { svg }) };
  if (checkpoints < first + 1) throw new Error(`the trace has ${checkpoints} checkpoints: ${first + 1} needed`);
  if (names.length > 0) {
    const grown = [...peakTypes].map(([t, b]) => [t, b - (base.byType.get(t) ?? 0)] as [string, number]);
    figures = {
      ...figures,
      types: grown.filter(([, b]) => b > 0).sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1)),
    };
  }
  return { figures, peakOp };
}

function heapMap(blocks: BlockAllocator, live: LiveTable, names: readonly string[]): string {
  if (names.length === 0) return renderHeapMap(blocks, { detail: "pools", hideUncarved: true });
  const byAddress = new Map<number, string>();
  for (let k = 0; k < live.type.length; k++) {
    const a = live.address[k] as number;
    const t = live.type[k] as number;
    if (a !== 0 && t !== 0) byAddress.set(a, names[t - 1] as string);
  }
  return renderHeapMap(blocks, { detail: "pools", hideUncarved: true, blockType: (a) => byAddress.get(a) });
}

/** The Python program of one variant: setup, a checkpoint, the workload, a checkpoint. */
export function program(pair: Pair, variant: "worse" | "better"): string {
  return [
    "import gc, _pymem_record",
    `n = ${pair.n}`,
    pair.setup,
    "def run(n):",
    pair[variant].python,
    "gc.collect()",
    "_pymem_record.checkpoint()",
    "result = run(n)",
    "_pymem_record.checkpoint()",
    "",
  ].join("\n");
}

/**
 * Records one variant with `python` and parses its trace. The run repeats byte for byte wherever it is made from:
 * the script in a fixed folder, run from there, with a fixed environment (the interpreter's start-up reads the
 * environment and the script's path, and its allocations follow them).
 */
export function recordVariant(pair: Pair, variant: "worse" | "better", python: string): Trace {
  const dir = `${tmpdir()}/pymem-advice`;
  mkdirSync(dir, { recursive: true });
  const script = `${dir}/${pair.id}_${variant}.py`;
  writeFileSync(script, program(pair, variant));
  const out = `${dir}/${pair.id}-${variant}.trace`;
  rmSync(out, { force: true });
  const [file, args] = recorderFor(python).command([out, "--", script]);
  const run = spawnSync(file, args, { cwd: dir, env: { PATH: "/usr/local/bin:/usr/bin:/bin", LANG: "C.UTF-8" } });
  if (run.status !== 0 || !existsSync(out)) {
    throw new Error(`recording ${script} with ${python} failed (${run.status}): ${run.stderr.toString()}`);
  }
  const trace = parseTrace(readFileSync(out, "utf8"));
  rmSync(out, { force: true });
  return trace;
}

/** The same objects built with Builtins under `profile`, recorded: the first checkpoint after setup. */
export function simulateVariant(pair: Pair, variant: "worse" | "better", profile: Profile): Trace {
  const recorder = new TraceRecorder(new BlockAllocator({ profile }), { workload: `${pair.id} ${variant}` });
  const objects = new RefCounter({ allocator: recorder });
  const gc = new CycleCollector({ objects });
  const py = new Builtins({ objects });
  // What the interpreter holds besides the workload: its first arena is no figure of the workload's.
  const interpreter = recorder.malloc(16);
  const env = pair.simulateSetup(py, objects, pair.n);
  gc.collect();
  recorder.checkpoint();
  const result = pair[variant].simulate(py, objects, pair.n, env);
  recorder.checkpoint();
  for (const r of result) objects.decref(r);
  for (const r of env.owned) objects.decref(r);
  recorder.free(interpreter);
  return recorder.trace();
}

/**
 * Where a checked replay's time goes, in a process of its own: argv = trace
 * path. Builds a reserved heap per pass (all before the first, as
 * replay-child.ts does), replays warm-up passes, then samples V8's CPU
 * profiler over the timed passes and prints, as JSON, ns/op and the share of
 * profiler ticks by part of pymem. Ticks are attributed by source line, so
 * code V8 inlined into the replay loop still counts for the module (and
 * method) it comes from; the bundle's `// src/...` markers name the modules.
 */
import { readFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { built } from "./pymem.js";

const [path] = process.argv.slice(2) as [string];
const WARM = 3;
const TIMED = 6;

/** The part of pymem a line of the bundle belongs to. */
function partsOfBundle(): (line: number) => string {
  const lines = readFileSync(fileURLToPath(new URL("../dist/index.js", import.meta.url)), "utf8").split("\n");
  const moduleOf: string[] = [];
  const methodOf: string[] = [];
  let module = "";
  let method = "";
  lines.forEach((text, i) => {
    const m = /^\/\/ (src\/\S+)\.ts$/.exec(text);
    if (m) module = m[1] as string;
    const f = /^ {2}(?:static |async |get |set |private )*#?(\w+)\s*\(/.exec(text) ?? /^function (\w+)\(/.exec(text);
    if (f) method = f[1] as string;
    moduleOf[i + 1] = module;
    methodOf[i + 1] = method;
  });
  return (line) => {
    const mod = moduleOf[line] ?? "";
    const fn = methodOf[line] ?? "";
    if (
      mod === "src/internal/granule-bitmap" ||
      mod === "src/pymalloc/checked-mode" ||
      /^(markLive|growLive|checkLive\w*)$/.test(fn)
    ) {
      return "checked mode: live-block bitmaps";
    }
    if (mod.startsWith("src/trace/")) return "replay loop: trace ops, live-block table";
    if (/^src\/pymalloc\/arena/.test(mod) || /^(poolEmptied|poolRefilled)$/.test(fn)) {
      return "pymalloc: arenas and their lists";
    }
    if (mod.startsWith("src/pymalloc/")) return "pymalloc: size classes, pools, free lists";
    if (mod.startsWith("src/raw/")) return "RawAllocator: arenas' and large requests' memory (TLSF)";
    if (mod === "src/events") return "events: the no-listener checks";
    if (mod === "src/internal/arguments") return "argument checks";
    return `other pymem (${mod})`;
  };
}

const pm = await built();
const trace = pm.parseTrace(gunzipSync(readFileSync(path)).toString("utf8"));
const profile = pm.profiles["cpython-3.11"];
const heaps = Array.from(
  { length: WARM + TIMED },
  () => pm.createHeap({ profile, checked: true, reserve: true }).blocks,
);
for (let r = 0; r < WARM; r++) pm.replayTrace(trace, heaps[r] as never);
const session = new Session();
session.connect();
await session.post("Profiler.enable");
await session.post("Profiler.setSamplingInterval", { interval: 100 });
await session.post("Profiler.start");
const t0 = performance.now();
for (let r = WARM; r < WARM + TIMED; r++) pm.replayTrace(trace, heaps[r] as never);
const ms = performance.now() - t0;
const { profile: cpu } = await session.post("Profiler.stop");

const partOf = partsOfBundle();
const ticks = new Map<string, number>();
let total = 0;
const add = (part: string, n: number) => {
  ticks.set(part, (ticks.get(part) ?? 0) + n);
  total += n;
};
const hits = new Map<number, number>();
for (const id of cpu.samples ?? []) hits.set(id, (hits.get(id) ?? 0) + 1);
for (const node of cpu.nodes) {
  const n = hits.get(node.id) ?? 0;
  if (n === 0 || node.callFrame.functionName === "(idle)") continue;
  if (!node.callFrame.url.endsWith("/dist/index.js")) {
    add("V8: garbage collection, compiler, runtime", n);
    continue;
  }
  const lines = node.positionTicks ?? [];
  const onLines = lines.reduce((s, t) => s + t.ticks, 0);
  for (const t of lines) add(partOf(t.line), t.ticks);
  // Samples V8 gave no line for: the function's own first line.
  if (n > onLines) add(partOf(node.callFrame.lineNumber + 1), n - onLines);
}
const nsPerOp = (ms * 1e6) / (TIMED * trace.ops.length);
console.log(JSON.stringify({ nsPerOp, parts: Object.fromEntries([...ticks].map(([k, v]) => [k, v / total])) }));

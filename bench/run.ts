/**
 * `npm run bench`: builds the bundle, runs every benchmark against it, prints
 * the tables and writes them with the machine's description to
 * docs/performance.md. Ratios compare runs made here, now, on this machine.
 */
import { writeFileSync } from "node:fs";
import { arch, cpus, platform, release, totalmem } from "node:os";
import { fileURLToPath } from "node:url";
import { bufferBench } from "./buffer.bench.js";
import { memoryBench } from "./memory.bench.js";
import { objectsBench } from "./objects.bench.js";
import { rawBench } from "./raw.bench.js";
import { replayBench } from "./replay.bench.js";
import { markdown, type Table, text } from "./table.js";

const only = process.argv.slice(2);
const benches: Array<[string, (t: Table[]) => Promise<void>]> = [
  ["replay", replayBench],
  ["objects", objectsBench],
  ["memory", memoryBench],
  ["raw", rawBench],
  ["buffer", bufferBench],
];
const tables: Table[] = [];
for (const [name, run] of benches) {
  if (only.length > 0 && !only.includes(name)) continue;
  const before = tables.length;
  await run(tables);
  for (const t of tables.slice(before)) console.log(`${text(t)}\n`);
}
const cpu = cpus();
const machine = [
  `- CPU: ${cpu[0]?.model ?? "unknown"} (${cpu.length} logical cores), ${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
  `- OS: ${platform()} ${release()} ${arch()}; Node ${process.version}`,
  `- Date: ${new Date().toISOString().slice(0, 10)}`,
];
if (only.length === 0) {
  const doc = [
    "# Performance",
    "",
    "Written by `npm run bench` (bench/): every figure below comes from one run on the machine described here;",
    "the ratios compare runs made in the same process or script, minutes apart.",
    "",
    ...machine,
    "",
    ...tables.map(markdown),
    "## Reading these figures",
    "",
    "This machine is a 2-core virtual machine whose speed drifts by tens of percent from one minute to the",
    "next: contenders are interleaved and each is measured in a fresh process, and only the ratios mean much.",
    "",
    "Where the time goes (`node --cpu-prof` on the built bundle): in replay, the loop with pymalloc's fast",
    "paths inlined into it, `free` with its arena-map membership test, and checked mode's live-block bitmap",
    "(those hot methods are kept small enough to fit V8's cumulative inlining budget; when they did not, runs",
    "settled at one of two speeds, about 48 or 80 ns/op on difflib_text, depending on what got inlined); in",
    "`collect(2)`, `subtract_refs` (random access to every referent, as in C, twice since 3.9's resurrection",
    "check) and the deallocation of the garbage. Under both, every typed-array access pays for the resizable",
    "buffer (the table above prices it): the memory model grows one buffer in place so that views of it never go",
    "stale, and this Node's V8 reaches such buffers by a slower path. Issue #7 tracks the targets.",
    "",
  ].join("\n");
  writeFileSync(fileURLToPath(new URL("../docs/performance.md", import.meta.url)), doc);
  console.log("written to docs/performance.md");
}

/**
 * `npm run bench`: builds the bundle, runs every benchmark against it, prints
 * the tables and writes them with the machine's description to
 * docs/performance.md. Ratios compare runs made here, now, on this machine.
 */
import { writeFileSync } from "node:fs";
import { arch, cpus, platform, release, totalmem } from "node:os";
import { fileURLToPath } from "node:url";
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
  ].join("\n");
  writeFileSync(fileURLToPath(new URL("../docs/performance.md", import.meta.url)), doc);
  console.log("written to docs/performance.md");
}

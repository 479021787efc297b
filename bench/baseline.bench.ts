/**
 * Before and after, in one run: the replay and objects figures of this
 * checkout's bundle against those of a baseline git revision (PYMEM_BASELINE,
 * e.g. `PYMEM_BASELINE=main~3 npm run bench -- baseline`), each measurement
 * in a fresh process, the two builds alternating round by round so that a
 * slow spell of the machine falls on both. Skipped when no baseline is named.
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { baselineBundle } from "./pymem.js";
import { traceFiles } from "./replay.bench.js";
import type { Table } from "./table.js";

const root = fileURLToPath(new URL("../", import.meta.url));
const ROUNDS = Number(process.env.PYMEM_BASELINE_ROUNDS ?? 7);

function run(child: string, args: string[], bundle: string): number {
  const r = spawnSync(process.execPath, ["--import", "tsx", fileURLToPath(new URL(child, import.meta.url)), ...args], {
    encoding: "utf8",
    env: { ...process.env, PYMEM_BUNDLE: bundle },
    maxBuffer: 1 << 20,
  });
  if (r.status !== 0) throw new Error(`${child} ${args.join(" ")} failed:\n${r.stderr}`);
  return Number(r.stdout.trim());
}

export async function baselineBench(tables: Table[]): Promise<void> {
  const ref = process.env.PYMEM_BASELINE;
  if (ref === undefined) {
    tables.push({
      title: "Against a baseline",
      head: ["-"],
      rows: [],
      notes: ["skipped: set PYMEM_BASELINE to a git revision to compare with"],
    });
    return;
  }
  const before = baselineBundle(ref);
  const after = `${root}dist/index.js`;
  const figures: Array<[string, string, string[]]> = [];
  for (const path of traceFiles()) {
    const name = path.slice(path.lastIndexOf("/") + 1);
    for (const kind of ["pymem-checked", "pymem-unchecked"]) {
      figures.push([`replay ${name}, ${kind.slice(6)} (ns/op)`, "./replay-child.ts", [path, kind, "15"]]);
    }
  }
  for (const profile of ["cpython-3.11", "cpython-3.13", "cpython-3.14.0"]) {
    figures.push([`collect(2) of 10^6 objects, ${profile} (ms)`, "./objects-child.ts", ["collect", profile]]);
  }
  figures.push([
    "a 10^6-object chain built and released, cpython-3.11 (ns/object)",
    "./objects-child.ts",
    ["chain", "cpython-3.11"],
  ]);
  const rows: string[][] = [];
  const ratios: number[] = [];
  for (const [label, child, args] of figures) {
    const b: number[] = [];
    const a: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      // Alternate which goes first, so that neither always runs right after the other.
      if (r % 2 === 0) {
        b.push(run(child, args, before));
        a.push(run(child, args, after));
      } else {
        a.push(run(child, args, after));
        b.push(run(child, args, before));
      }
    }
    // The machine's speed drifts over minutes: a round's two runs, made back to back, are compared with each
    // other, and the median of those ratios is the figure; the best of each build is shown beside it.
    const paired = median(a.map((x, i) => x / (b[i] as number)));
    ratios.push(paired);
    rows.push([
      label,
      Math.min(...b).toFixed(1),
      Math.min(...a).toFixed(1),
      (Math.min(...a) / Math.min(...b)).toFixed(3),
      paired.toFixed(3),
    ]);
  }
  const worst = Math.max(...ratios);
  tables.push({
    title: `Against a baseline (${ref})`,
    head: ["figure", "before (best)", "after (best)", "best ÷ best", "after ÷ before (median of rounds)"],
    rows,
    notes: [
      `${ROUNDS} rounds each, every measurement a fresh process, the two builds alternating; the last column is the median over the rounds of each round's after ÷ before. Worst ${worst.toFixed(3)}; geometric mean ${Math.exp(ratios.reduce((s, x) => s + Math.log(x), 0) / ratios.length).toFixed(3)}.`,
    ],
  });
}

function median(xs: number[]): number {
  const s = [...xs].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

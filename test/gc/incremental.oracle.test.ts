/**
 * Differential test of 3.14's incremental collector against CPython 3.14.2
 * (Pyodide, see test/support/pyodide.ts). The seeded programs of
 * gc-programs.ts hold their objects in a function's local variables (stack
 * roots for 3.14's marking), run twice: with the scan-rate threshold so high
 * that increments cover only the new objects (the interpreter's own heap plays
 * no part), and at the default thresholds with the interpreter's heap_size set
 * to a known value per program (pymem's `heapSize` option). After every
 * collection: the same return value, finalizers and callbacks in the same
 * order, the same objects alive, the same gc.get_count() and gc.get_stats().
 * Golden hashes of the real logs (test/gc/golden/gc-3.14*.json) are checked
 * too, so a change of interpreter shows up.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";
import { profiles } from "../../src/index.js";
import { compared } from "../support/comparisons.js";
import { gcStateAddress, pyodide314 } from "../support/pyodide.js";
import { GOLDEN_ONLY } from "../support/python.js";
import { type GcOp, gcPythonLocalsScript, generateGcProgram, runGcWithPymem } from "./gc-programs.js";

const PROGRAMS = 500;
const profile = profiles["cpython-3.14.0"];
const update = process.env.UPDATE_GOLDEN === "1";
const hash = (log: string[]) => createHash("sha256").update(JSON.stringify(log)).digest("hex");
const programs = Array.from({ length: PROGRAMS }, (_, s) => generateGcProgram(s, 60 + (s % 5) * 60));

function check(name: string, scale: number, heapOf: (k: number) => number | undefined) {
  const goldenPath = fileURLToPath(new URL(`./golden/${name}.json`, import.meta.url));
  const holding = (k: number) => {
    const size = heapOf(k);
    return size === undefined ? { locals: true, scale } : { locals: true, scale, heapSize: size };
  };
  it.skipIf(GOLDEN_ONLY)(
    `${PROGRAMS} programs collect exactly as CPython 3.14 (${name})${GOLDEN_ONLY ? " (skipped: PYMEM_GOLDEN_ONLY is set)" : ""}`,
    async () => {
      const py = await pyodide314();
      const gcState = gcStateAddress(py);
      const real: string[][] = [];
      let collections = 0;
      let increments = 0;
      programs.forEach((p: GcOp[], k) => {
        const size = heapOf(k);
        const script = gcPythonLocalsScript(p, scale, size === undefined ? undefined : { size, gcState });
        const log = JSON.parse(py.runPython(script) as string) as string[];
        real.push(log);
        const mine = runGcWithPymem(p, profile, holding(k));
        expect(mine, `program ${k}`).toEqual(log);
        collections += log.filter((l) => l.startsWith("collect")).length;
        // Programs where increments (generation 1) collected something.
        if (/stats \S+ \d+\/[1-9]/.test(log.filter((l) => l.startsWith("collect")).at(-1) ?? "")) increments++;
      });
      expect(collections).toBeGreaterThan(PROGRAMS * 3);
      expect(increments, "programs where increments collected something").toBeGreaterThan(0);
      compared("Pyodide 3.14.2", "real", `gc incremental (${name})`, PROGRAMS);
      const hashes = real.map(hash);
      if (update) writeFileSync(goldenPath, `${JSON.stringify(hashes, null, 0)}\n`);
      else {
        const golden = existsSync(goldenPath) ? JSON.parse(readFileSync(goldenPath, "utf8")) : [];
        expect(hashes, `golden hashes of ${name} are stale: rerun with UPDATE_GOLDEN=1`).toEqual(golden);
      }
    },
    600_000,
  );

  it(`${PROGRAMS} programs match the logs recorded from CPython 3.14.2 (${name})`, () => {
    const golden: string[] = JSON.parse(readFileSync(goldenPath, "utf8"));
    expect(golden).toHaveLength(PROGRAMS);
    programs.forEach((p, k) => {
      expect(hash(runGcWithPymem(p, profile, holding(k))), `program ${k}`).toBe(golden[k]);
    });
    compared("3.14.0", "golden", `gc incremental (${name})`, PROGRAMS);
  }, 600_000);
}

check("gc-3.14-scan-new", 1_000_000_000, () => undefined);
check("gc-3.14-default", 10, (k) => 500 + ((k * 7919) % 40_000));

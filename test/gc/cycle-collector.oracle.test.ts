/**
 * Differential test of the cycle collector: 500 seeded programs (self-loops,
 * rings, cliques, chains off cycles, collect(0/1/2) in mixes, finalizers,
 * resurrection, weak references with callbacks) run in each installed CPython
 * 3.8–3.13 and in pymem under that version's profile: after every collection
 * the same return value, the same finalizers run in the same order, the same
 * callbacks, the same objects alive. Golden hashes of the real logs
 * (test/gc/golden, rewritten with UPDATE_GOLDEN=1) keep the check on machines
 * without the interpreters.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";
import { type ProfileName, profiles } from "../../src/index.js";
import { pythonFor } from "../support/python.js";
import { gcPythonScript, generateGcProgram, runGcWithPymem, runGcWithPythonMany } from "./gc-programs.js";

const PROGRAMS = 500;
const goldenDir = fileURLToPath(new URL("./golden/", import.meta.url));
const update = process.env.UPDATE_GOLDEN === "1";
const hash = (log: string[]) => createHash("sha256").update(JSON.stringify(log)).digest("hex");
const programs = Array.from({ length: PROGRAMS }, (_, s) => generateGcProgram(s, 60 + (s % 5) * 60));

for (const version of ["3.8", "3.9", "3.10", "3.11", "3.12", "3.13"]) {
  const python = pythonFor(version);
  const profile = profiles[`cpython-${version}` as ProfileName];
  const goldenPath = `${goldenDir}gc-${version}.json`;
  const golden: string[] = existsSync(goldenPath) ? JSON.parse(readFileSync(goldenPath, "utf8")) : [];
  it.skipIf(python === undefined)(
    `${PROGRAMS} programs collect exactly as CPython ${version}${python === undefined ? ` (skipped: python${version} is not installed)` : ""}`,
    async () => {
      const real = await runGcWithPythonMany(python as string, programs.map(gcPythonScript));
      let collections = 0;
      programs.forEach((p, k) => {
        const mine = runGcWithPymem(p, profile);
        expect(mine, `program ${k}`).toEqual(real[k]);
        collections += mine.filter((l) => l.startsWith("collect")).length;
      });
      expect(collections).toBeGreaterThan(PROGRAMS * 3);
      const hashes = real.map(hash);
      if (update) writeFileSync(goldenPath, `${JSON.stringify(hashes, null, 0)}\n`);
      else expect(hashes, `golden hashes of ${version} are stale: rerun with UPDATE_GOLDEN=1`).toEqual(golden);
    },
    600_000,
  );
  it(`${PROGRAMS} programs match the logs recorded from CPython ${version}`, () => {
    expect(golden).toHaveLength(PROGRAMS);
    programs.forEach((p, k) => {
      expect(hash(runGcWithPymem(p, profile)), `program ${k}`).toBe(golden[k]);
    });
  });
}

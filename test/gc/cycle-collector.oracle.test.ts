/**
 * Differential test of the cycle collector: 500 seeded programs (self-loops,
 * rings, cliques, chains off cycles, collect(0/1/2) in mixes, finalizers,
 * resurrection, weak references with callbacks) run in each installed CPython
 * 3.8–3.13 and in pymem under that version's profile: after every collection
 * the same return value, the same finalizers run in the same order, the same
 * callbacks, the same objects alive.
 */
import { spawnSync } from "node:child_process";
import { expect, it } from "vitest";
import { type ProfileName, profiles } from "../../src/index.js";
import { gcPythonScript, generateGcProgram, runGcWithPymem, runGcWithPythonMany } from "./gc-programs.js";

function pythonFor(version: string): string | undefined {
  const pyenv = spawnSync("pyenv", ["prefix", version], { encoding: "utf8" });
  const candidates = pyenv.status === 0 ? [`${pyenv.stdout.trim()}/bin/python${version}`] : [];
  candidates.push(`python${version}`);
  for (const c of candidates) if (spawnSync(c, ["-c", "pass"]).status === 0) return c;
  return undefined;
}

const PROGRAMS = 500;
const programs = Array.from({ length: PROGRAMS }, (_, s) => generateGcProgram(s, 60 + (s % 5) * 60));

for (const version of ["3.8", "3.9", "3.10", "3.11", "3.12", "3.13"]) {
  const python = pythonFor(version);
  const profile = profiles[`cpython-${version}` as ProfileName];
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
    },
    600_000,
  );
}

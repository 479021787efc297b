/**
 * Differential test of the cycle collector: 500 seeded programs (self-loops,
 * rings, cliques, chains off cycles, collect(0/1/2) in mixes, finalizers,
 * resurrection, weak references with callbacks) run in each installed CPython
 * 3.8–3.13, in Debian's 3.13 and 3.14 of today (3.14.5+ runs 3.13's
 * collector again), and in pymem under that version's profile: after every collection
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
import { compared } from "../support/comparisons.js";
import { debianPython, pythonFor } from "../support/python.js";
import { gcOraclePrograms, gcPythonScript, runGcWithPymem, runGcWithPythonMany } from "./gc-programs.js";

const RANDOM = 500;
const goldenDir = fileURLToPath(new URL("./golden/", import.meta.url));
const update = process.env.UPDATE_GOLDEN === "1";
const hash = (log: string[]) => createHash("sha256").update(JSON.stringify(log)).digest("hex");
const programs = gcOraclePrograms(RANDOM);
const PROGRAMS = programs.length;

/** Where the real logs come from: pyenv's CPythons, and Debian's (the releases people run now). */
interface Source {
  /** The profile's version and the golden's name. */
  version: string;
  /** The interpreter's name in the test's title. */
  label: string;
  python: string | undefined;
  /** Why there is no interpreter. */
  why: string;
}

const sources: Source[] = ["3.8", "3.9", "3.10", "3.11", "3.12", "3.13"].map((version) => ({
  version,
  label: `CPython ${version}`,
  python: pythonFor(version),
  why: `python${version} is not installed`,
}));
// 3.14.5+ runs 3.13's generational collector again (gh-148726): cpython-3.14 is proved against a 3.14 of today;
// 3.15 clears weak references later (gh-135552).
for (const version of ["3.13", "3.14", "3.15"]) {
  const d = debianPython(version);
  sources.push({
    version,
    label: `CPython ${d.release ?? version} (Debian sid)`,
    python: d.python,
    why: `Debian's python${version} cannot be had here: ${d.why}`,
  });
}

for (const { version, label, python, why } of sources) {
  const profile = profiles[`cpython-${version}` as ProfileName];
  const goldenPath = `${goldenDir}gc-${version}.json`;
  const golden: string[] = existsSync(goldenPath) ? JSON.parse(readFileSync(goldenPath, "utf8")) : [];
  it.skipIf(python === undefined)(
    `${PROGRAMS} programs collect exactly as ${label}${python === undefined ? ` (skipped: ${why})` : ""}`,
    async () => {
      const real = await runGcWithPythonMany(python as string, programs.map(gcPythonScript));
      let collections = 0;
      programs.forEach((p, k) => {
        const mine = runGcWithPymem(p, profile);
        expect(mine, `program ${k}`).toEqual(real[k]);
        collections += mine.filter((l) => l.startsWith("collect")).length;
      });
      expect(collections).toBeGreaterThan(PROGRAMS * 3);
      compared(python as string, "real", "gc", PROGRAMS);
      const hashes = real.map(hash);
      if (update) writeFileSync(goldenPath, `${JSON.stringify(hashes, null, 0)}\n`);
      else expect(hashes, `golden hashes of ${version} are stale: rerun with UPDATE_GOLDEN=1`).toEqual(golden);
    },
    600_000,
  );
}

for (const version of ["3.8", "3.9", "3.10", "3.11", "3.12", "3.13", "3.14", "3.15"]) {
  const profile = profiles[`cpython-${version}` as ProfileName];
  const golden: string[] = JSON.parse(readFileSync(`${goldenDir}gc-${version}.json`, "utf8"));
  it(`${PROGRAMS} programs match the logs recorded from CPython ${version}`, () => {
    expect(golden).toHaveLength(PROGRAMS);
    programs.forEach((p, k) => {
      expect(hash(runGcWithPymem(p, profile)), `program ${k}`).toBe(golden[k]);
    });
    compared(version, "golden", "gc", PROGRAMS);
  });
}

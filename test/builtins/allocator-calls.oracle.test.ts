/**
 * Differential test: the scripted operations of allocator-calls.ts (a list
 * grown by append and emptied by pop, list displays and extend, tuples of
 * sizes 0–25 made and dropped, floats and ints past their free lists, strs
 * of every kind and bytes, and seeded mixtures of them all) make, between
 * each pair of checkpoints, the allocator calls each real CPython 3.8–3.15
 * makes, recorded live with `pymem record`: sizes, order, and the blocks
 * reallocated and freed. Golden hashes of the real calls
 * (test/builtins/golden) keep the check without the interpreters.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import { afterAll, expect, it } from "vitest";
import { record } from "../../cli/record.js";
import { type ProfileName, profileProofs, profiles } from "../../src/index.js";
import { compared } from "../support/comparisons.js";
import { recordingPython } from "../support/python.js";
import {
  madeBefore,
  ownFrees,
  pymemSegments,
  pythonScript,
  scripts,
  segmentSteps,
  segments,
} from "./allocator-calls.js";

const all = scripts();
const goldenDir = fileURLToPath(new URL("./golden/", import.meta.url));
const update = process.env.UPDATE_GOLDEN === "1";
const hash = (s: string[][]) => createHash("sha256").update(JSON.stringify(s)).digest("hex");
const work = mkdtempSync(`${tmpdir()}/pymem-builtins-`);
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** What a golden keeps of a script's real calls. */
interface GoldenScript {
  name: string;
  steps: number;
  calls: number;
  hash: string;
}

it("the profiles' proofs count the scripted steps compared", () => {
  const steps = all.reduce((n, s) => n + s.steps.length, 0);
  expect(profileProofs["cpython-3.11"].builtins).toContain(
    `allocator calls of ${steps.toLocaleString("en-US")} scripted steps`,
  );
});

for (const version of ["3.8", "3.9", "3.10", "3.11", "3.12", "3.13", "3.14", "3.15"]) {
  const profile = profiles[`cpython-${version}` as ProfileName];
  const goldenPath = `${goldenDir}calls-${version}.json`;
  const golden: GoldenScript[] = existsSync(goldenPath) ? JSON.parse(readFileSync(goldenPath, "utf8")) : [];
  const { python, why } = recordingPython(version);

  it(`each step makes the allocator calls recorded from CPython ${version}`, () => {
    expect(
      golden.map((g) => g.name),
      `goldens of ${version}: record them with UPDATE_GOLDEN=1`,
    ).toEqual(all.map((s) => s.name));
    let calls = 0;
    for (const [k, s] of all.entries()) {
      const mine = pymemSegments(profile, s.steps);
      const of = segmentSteps(s.steps);
      expect(mine, s.name).toHaveLength(of.length);
      const kept = mine.map((c, i) => (of[i]?.op === "collect" ? ownFrees(c, madeBefore(mine, i)) : c));
      expect(hash(kept), s.name).toBe(golden[k]?.hash);
      calls += golden[k]?.calls ?? 0;
    }
    compared(version, "golden", "built-ins' allocator calls", calls);
  });

  it.skipIf(python === undefined)(
    `each step makes the calls CPython ${version} makes, recorded live${python === undefined ? ` (skipped: ${why})` : ""}`,
    async () => {
      const found: GoldenScript[] = [];
      for (const [k, s] of all.entries()) {
        const base = `${work}/${version}-${k}`;
        writeFileSync(`${base}.py`, pythonScript(s.steps));
        const status = await record(`${base}.trace`, [`${base}.py`], { python: python as string });
        expect(status, `${s.name}: the script ran`).toBe(0);
        // After start-up's checkpoint: one segment per step.
        const real = segments(readFileSync(`${base}.trace`, "utf8"), 1);
        const mine = pymemSegments(profile, s.steps);
        const of = segmentSteps(s.steps);
        expect(real, s.name).toHaveLength(of.length);
        real.forEach((calls, i) => {
          const what = `${s.name}, segment ${i}: ${JSON.stringify(of[i], (_, v) => (typeof v === "bigint" ? String(v) : v))}`;
          if (of[i]?.op === "collect") {
            // The interpreter's own objects die too: compare the frees of ours, in order.
            const before = madeBefore(real, i);
            expect(ownFrees(mine[i] as string[], before), what).toEqual(ownFrees(calls, before));
            expect(ownFrees(calls, before).length, `${what}: frees something of ours`).toBeGreaterThan(0);
          } else expect(mine[i], what).toEqual(calls);
        });
        // What the goldens keep of a collection: our frees only (what pymem must match).
        const kept = real.map((c, i) => (of[i]?.op === "collect" ? ownFrees(c, madeBefore(real, i)) : c));
        const n = kept.reduce((sum, c) => sum + c.length, 0);
        found.push({ name: s.name, steps: s.steps.length, calls: n, hash: hash(kept) });
      }
      compared(
        python as string,
        "real",
        "built-ins' allocator calls",
        found.reduce((n, g) => n + g.calls, 0),
      );
      if (update) {
        mkdirSync(goldenDir, { recursive: true });
        writeFileSync(goldenPath, `${JSON.stringify(found, null, 1)}\n`);
      } else expect(found, `goldens of ${version} are stale: rerun with UPDATE_GOLDEN=1`).toEqual(golden);
    },
    600_000,
  );
}

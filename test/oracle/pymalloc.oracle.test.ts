/**
 * pymem's BlockAllocator against the real pymalloc of every installed CPython
 * 3.8–3.11 (the releases whose PyObject_Malloc works before start-up): every
 * block address, every arena taken and given back, and the stats text at
 * every `s` line and at the end must be identical.
 *
 * Where gcc or a libpython is missing, the direct comparison skips with the
 * reason, and the golden hashes (sha256 of the real CPython's stream, recorded
 * by `UPDATE_GOLDEN=1 npx vitest run test/oracle`) still check fidelity.
 * 3.12 and 3.13 run the same pymalloc functions as 3.11 (cpython-memory.md A.1:
 * a diff of 3.11.2 against 3.13.5 obmalloc.c shows only renames and the state
 * struct), but their PyObject_Malloc needs a started interpreter, so they are
 * not driven here.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { beforeAll, describe, expect, it } from "vitest";
import { type ProfileName, profileProofs, profiles } from "../../src/index.js";
import { compared } from "../support/comparisons.js";
import { directedTraces } from "./directed-traces.js";
import { generateTrace } from "./generate-traces.js";
import {
  buildReplay,
  findInterpreter,
  firstDifference,
  type Interpreter,
  type OracleInput,
  type PymemRun,
  replayWithPymem,
  runReplay,
  streamHash,
} from "./pymalloc-oracle.js";
import { missedAims, probeRules } from "./rule-probe.js";

const VERSIONS = ["3.8", "3.9", "3.10", "3.11"] as const;
const GENERATED = 1000;
const root = fileURLToPath(new URL("../../", import.meta.url));
const goldenDir = `${root}test/oracle/golden`;
const update = process.env.UPDATE_GOLDEN === "1";

function readTrace(path: string): string {
  const bytes = readFileSync(path);
  return path.endsWith(".gz") ? gunzipSync(bytes).toString("utf8") : bytes.toString("utf8");
}

/** The traces: generated ones, the committed fixture, and the big shared ones when ../shared is beside the project. */
function traces(): Array<{ name: string; text: string }> {
  const out: Array<{ name: string; text: string }> = [];
  for (let s = 0; s < GENERATED; s++) out.push({ name: `generated-${s}`, text: generateTrace(s) });
  out.push({ name: "startup", text: readTrace(`${root}cli/traces/startup.trace.gz`) });
  out.push({ name: "demo", text: readTrace(`${root}cli/traces/demo.trace.gz`) });
  for (const big of ["difflib_text", "regex_tokens"]) {
    const path = `${root}../shared/traces/${big}.trace.gz`;
    if (existsSync(path)) out.push({ name: big, text: readTrace(path) });
  }
  return out;
}

const sharedTraces = traces();

for (const version of VERSIONS) {
  const profile = profiles[`cpython-${version}`];
  // The seeded and recorded traces, then the ones aimed at this release's ordering rules (planned under its profile).
  const allTraces = [...sharedTraces, ...directedTraces(profile)];
  const goldenPath = `${goldenDir}/pymalloc-${version}.json`;
  const golden: Record<string, string> = existsSync(goldenPath) ? JSON.parse(readFileSync(goldenPath, "utf8")) : {};
  const py = findInterpreter(version);
  const binary = typeof py === "string" ? { skip: py } : buildReplay(py);
  const skip = typeof binary === "string" ? undefined : binary.skip;

  describe(`cpython-${version} profile against the real pymalloc`, () => {
    const runs = new Map<string, PymemRun>();
    beforeAll(() => {
      for (const t of allTraces) runs.set(t.name, replayWithPymem(t.text, profile));
    }, 600_000);

    it.skipIf(skip !== undefined)(
      `every address, arena and stats text equals libpython${version}'s${skip ? ` (skipped: ${skip})` : ""}`,
      () => {
        const inputs: OracleInput[] = allTraces.map((t) => ({
          name: t.name,
          text: t.text,
          arenas: (runs.get(t.name) as PymemRun).arenas,
        }));
        const real = runReplay(binary as string, inputs);
        const failures: string[] = [];
        let addresses = 0;
        for (const t of allTraces) {
          const expected = real.get(t.name);
          const mine = (runs.get(t.name) as PymemRun).lines;
          if (expected === undefined) {
            failures.push(`${t.name}: the harness printed nothing`);
            continue;
          }
          addresses += expected.filter((l) => l.startsWith("a ")).length;
          const d = firstDifference(expected, mine);
          if (d !== undefined) failures.push(`${t.name}: ${d}`);
          if (update) {
            golden[t.name] = streamHash(expected);
            // Recorded traces also keep the real report at their end, for the CLI's --stats test.
            if (!t.name.startsWith("generated-")) {
              const start = expected.lastIndexOf("S");
              golden[`final-stats:${t.name}`] = `${expected.slice(start + 1, expected.length - 1).join("\n")}\n`;
            }
          } else if (golden[t.name] !== undefined) {
            expect(streamHash(expected), `golden hash of ${t.name} is stale: rerun with UPDATE_GOLDEN=1`).toBe(
              golden[t.name],
            );
          }
        }
        if (update) writeFileSync(goldenPath, `${JSON.stringify(golden, null, 1)}\n`);
        expect(failures.slice(0, 3).join("\n\n")).toBe("");
        expect(addresses).toBeGreaterThan(100_000);
        compared((py as Interpreter).python, "real", "pymalloc", allTraces.length);
      },
      600_000,
    );

    it("each directed trace reaches the rules it aims at", () => {
      const directed = directedTraces(profile);
      const missed = directed.flatMap((t) => missedAims(t.name, probeRules(t.text, profile), profile));
      expect(missed).toEqual([]);
      expect(profileProofs[profile.name as ProfileName].pymalloc).toContain(`${directed.length} aimed at the ordering`);
    });

    it("matches the golden streams recorded from the real CPython", () => {
      const missing = allTraces.filter((t) => golden[t.name] === undefined).map((t) => t.name);
      expect(golden["final-stats:startup"], "the real report at the end of the start-up trace").toMatch(/^Small block/);
      // The big shared traces are optional; every committed trace must have its golden hash.
      expect(
        missing.filter(
          (n) => n.startsWith("generated-") || n.startsWith("directed-") || n === "startup" || n === "demo",
        ),
      ).toEqual([]);
      const wrong = allTraces
        .filter((t) => golden[t.name] !== undefined)
        .filter((t) => streamHash((runs.get(t.name) as PymemRun).lines) !== golden[t.name])
        .map((t) => t.name);
      expect(wrong).toEqual([]);
      compared(version, "golden", "pymalloc", allTraces.filter((t) => golden[t.name] !== undefined).length);
    });
  });
}

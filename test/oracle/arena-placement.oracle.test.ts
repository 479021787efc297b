/**
 * Arenas placed by an arena allocator of the user's (BlockAllocator's
 * `arenaAllocator`, CPython's PyObject_SetArenaAllocator), against the real
 * pymalloc of CPython 3.8–3.11 given the same placements: anywhere 8-aligned
 * in a region (most not pool-aligned, so that their first partial pool is
 * lost), on memory earlier arenas held, and sometimes none at all (pymalloc
 * then falls back to the raw allocator). Every block address, arena taken and
 * given back, and stats text must be identical; golden hashes of the real
 * streams keep the check where gcc or a libpython is missing.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { beforeAll, describe, expect, it } from "vitest";
import { type ProfileName, profiles, type RawAllocator } from "../../src/index.js";
import { compared } from "../support/comparisons.js";
import { intIn, rng } from "../support/random.js";
import { generateTrace } from "./generate-traces.js";
import {
  buildReplay,
  findInterpreter,
  firstDifference,
  type Interpreter,
  type PlacingArenas,
  type PymemRun,
  replayWithPymem,
  runReplay,
  streamHash,
} from "./pymalloc-oracle.js";

const VERSIONS = ["3.8", "3.9", "3.10", "3.11"] as const;
const GENERATED = 300;
const root = fileURLToPath(new URL("../../", import.meta.url));
const update = process.env.UPDATE_GOLDEN === "1";

/**
 * Places arenas at seeded random 8-aligned addresses of a region reserved in
 * `raw`, clear of the live ones; now and then (and when no place is found)
 * it has none to give.
 */
function scatter(seed: number): (raw: RawAllocator) => PlacingArenas {
  return (raw) => {
    const rand = rng(seed * 104_729 + 11);
    const bytes = 48 << 20;
    const region = raw.allocAligned(bytes, 1 << 20);
    const live = new Set<number>();
    const placed: number[] = [];
    return {
      placed,
      alloc(size) {
        let address = 0;
        if (rand() >= 0.03) {
          for (let tries = 0; tries < 20 && address === 0; tries++) {
            // Half the time right where a freed arena was, or next to a live one: memory arenas held before.
            const near = [...live][intIn(rand, 0, Math.max(0, live.size - 1))];
            const at =
              near !== undefined && rand() < 0.3
                ? near + size + 8 * intIn(rand, 0, 4)
                : region + 8 * intIn(rand, 1, (bytes - size) / 8 - 1);
            const clear = at + size <= region + bytes && [...live].every((b) => at + size <= b || b + size <= at);
            if (clear) address = at;
          }
        }
        placed.push(address);
        if (address !== 0) live.add(address);
        return address;
      },
      free(address) {
        live.delete(address);
      },
    };
  };
}

function readTrace(path: string): string {
  return gunzipSync(readFileSync(path)).toString("utf8");
}

const traces = [
  ...Array.from({ length: GENERATED }, (_, s) => ({ name: `generated-${s}`, text: generateTrace(5000 + s) })),
  { name: "startup", text: readTrace(`${root}cli/traces/startup.trace.gz`) },
];

for (const version of VERSIONS) {
  const profile = profiles[`cpython-${version}` as ProfileName];
  const goldenPath = `${root}test/oracle/golden/arenas-${version}.json`;
  const golden: Record<string, string> = existsSync(goldenPath) ? JSON.parse(readFileSync(goldenPath, "utf8")) : {};
  const py = findInterpreter(version);
  const binary = typeof py === "string" ? { skip: py } : buildReplay(py);
  const skip = typeof binary === "string" ? undefined : binary.skip;

  describe(`cpython-${version}: arenas where an arena allocator puts them`, () => {
    const runs = new Map<string, PymemRun>();
    beforeAll(() => {
      traces.forEach((t, k) => {
        runs.set(t.name, replayWithPymem(t.text, profile, scatter(k)));
      });
    }, 600_000);

    it("places arenas where it was told, not pool-aligned, on reused memory, and sometimes none at all", () => {
      let unaligned = 0;
      let none = 0;
      let released = 0;
      for (const run of runs.values()) {
        const taken = run.lines.filter((l) => l.startsWith("+")).map((l) => Number(l.slice(1)));
        // The arena:alloc events say exactly the non-zero addresses the allocator returned, in order.
        expect(taken).toEqual(run.arenas.filter((a) => a !== 0));
        unaligned += taken.filter((a) => a % profile.poolSize !== 0).length;
        none += run.arenas.filter((a) => a === 0).length;
        released += run.lines.filter((l) => l.startsWith("-")).length;
      }
      expect(unaligned).toBeGreaterThan(100);
      expect(none).toBeGreaterThan(0);
      expect(released).toBeGreaterThan(100);
    });

    it.skipIf(skip !== undefined)(
      `every address, arena and stats text equals libpython${version}'s given the same arenas${skip ? ` (skipped: ${skip})` : ""}`,
      () => {
        const real = runReplay(
          binary as string,
          traces.map((t) => ({ name: t.name, text: t.text, arenas: (runs.get(t.name) as PymemRun).arenas })),
        );
        const failures: string[] = [];
        const hashes: Record<string, string> = {};
        let addresses = 0;
        for (const t of traces) {
          const expected = real.get(t.name) ?? [];
          addresses += expected.filter((l) => l.startsWith("a ")).length;
          const d = firstDifference(expected, (runs.get(t.name) as PymemRun).lines);
          if (d !== undefined) failures.push(`${t.name}: ${d}`);
          hashes[t.name] = streamHash(expected);
        }
        if (update) writeFileSync(goldenPath, `${JSON.stringify(hashes, null, 1)}\n`);
        else expect(hashes, `golden hashes of ${version} are stale: rerun with UPDATE_GOLDEN=1`).toEqual(golden);
        expect(failures.slice(0, 3).join("\n\n")).toBe("");
        expect(addresses).toBeGreaterThan(50_000);
        compared((py as Interpreter).python, "real", "arena placement", traces.length);
      },
      600_000,
    );

    it("matches the golden streams recorded from the real CPython", () => {
      expect(Object.keys(golden).length, "golden hashes recorded for every trace").toBe(traces.length);
      const wrong = traces
        .filter((t) => streamHash((runs.get(t.name) as PymemRun).lines) !== golden[t.name])
        .map((t) => t.name);
      expect(wrong).toEqual([]);
      compared(version, "golden", "arena placement", traces.length);
    });
  });
}

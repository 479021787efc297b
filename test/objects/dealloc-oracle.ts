/**
 * Deallocation order of deep structures, measured through the real allocator:
 * each shape of dealloc-shapes.ts runs under `pymem record` in every CPython
 * 3.8–3.15 here, and the order of the frees between the two checkpoints around
 * `del root` is the order CPython deallocated the objects. pymem builds the same
 * shape under the release's profile and must deallocate in exactly that order,
 * position for position: the trashcan's cut (3.8–3.12 nesting, 3.13's recursion
 * budget, 3.14+'s C stack margin), its deposits and its drains.
 *
 * The live orders are kept as goldens (golden/dealloc-3.X.json.br, run-length
 * encoded), so a machine without the interpreters still checks pymem against
 * them. UPDATE_GOLDEN=1 rewrites them. The tests are in two files,
 * dealloc-order-3.8.oracle.test.ts and dealloc-order-3.13.oracle.test.ts, so
 * the recordings of the two halves run side by side.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import { brotliCompressSync, brotliDecompressSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { record } from "../../cli/record.js";
import { defineProfile, type Profile, profileForRelease } from "../../src/index.js";
import { compared } from "../support/comparisons.js";
import { recordingPython } from "../support/python.js";
import { DEALLOC_SHAPES, fromRuns, liveOrder, pymemOrder, shapeProgram, toRuns } from "./dealloc-shapes.js";

const goldenDir = fileURLToPath(new URL("./golden/", import.meta.url));
const update = process.env.UPDATE_GOLDEN === "1";

/** How many positions two orders share, and the first where they part. */
function agreement(a: number[], b: number[]): { same: number; first?: number } {
  let same = 0;
  let first: number | undefined;
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] === b[i]) same++;
    else first ??= i;
  }
  return { same, first };
}

/** Where pymem's order of each shape parts from the live one, under `profile`. */
function differences(live: Record<string, number[]>, profile: Profile): string[] {
  const out: string[] = [];
  for (const shape of DEALLOC_SHAPES) {
    const l = live[shape.name] as number[];
    const { same, first } = agreement(pymemOrder(shape, profile), l);
    if (first !== undefined)
      out.push(`${shape.name}: ${same} of ${l.length} positions agree; the first difference at ${first}`);
  }
  return out;
}

/**
 * 3.14+: the profile with the run's own stack. Where the stack's soft limit falls is the run's (stack size,
 * environment, paths), not the program's: the one number taken from the live run is the stack left at the top,
 * bounded by where the deepest chain was first cut; everything else the profile's frame sizes must predict.
 */
function withRunStack(profile: Profile, live: Record<string, number[]>): Profile {
  const tc = profile.trashcan;
  if (tc.kind !== "stack") return profile;
  const chain = live["chain-deep"] as number[];
  // The first object freed is the one above the first deposit, in a chain of instances.
  const cut = (chain[0] as number) + 1;
  const lowest = (cut - 1) * tc.frameBytes + 2 * tc.marginBytes;
  const candidates: Profile[] = [];
  for (let s = lowest; s < lowest + tc.frameBytes; s += 8) {
    candidates.push(defineProfile({ ...profile, trashcan: { ...tc, stackBytes: s } }));
  }
  return candidates.find((p) => differences(live, p).length === 0) ?? profile;
}

interface Golden {
  release: string;
  profile: string;
  /** 3.14+: the stack the run had at the top (see withRunStack). */
  stackBytes?: number;
  shapes: Record<string, [number, number][]>;
}

/** Defines the oracle's tests for `versions` (two test files share the releases, so they run side by side). */
export function deallocOrderOracle(versions: string[]): void {
  const tmp = mkdtempSync(`${tmpdir()}/pymem-dealloc-`);
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  for (const version of versions) defineFor(version, tmp);
}

function defineFor(version: string, tmp: string): void {
  const goldenPath = `${goldenDir}dealloc-${version}.json.br`;
  describe(`deallocation order of deep structures, CPython ${version}`, () => {
    it(`pymem frees every shape in the order recorded from CPython ${version}`, () => {
      const g = JSON.parse(brotliDecompressSync(readFileSync(goldenPath)).toString()) as Golden;
      let profile = profileForRelease(g.release) as Profile;
      expect(profile.name).toBe(g.profile);
      if (g.stackBytes !== undefined && profile.trashcan.kind === "stack") {
        profile = defineProfile({ ...profile, trashcan: { ...profile.trashcan, stackBytes: g.stackBytes } });
      }
      const live: Record<string, number[]> = {};
      for (const shape of DEALLOC_SHAPES) {
        const runs = g.shapes[shape.name];
        expect(runs, `${shape.name} is in the golden`).toBeDefined();
        live[shape.name] = fromRuns(runs as [number, number][]);
      }
      expect(differences(live, profile)).toEqual([]);
      compared(version, "golden", "deallocation order", DEALLOC_SHAPES.length);
    });

    // The releases' interpreters: pyenv's 3.8–3.12, Debian sid's 3.13–3.15 (the releases people run).
    const interpreter = recordingPython(version);
    const skip = interpreter.why;
    it.skipIf(skip !== undefined)(
      `the recorded free order of every shape is pymem's, CPython ${version}${skip ? ` (skipped: ${skip})` : ""}`,
      async () => {
        const python = interpreter.python as string;
        const dir = `${tmp}/${version}`;
        mkdirSync(dir, { recursive: true });
        const live: Record<string, number[]> = {};
        let release = "";
        for (const [k, shape] of DEALLOC_SHAPES.entries()) {
          // Paths of one length for every shape: the script's path and arguments sit at the top of the C stack,
          // and 3.14+'s trashcan cuts where the stack runs out.
          const at = `${dir}/${String(k).padStart(2, "0")}`;
          mkdirSync(at);
          const script = `${at}/dealloc.py`;
          writeFileSync(script, shapeProgram(shape));
          const trace = `${at}/trace`;
          const addresses = `${at}/addresses`;
          const marksFile = `${at}/marks`;
          const status = await record(trace, [script, marksFile], { python, addresses });
          expect(status, `${shape.name} under ${python}`).toBe(0);
          const text = readFileSync(trace, "utf8");
          release = text.match(/^# python: (.*)$/m)?.[1] ?? "";
          const marks = readFileSync(marksFile, "utf8")
            .split(" ")
            .map((h) => Number.parseInt(h, 16));
          live[shape.name] = liveOrder(text, readFileSync(addresses, "utf8"), marks);
          expect(live[shape.name], `${shape.name}: every watched block freed`).toHaveLength(marks.length);
        }
        const profile = withRunStack(profileForRelease(release) as Profile, live);
        if (update) {
          const g: Golden = {
            release,
            profile: profile.name,
            ...(profile.trashcan.kind === "stack" ? { stackBytes: profile.trashcan.stackBytes } : {}),
            shapes: Object.fromEntries(Object.entries(live).map(([name, order]) => [name, toRuns(order)])),
          };
          writeFileSync(goldenPath, brotliCompressSync(JSON.stringify(g)));
        }
        expect(differences(live, profile)).toEqual([]);
        compared(python, "real", "deallocation order", DEALLOC_SHAPES.length);
      },
      900_000,
    );
  });
}

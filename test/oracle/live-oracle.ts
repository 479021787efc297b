/**
 * The live-run oracle for CPython 3.12–3.15, whose pymalloc only runs in a
 * started interpreter: each release runs programs of our own under `pymem
 * record` (3.12.1 from pyenv; 3.13.18, 3.14.10 and 3.15.2 from Debian's
 * unstable suite, installed on demand by tools/pythons/debian-python.sh).
 * pymem replays each recording with its arenas where the live run's were (an
 * arena allocator, as PyObject_SetArenaAllocator places them), and must hand
 * out every block at the live address, take and give back the same arenas in
 * the same order, and write the live interpreter's own
 * `sys._debugmallocstats()` report at every checkpoint.
 *
 * The recordings, the live streams' hashes and the live reports are kept as
 * goldens (test/oracle/golden/<prefix>-3.X.*), so a machine without these
 * interpreters still checks pymem against them. UPDATE_GOLDEN=1 rewrites them.
 * Used by live-runs.oracle.test.ts (stdlib workloads) and
 * directed-live.oracle.test.ts (programs aimed at pymalloc's ordering rules).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LIVE_ALIGNMENT, type LiveRun, liveRun } from "../../cli/live-run.js";
import { main } from "../../cli/main.js";
import { record } from "../../cli/record.js";
import { type Profile, type ProfileName, profileForRelease, profiles } from "../../src/index.js";
import { compared } from "../support/comparisons.js";
import { recordingPython } from "../support/python.js";
import { packTraces, unpackTraces } from "../support/trace-pack.js";
import type { LiveProgram } from "./live-programs.js";
import { firstDifference, replayLive, streamHash } from "./pymalloc-oracle.js";
import { type RuleHits, RuleProbe } from "./rule-probe.js";

const golden = fileURLToPath(new URL("golden/", import.meta.url));
const update = process.env.UPDATE_GOLDEN === "1";

/** The interpreters: pyenv's 3.12, Debian sid's 3.13–3.15. */
const RELEASES = ["3.12", "3.13", "3.14", "3.15"];

/** What one use of the oracle compares. */
export interface LiveOracleOptions {
  /** The programs each release runs (a release's, from its profile). */
  programs: (profile: Profile) => readonly LiveProgram[];
  /** The goldens' file prefix: golden/<prefix>-3.X.json and .traces.br. */
  golden: string;
  /** The tests' title after "CPython 3.X's pymalloc, ". */
  title: string;
  /** What the comparisons count as, in the tally at the end of the run. */
  what: string;
  /** Also replay each recording through `pymem replay --arenas --every-checkpoint`. */
  cli?: boolean;
  /** Checks what pymem's replay of a recording (after start-up) saw: what the program aimed at was reached. */
  aimed?: (name: string, hits: RuleHits, profile: Profile) => void;
}

/** What a golden keeps of one live run. */
interface GoldenRun {
  name: string;
  /** Ops of the trace (m, c, r and f lines). */
  ops: number;
  /** Block addresses the live run handed out inside arenas. */
  addresses: number;
  /** The live run's arenas, as offsets from a base aligned to LIVE_ALIGNMENT, in the order taken. */
  arenas: number[];
  span: number;
  /** Lines of the live stream (see LiveRun.lines) and its sha256. */
  lines: number;
  hash: string;
  /** The live report at each checkpoint, in order. */
  stats: string[];
}

interface Golden {
  release: string;
  profile: string;
  runs: GoldenRun[];
}

/** The live reports a `--stats` file holds, in checkpoint order, with the ops before each. */
function liveReports(text: string): { op: number; report: string }[] {
  return text
    .split(/^--- checkpoint \d+ after op /m)
    .filter(Boolean)
    .map((part) => {
      const nl = part.indexOf("\n");
      return { op: Number(part.slice(0, nl)), report: part.slice(nl + 1) };
    });
}

/** The reports `pymem replay --every-checkpoint` printed, with the ops before each. */
function printedReports(out: string): { op: number; report: string }[] {
  const sections = out.split(/^\n--- stats at /m).slice(1);
  return sections
    .filter((s) => s.startsWith("line "))
    .map((s) => {
      const head = s.slice(0, s.indexOf("\n"));
      const op = Number((head.match(/after ([\d,]+) ops/)?.[1] ?? "").replaceAll(",", ""));
      return { op, report: s.slice(head.length + 1) };
    });
}

/** Defines the oracle's tests for every release. */
export function liveOracle(options: LiveOracleOptions): void {
  const tmp = mkdtempSync(`${tmpdir()}/pymem-${options.golden}-`);
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  for (const version of RELEASES) defineFor(version, options, tmp);
}

function defineFor(version: string, options: LiveOracleOptions, tmp: string): void {
  const { golden: prefix, what } = options;
  const programs = options.programs(profiles[`cpython-${version}` as ProfileName]);
  const goldenJson = `${golden}${prefix}-${version}.json`;
  const goldenPack = `${golden}${prefix}-${version}.traces.br`;
  const interpreter = recordingPython(version);
  const skip = interpreter.why;

  describe(`CPython ${version}'s pymalloc, ${options.title}`, () => {
    const dir = `${tmp}/${version}`;
    /** Each program's recording: trace text, the live stream, the live reports. */
    const fresh: { name: string; trace: string; addresses: string; live: LiveRun; stats: string[] }[] = [];
    let profile: Profile | undefined;
    let release = "";

    beforeAll(async () => {
      if (skip !== undefined) return;
      const python = interpreter.python as string;
      rmSync(dir, { recursive: true, force: true });
      // Every script is written before the first recording: their folder is sys.path[0], whose listing Python reads.
      const scripts = `${dir}/scripts`;
      mkdirSync(scripts, { recursive: true });
      for (const p of programs) writeFileSync(`${scripts}/live_${p.name}.py`, p.source);
      for (const p of programs) {
        const trace = `${dir}/${p.name}.trace`;
        const addresses = `${dir}/${p.name}.addresses`;
        const stats = `${dir}/${p.name}.stats`;
        const status = await record(trace, [`${scripts}/live_${p.name}.py`], { python, addresses, stats });
        expect(status, `${p.name} under ${python}`).toBe(0);
        const text = readFileSync(trace, "utf8");
        release = text.match(/^# python: (.*)$/m)?.[1] ?? "";
        profile ??= profileForRelease(release);
        if (profile === undefined) throw new Error(`no profile models CPython ${release}`);
        fresh.push({
          name: p.name,
          trace: text,
          addresses,
          live: liveRun(readFileSync(addresses, "utf8"), profile.arenaSize, LIVE_ALIGNMENT),
          stats: liveReports(readFileSync(stats, "utf8")).map((r) => r.report),
        });
      }
    }, 600_000);

    it.skipIf(skip !== undefined)(
      `every block address, arena and checkpoint report of the live run, reproduced${skip ? ` (skipped: ${skip})` : ""}`,
      () => {
        const p = profile as Profile;
        expect(p.name).toBe(`cpython-${version}`);
        const runs: GoldenRun[] = [];
        for (const run of fresh) {
          // What a recording reaches is checked on the goldens; here only before they are rewritten.
          const probe = update && options.aimed ? new RuleProbe(true) : undefined;
          const mine = replayLive(run.trace, p, run.live, probe);
          expect(firstDifference(run.live.lines, mine.lines), `${run.name}: the live stream`).toBeUndefined();
          expect(mine.stats, `${run.name}: the live reports`).toEqual(run.stats);
          expect(run.stats.length, `${run.name}: start-up's and the program's checkpoints`).toBe(2);
          if (probe) options.aimed?.(run.name, probe.hits, p);
          runs.push({
            name: run.name,
            ops: mine.ops,
            addresses: run.live.lines.filter((l) => l.startsWith("a ") && l !== "a raw").length,
            arenas: run.live.arenas,
            span: run.live.span,
            lines: run.live.lines.length,
            hash: streamHash(run.live.lines),
            stats: run.stats,
          });
        }
        expect(runs.length).toBe(programs.length);
        compared(interpreter.python as string, "real", what, runs.length);
        // Unpacking gives back every recording as it was made.
        const packed = packTraces(fresh.map((r) => r.trace));
        expect(unpackTraces(packed)).toEqual(fresh.map((r) => r.trace));
        if (update) {
          writeFileSync(goldenPack, packed);
          const g: Golden = { release, profile: p.name, runs };
          writeFileSync(goldenJson, `${JSON.stringify(g, null, 1)}\n`);
        }
      },
      600_000,
    );

    if (options.cli)
      it.skipIf(skip !== undefined)(
        `pymem replay --arenas --every-checkpoint prints the live reports${skip ? ` (skipped: ${skip})` : ""}`,
        async () => {
          for (const run of fresh) {
            const trace = `${dir}/${run.name}.trace`;
            let out = "";
            let err = "";
            const status = await main(["replay", trace, "--arenas", run.addresses, "--every-checkpoint"], {
              out: (s) => {
                out += s;
              },
              err: (s) => {
                err += s;
              },
            });
            expect(status, err).toBe(0);
            // No -p: the trace's header names the release, and the profile follows from it.
            expect(err).toContain(`profile cpython-${version} (the trace was recorded by CPython ${release}`);
            const printed = printedReports(out);
            const live = liveReports(readFileSync(run.addresses.replace(/addresses$/, "stats"), "utf8"));
            expect(printed, `${run.name}`).toEqual(live);
          }
        },
        600_000,
      );

    it("replays the golden live runs to the live streams and reports", () => {
      const g: Golden = JSON.parse(readFileSync(goldenJson, "utf8"));
      const traces = unpackTraces(readFileSync(goldenPack));
      expect(g.profile).toBe(`cpython-${version}`);
      expect(profileForRelease(g.release)?.name).toBe(g.profile);
      expect(g.runs.map((r) => r.name)).toEqual(programs.map((p) => p.name));
      expect(traces.length).toBe(g.runs.length);
      const p = profileForRelease(g.release) as Profile;
      g.runs.forEach((run, k) => {
        const placed: LiveRun = { base: 0n, arenas: run.arenas, lines: [], span: run.span };
        const probe = options.aimed ? new RuleProbe(true) : undefined;
        const mine = replayLive(traces[k] as string, p, placed, probe);
        expect(mine.ops, run.name).toBe(run.ops);
        expect(mine.lines.length, run.name).toBe(run.lines);
        expect(streamHash(mine.lines), `${run.name}: the golden live stream`).toBe(run.hash);
        expect(mine.stats, `${run.name}: the golden live reports`).toEqual(run.stats);
        if (probe) options.aimed?.(run.name, probe.hits, p);
      });
      compared(version, "golden", what, g.runs.length);
    }, 600_000);
  });
}

/**
 * The experimenter's first hour: record a program (one that ends with
 * sys.exit()), replay it, compare it under a JSON profile with 256 KiB arenas
 * to an HTML page, then do the same from a Node program.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { debianPython } from "../support/python.js";
import { cannotRecord, project, sh, typescript, write } from "./user.js";

const why = cannotRecord();
const shipped = "node_modules/pymem/cli/traces/demo.trace.gz";

describe("the experimenter", () => {
  // Recorded here when the machine can; the shipped trace of CPython 3.11 otherwise.
  let trace = shipped;

  it.skipIf(why !== undefined)(
    `records a program that calls sys.exit()${why ? ` (skipped: pymem record needs ${why})` : ""}`,
    () => {
      write(
        "prog.py",
        [
          "import sys",
          "table = {i: str(i) * 3 for i in range(20000)}",
          "rows = [[k, v] for k, v in table.items() if k % 3]",
          "print(len(rows))",
          "sys.exit(0)",
        ].join("\n"),
      );
      const before = new Set(readdirSync(project));
      const r = sh("npx", ["pymem", "record", "prog.trace.gz", "--", "prog.py"]);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/trace written to prog\.trace\.gz/);
      expect(readdirSync(project).filter((f) => !before.has(f))).toEqual(["prog.trace.gz"]);
      trace = "prog.trace.gz";
    },
  );

  const debian = why === undefined ? debianPython("3.15") : { why };
  it.skipIf(debian.python === undefined)(
    `records with CPython 3.15 (--python), and replays it as the live run went, with no -p${debian.python ? "" : ` (skipped: ${debian.why})`}`,
    () => {
      write(
        "live.py",
        [
          "import json, _pymem_record",
          "rows = [{'n': i, 's': str(i) * (i % 7)} for i in range(3000)]",
          "_pymem_record.checkpoint()  # the live report is taken here too",
          "print(len(json.dumps(rows)))",
        ].join("\n"),
      );
      const rec = sh("npx", [
        "pymem",
        "record",
        "--python",
        debian.python as string,
        "--addresses",
        "live.addresses",
        "--stats",
        "live.stats",
        "live.trace.gz",
        "--",
        "live.py",
      ]);
      expect(rec.status, rec.stderr).toBe(0);
      const replay = sh("npx", [
        "pymem",
        "replay",
        "live.trace.gz",
        "--arenas",
        "live.addresses",
        "--every-checkpoint",
      ]);
      expect(replay.status, replay.stderr).toBe(0);
      expect(replay.stderr).toMatch(/profile cpython-3\.15 \(the trace was recorded by CPython 3\.15\.\d+;/);
      // Each checkpoint's report is the live interpreter's, byte for byte.
      const live = readFileSync(join(project, "live.stats"), "utf8")
        .split(/^--- checkpoint \d+ after op \d+\n/m)
        .slice(1);
      const mine = replay.stdout.split(/^\n--- stats at line \d+ \(after [\d,]+ ops\)\n/m).slice(1, 1 + live.length);
      expect(live).toHaveLength(2);
      expect(mine.map((m, i) => (i === live.length - 1 ? m.slice(0, m.indexOf("\n--- stats at the end")) : m))).toEqual(
        live,
      );
    },
  );

  it("replays it, and compares it under a JSON profile with 256 KiB arenas to an HTML page", () => {
    const replay = sh("npx", ["pymem", "replay", trace, "--json", "-q"]);
    expect(replay.status, replay.stderr).toBe(0);
    const one = JSON.parse(replay.stdout) as { summary: { ops: number; peakRawBytes: number } };
    expect(one.summary.ops).toBeGreaterThan(10_000);

    write("small.json", JSON.stringify({ extends: "cpython-3.11", name: "small-arenas", arenaSize: 262144 }));
    const compare = sh("npx", [
      "pymem",
      "compare",
      trace,
      "-p",
      "cpython-3.11",
      "-p",
      "small.json",
      "--html",
      "cmp.html",
      "-q",
    ]);
    expect(compare.status, compare.stderr).toBe(0);
    expect(compare.stdout).toMatch(/cpython-3\.11 .*\n.*small-arenas/);
    const page = readFileSync(join(project, "cmp.html"), "utf8");
    expect(page).toMatch(/^<!doctype html>/);
    expect(page).toContain("small-arenas");
    expect(page).toMatch(/262,?144|256 KiB/); // the profile's parameters are on the page
    // The same experiment spelled on the command line.
    const spelled = sh("npx", [
      "pymem",
      "compare",
      trace,
      "-p",
      "small.json",
      "-p",
      "cpython-3.11:arenaSize=256KiB",
      "--json",
    ]);
    const [a, b] = JSON.parse(spelled.stdout) as Array<Record<string, unknown>>;
    expect({ ...b, profile: a?.profile, nsPerOp: 0 }).toEqual({ ...a, nsPerOp: 0 });
    // A typo in the profile names the field.
    write("typo.json", JSON.stringify({ extends: "cpython-3.11", arenasize: 262144 }));
    const typo = sh("npx", ["pymem", "replay", trace, "-p", "typo.json"]);
    expect(typo.status).toBe(2);
    expect(typo.stderr).toMatch(/typo\.json: unknown profile field "arenasize" \(did you mean arenaSize\?\)/);
  });

  it("does the same from a Node program: reads the trace once, replays it under several profiles, writes the page", () => {
    const cli = JSON.parse(sh("npx", ["pymem", "replay", trace, "--json", "-q"]).stdout) as {
      summary: { peakRawBytes: number; arenasHighwater: number };
    };
    const out = typescript(
      "experiment.ts",
      `import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { createHeap, defineProfile, profiles, replayTrace } from "pymem";
import { htmlReport, readTrace, replayFile, writeHtmlReport } from "pymem/node";

const trace = await readTrace(${JSON.stringify(trace)});
const small = defineProfile({ ...profiles["cpython-3.11"], name: "small", arenaSize: 262144 });
const rows = [];
for (const profile of [profiles["cpython-3.11"], small, profiles["cpython-3.11"]]) {
  const s = replayTrace(trace, createHeap({ profile }).blocks);
  rows.push({ profile: profile.name, arenas: s.arenasHighwater, peakRawBytes: s.peakRawBytes });
}
const runs = [
  await replayFile(${JSON.stringify(trace)}, { report: true }),
  await replayFile(${JSON.stringify(trace)}, { profile: small, report: true }),
];
await writeHtmlReport("api.html", runs, "256 KiB arenas");
const shipped = fileURLToPath(import.meta.resolve("pymem/traces/demo.trace.gz"));
console.log(JSON.stringify({ rows, page: htmlReport(runs, "x").length, shipped: existsSync(shipped) }));
`,
    );
    const r = JSON.parse(out) as {
      rows: Array<{ profile: string; arenas: number; peakRawBytes: number }>;
      page: number;
      shipped: boolean;
    };
    // Replayed any number of times, the same trace gives the same numbers; the command's among them.
    expect(r.rows[2]).toEqual(r.rows[0]);
    expect(r.rows[0]).toMatchObject({ arenas: cli.summary.arenasHighwater, peakRawBytes: cli.summary.peakRawBytes });
    expect(r.rows[1]?.arenas).toBeGreaterThan(r.rows[0]?.arenas ?? 0);
    expect(r.page).toBeGreaterThan(10_000);
    expect(r.shipped).toBe(true);
    expect(existsSync(join(project, "api.html"))).toBe(true);
  });
});

/**
 * `npm run test:coverage`: branch coverage of pymalloc's sources under the
 * oracle tests alone (the ones that compare pymem with real interpreters, or
 * with the goldens of their logs). Every branch of the allocation and free
 * paths must be reached by a trace that a real pymalloc also ran: a branch
 * only unit tests reach is a rule no real allocator vouches for.
 *
 *   npm run test:coverage        the oracles against the goldens (PYMEM_GOLDEN_ONLY=1)
 *   npm run test:coverage -- --live   against the interpreters installed here
 *
 * Branches that are not CPython's allocation and free logic are exempt, each
 * kind named below with why: event listeners, checked mode and argument
 * errors (pymem's own; their tests are the unit tests), and failures of the
 * memory under pymalloc. The run prints reached / total per file, lists every
 * miss, writes coverage-report.md, and exits 1 on a miss that is not exempt.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));

/** The oracle tests of pymalloc: generated, directed and recorded traces, live runs (directed ones too), arena placement. */
const ORACLES = [
  "test/oracle/pymalloc.oracle.test.ts",
  "test/oracle/live-runs.oracle.test.ts",
  "test/oracle/directed-live.oracle.test.ts",
  "test/oracle/arena-placement.oracle.test.ts",
];

/** The allocation and free paths: pymalloc's allocator, its arenas, pools and address map. */
const FILES = [
  "src/pymalloc/block-allocator.ts",
  "src/pymalloc/arena-objects.ts",
  "src/pymalloc/arena-map.ts",
  "src/pymalloc/size-class.ts",
];

/** Functions of those files that are views, reports and set-up, not the paths: their branches are not counted. */
const NOT_PATHS =
  /^(constructor|arenas|arena|pool|usableArenaOrder|usedPools|stats|allocatedBlocks|mallocStats|debugMallocStats|validate|usableSize|isLive|usableOrder|counts|firstPool|emit\w*|holder|asPymalloc|pymallocFallback)$/;

/**
 * Branches that are not CPython's allocation logic: each kind, why, and how it is told (the function the branch is
 * in, the source of its line and the next).
 */
const EXEMPT: { reason: string; test: (fn: string, text: string) => boolean }[] = [
  {
    reason: "NULL (free(NULL), realloc(NULL, n)): a trace names live blocks only; the unit tests call them",
    test: (_, t) => /address === 0\) return/.test(t),
  },
  {
    reason: "a user's arena allocator or listener throwing (the failed call changes nothing)",
    test: (_, t) => /grewFrom/.test(t),
  },
  {
    reason: "event listeners (pymem's events cost a branch when nobody listens; their errors are held)",
    test: (_, t) => /hasListeners|emit\(|ListenerErrors/.test(t),
  },
  {
    reason: "checked mode (pymem's detection of invalid and double frees)",
    test: (fn, t) => /Checked$/.test(fn) || /\bchecked\b|this\.check/.test(t),
  },
  {
    reason: "argument errors (typed errors naming the bad value)",
    test: (_, t) => /throw |Error\(|check[A-Z]\w*\(/.test(t),
  },
  {
    reason: "the memory under pymalloc failing (no arena, no raw block)",
    test: (_, t) => /=== 0\) return 0|=== null|OutOfMemory/.test(t),
  },
  {
    reason: "bounds of the simulated memory (an address outside it is nobody's block)",
    test: (_, t) => /address >= 0 &&|> bytes\) return false/.test(t),
  },
];

interface FileCoverage {
  fnMap: Record<string, { name: string; loc: { start: { line: number }; end: { line: number } } }>;
  branchMap: Record<string, { loc: { start: { line: number } }; type: string; locations: unknown[] }>;
  b: Record<string, number[]>;
}

function main(): number {
  const live = process.argv.includes("--live");
  const dir = mkdtempSync(`${tmpdir()}/pymem-coverage-`);
  try {
    const r = spawnSync(
      "npx",
      [
        "vitest",
        "run",
        ...ORACLES,
        "--coverage.enabled",
        "--coverage.provider=v8",
        "--coverage.reporter=json",
        `--coverage.reportsDirectory=${dir}`,
        ...FILES.map((f) => `--coverage.include=${f}`),
      ],
      {
        cwd: root,
        stdio: ["ignore", "inherit", "inherit"],
        env: { ...process.env, ...(live ? {} : { PYMEM_GOLDEN_ONLY: "1" }), UPDATE_GOLDEN: "" },
      },
    );
    if (r.status !== 0) {
      console.error(`the oracle tests failed (exit ${r.status}): no coverage to report`);
      return 1;
    }
    const coverage = JSON.parse(readFileSync(`${dir}/coverage-final.json`, "utf8")) as Record<string, FileCoverage>;
    const lines: string[] = [
      `# Branch coverage of pymalloc under the oracle tests (${live ? "live interpreters" : "goldens"})`,
      "",
      "| file | branches | reached | exempt, not reached | missed |",
      "| --- | ---: | ---: | ---: | ---: |",
    ];
    const misses: string[] = [];
    const exempted: string[] = [];
    const exemptions = new Map<string, number>();
    for (const [path, fc] of Object.entries(coverage)) {
      const file = relative(root, path);
      const source = readFileSync(path, "utf8").split("\n");
      let total = 0;
      let reached = 0;
      let exempt = 0;
      let missed = 0;
      const functions = Object.values(fc.fnMap);
      for (const [id, branch] of Object.entries(fc.branchMap)) {
        // The innermost function around the branch: a view's or a report's branches are not the paths.
        const at = branch.loc.start.line;
        const around = functions
          .filter((f) => f.loc.start.line <= at && at <= f.loc.end.line)
          .sort((a, b) => b.loc.start.line - a.loc.start.line)[0];
        if (around !== undefined && NOT_PATHS.test(around.name)) continue;
        const counts = fc.b[id] ?? [];
        for (const [k, count] of counts.entries()) {
          total++;
          if (count > 0) {
            reached++;
            continue;
          }
          const line = branch.loc.start.line;
          const text = (source[line - 1] ?? "").trim();
          const both = `${text} ${(source[line] ?? "").trim()}`;
          // The branch's own line decides; the next one only when it says nothing (an `if` whose body follows).
          const fn = around?.name ?? "";
          const why = EXEMPT.find((e) => e.test(fn, text)) ?? EXEMPT.find((e) => e.test(fn, both));
          if (why !== undefined) {
            exempt++;
            exemptions.set(why.reason, (exemptions.get(why.reason) ?? 0) + 1);
            exempted.push(`${file}:${line} (${why.reason.split(" (")[0]}): ${text}`);
          } else {
            missed++;
            misses.push(`${file}:${line} (${branch.type}, path ${k}): ${text}`);
          }
        }
      }
      lines.push(`| ${file} | ${total} | ${reached} | ${exempt} | ${missed} |`);
    }
    lines.push("", "Exempt and not reached, by kind:", "");
    for (const [reason, n] of exemptions) lines.push(`- ${reason}: ${n}`);
    lines.push("", "<details><summary>Each exempt branch not reached</summary>", "");
    for (const e of exempted) lines.push(`- ${e}`);
    lines.push("", "</details>", "", misses.length === 0 ? "Every other branch is reached." : "Missed:", "");
    for (const m of misses) lines.push(`- ${m}`);
    const report = `${lines.join("\n")}\n`;
    process.stdout.write(`\n${report}`);
    writeFileSync(`${root}coverage-report.md`, report);
    return misses.length === 0 ? 0 : 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

process.exitCode = main();

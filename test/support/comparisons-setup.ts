/**
 * vitest's global setup for the oracle tally (see comparisons.ts): a fresh
 * tally file before the run; after it, one line per release saying how many
 * comparisons ran against the real interpreter and against goldens. In CI
 * (CI set) the run fails if an interpreter this machine has, or can install
 * (pyenv's 3.8–3.13, Debian sid's 3.13–3.15), compared nothing.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { type Comparison, TALLY_ENV } from "./comparisons.js";
import { debianPython, pythonFor } from "./python.js";

let dir: string | undefined;

export function setup(): void {
  dir = mkdtempSync(`${tmpdir()}/pymem-tally-`);
  process.env[TALLY_ENV] = `${dir}/tally.jsonl`;
}

/** The file behind a path (pyenv's prefix/lib/../bin and prefix/bin are one interpreter); the text when none. */
function resolved(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

function releaseOf(python: string): string {
  const r = spawnSync(python, ["-c", "import platform; print(platform.python_version())"], { encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : python;
}

export function teardown(): void {
  const file = process.env[TALLY_ENV];
  if (file === undefined || dir === undefined) return;
  const lines: Comparison[] = existsSync(file)
    ? readFileSync(file, "utf8")
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Comparison)
    : [];
  rmSync(dir, { recursive: true, force: true });
  // A partial run (a few files) compares little or nothing: the tally is for the whole suite.
  if (lines.length === 0) return;
  const release = new Map<string, string>();
  const rows = new Map<string, { real: number; golden: number; oracles: Set<string> }>();
  for (const c of lines) {
    const key =
      c.kind === "real"
        ? `CPython ${release.get(c.source) ?? release.set(c.source, releaseOf(c.source)).get(c.source)}`
        : `goldens ${c.source}`;
    const row = rows.get(key) ?? { real: 0, golden: 0, oracles: new Set<string>() };
    row[c.kind] += c.count;
    row.oracles.add(c.oracle);
    rows.set(key, row);
  }
  const out = [...rows.entries()]
    .sort(([a], [b]) => a.localeCompare(b, undefined, { numeric: true }))
    .map(
      ([k, r]) => `  ${k.padEnd(24)} ${String(r.real + r.golden).padStart(7)}  (${[...r.oracles].sort().join(", ")})`,
    );
  process.stdout.write(`\nOracle comparisons, by interpreter and by golden:\n${out.join("\n")}\n`);
  if (process.env.CI === undefined) return;
  const here = [
    ...["3.8", "3.9", "3.10", "3.11", "3.12", "3.13"].map((v) => pythonFor(v)),
    ...["3.13", "3.14", "3.15"].map((v) => debianPython(v).python),
  ].filter((p): p is string => p !== undefined);
  const real = new Set(lines.filter((c) => c.kind === "real").map((c) => resolved(c.source)));
  const silent = here.filter((p) => !real.has(resolved(p)));
  if (silent.length > 0) {
    // A throw here is only logged by vitest: the exit status is what fails the CI run.
    process.stderr.write(
      `\nFAIL: these interpreters are here but no oracle compared anything with them: ${silent.map((p) => `${p} (${releaseOf(p)})`).join(", ")}\n`,
    );
    process.exitCode = 1;
  }
}

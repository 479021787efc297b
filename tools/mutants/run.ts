/**
 * `npm run test:mutants`: each curated mutation of the code that copies
 * CPython (tools/mutants/mutations-*.ts) is applied to a scratch copy of the
 * project, and the tests named for it run there until one fails. A mutation
 * no test catches is a hole in the proofs: the run exits 1 and says which.
 *
 *   npm run test:mutants                 all of them
 *   npm run test:mutants -- ID ...       only these
 *   npm run test:mutants -- --write-hints   and remember which test caught each (hints.json)
 *
 * Mutants run side by side, one per core (PYMEM_MUTANT_JOBS=N to choose),
 * each worker in a scratch copy of its own.
 *
 * Writes the table to stdout and to mutants-report.md (which test caught
 * each, and how long it took). The tests run with PYMEM_GOLDEN_ONLY=1 (the
 * oracles check pymem against the goldens of the real interpreters' logs),
 * without UPDATE_GOLDEN and without CI.
 *
 * Why curated and not StrykerJS: Stryker's operators mutate every expression
 * (tens of thousands here) and each mutant needs the oracle tests, which take
 * minutes; on two cores that is days. A list of semantic mutations, each aimed
 * at one rule copied from CPython and run against the tests that should see
 * it, takes minutes and says which proof sees which rule.
 */
import { spawn, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Mutation } from "./mutation.js";
import { builtinMutations } from "./mutations-builtins.js";
import { objectMutations } from "./mutations-objects.js";
import { pymallocMutations } from "./mutations-pymalloc.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const all: Mutation[] = [...pymallocMutations, ...objectMutations, ...builtinMutations];

interface Outcome {
  mutation: Mutation;
  caughtBy?: string;
  seconds: number;
  error?: string;
}

/** A copy of the tracked files (node_modules linked), where mutations can be applied without touching the clone. */
function scratchCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), "pymem-mutants-"));
  // Tracked files and new ones not ignored: a mutation run before a commit sees the files it will have.
  const files = spawnSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
    cwd: root,
    encoding: "utf8",
  })
    .stdout.split("\0")
    .filter(Boolean);
  for (const f of files) {
    if (!existsSync(join(root, f))) continue;
    mkdirSync(dirname(join(dir, f)), { recursive: true });
    cpSync(join(root, f), join(dir, f));
  }
  symlinkSync(join(root, "node_modules"), join(dir, "node_modules"));
  // Without ../shared beside the copy, the oracle tests leave out the optional shared traces: goldens still hold.
  return dir;
}

/** Runs a command to its end; its status and the tail of its stderr (stdout is not kept). */
function run(
  command: string,
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd, env, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
    });
    child.on("error", (e) => resolve({ status: null, stderr: e.message }));
    child.on("close", (status) => resolve({ status, stderr }));
  });
}

/** Runs `spec` ("file" or "file::name filter") in `dir`; the name of the first failing test, if any. */
async function runTests(dir: string, spec: string): Promise<{ failed?: string; error?: string }> {
  const [file, filter] = spec.split("::") as [string, string | undefined];
  const out = join(dir, ".mutant-result.json");
  rmSync(out, { force: true });
  // Vitest's own script under this node: npx would spend half a second per mutant finding it.
  const args = [
    join(dir, "node_modules/vitest/vitest.mjs"),
    "run",
    file,
    "--bail=1",
    "--reporter=json",
    `--outputFile=${out}`,
  ];
  if (filter !== undefined) args.push("-t", filter);
  // Transformed modules cached on disk by content: a mutant's run transforms only the mutated file again (a third
  // of a run's start-up otherwise). One cache per copy, beside it.
  args.push("--experimental.fsModuleCache", `--experimental.fsModuleCachePath=${join(dir, ".vitest-module-cache")}`);
  // Against the goldens of the real interpreters' logs: what they hold is what the interpreters said, and reading
  // them takes seconds where running the interpreters takes minutes.
  const env: NodeJS.ProcessEnv = { ...process.env, PYMEM_GOLDEN_ONLY: "1" };
  delete env.UPDATE_GOLDEN;
  delete env.CI;
  const r = await run(process.execPath, args, dir, env);
  if (!existsSync(out))
    return { error: `${spec}: vitest wrote no result (status ${r.status}): ${r.stderr.slice(-400)}` };
  const result = JSON.parse(readFileSync(out, "utf8")) as {
    numFailedTests: number;
    numFailedTestSuites: number;
    testResults: { name: string; message?: string; assertionResults: { status: string; fullName: string }[] }[];
  };
  for (const t of result.testResults) {
    const failed = t.assertionResults.find((a) => a.status === "failed");
    if (failed) return { failed: `${file} > ${failed.fullName}` };
  }
  // A file that failed with no test failing did not run (an import, a hook): that is the harness's failure, not a
  // test's verdict on the mutation.
  if (result.numFailedTestSuites > 0 || result.numFailedTests > 0) {
    const why = result.testResults.find((t) => t.message)?.message?.split("\n")[0] ?? "";
    return { error: `${spec} did not run: ${why}` };
  }
  // No test failed, yet vitest failed: a worker died (a loop that never ends, memory run out) or an error escaped.
  if (r.status !== 0) {
    const why = r.stderr.match(/Error: .*/)?.[0] ?? `status ${r.status}`;
    return { error: `${spec} did not run: ${why}` };
  }
  return {};
}

/** Applies `m` in `dir`, runs its tests until one fails, and puts the file back. */
async function tryMutation(dir: string, m: Mutation): Promise<Outcome> {
  const path = join(dir, m.file);
  const original = readFileSync(path, "utf8");
  const at = original.indexOf(m.find);
  if (at < 0 || original.indexOf(m.find, at + 1) >= 0) {
    return { mutation: m, seconds: 0, error: `${m.file}: the text to mutate is ${at < 0 ? "gone" : "not unique"}` };
  }
  const start = Date.now();
  const mutated = original.slice(0, at) + m.replace + original.slice(at + m.find.length);
  writeFileSync(path, mutated);
  const outcome: Outcome = { mutation: m, seconds: 0 };
  // The test that caught it last time, alone, first: a hint only, the full files follow when it does not catch it.
  const hint = hints[m.id];
  const specs = hint === undefined ? m.tests : [hint, ...m.tests];
  try {
    for (const spec of specs) {
      const r = await runTests(dir, spec);
      if (r.failed !== undefined) {
        outcome.caughtBy = r.failed;
        delete outcome.error;
        break;
      }
      if (r.error !== undefined) {
        // The file did not run. If it runs without the mutation, the mutation broke it (a throw in a hook):
        // a catch. If it does not run either way, the harness is at fault.
        writeFileSync(path, original);
        const clean = await runTests(dir, spec);
        writeFileSync(path, mutated);
        if (clean.error === undefined && clean.failed === undefined) {
          outcome.caughtBy = `${r.error.replace(" did not run", " failed to run")} (it runs without the mutation)`;
          delete outcome.error;
          break;
        }
        outcome.error = r.error;
      }
    }
  } finally {
    writeFileSync(path, original);
  }
  outcome.seconds = (Date.now() - start) / 1000;
  return outcome;
}

/**
 * tools/mutants/hints.json: for each mutation, the test that caught it in the
 * last full run (`--write-hints` rewrites it), as "file::name" with the name a
 * pattern matching that test alone. Running it first skips the tests of the
 * other releases in the same file, which a mutation of one release's rule
 * cannot fail.
 */
const hintsPath = join(root, "tools/mutants/hints.json");
const hints: Record<string, string> = existsSync(hintsPath) ? JSON.parse(readFileSync(hintsPath, "utf8")) : {};

/** "file > full test name" as a spec that runs that test alone. */
function hintOf(caughtBy: string): string | undefined {
  const at = caughtBy.indexOf(" > ");
  if (at < 0 || caughtBy.includes("(it runs without the mutation)")) return undefined;
  const name = caughtBy.slice(at + 3).replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return `${caughtBy.slice(0, at)}::^${name}$`;
}

async function main(): Promise<number> {
  const writeHints = process.argv.includes("--write-hints");
  const only = process.argv.slice(2).filter((a) => a !== "--write-hints");
  const chosen = only.length > 0 ? all.filter((m) => only.includes(m.id)) : all;
  const unknown = only.filter((id) => !all.some((m) => m.id === id));
  if (unknown.length > 0) {
    process.stderr.write(`unknown mutation(s): ${unknown.join(", ")}\n`);
    return 2;
  }
  const ids = new Set<string>();
  for (const m of all) {
    if (ids.has(m.id)) throw new Error(`mutation id ${m.id} is used twice`);
    ids.add(m.id);
  }
  const jobs = Math.max(1, Math.min(Number(process.env.PYMEM_MUTANT_JOBS) || availableParallelism(), chosen.length));
  const dirs = Array.from({ length: jobs }, scratchCopy);
  const outcomes: Outcome[] = new Array(chosen.length);
  let next = 0;
  let done = 0;
  const worker = async (dir: string): Promise<void> => {
    while (next < chosen.length) {
      const k = next++;
      const m = chosen[k] as Mutation;
      const outcome = await tryMutation(dir, m);
      outcomes[k] = outcome;
      done++;
      process.stderr.write(
        `[${done}/${chosen.length}] ${m.id}: ${outcome.caughtBy ? `caught by ${outcome.caughtBy}` : outcome.error ? `ERROR ${outcome.error}` : "SURVIVED"} (${outcome.seconds.toFixed(0)} s)\n`,
      );
    }
  };
  try {
    await Promise.all(dirs.map(worker));
  } finally {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }
  const caught = outcomes.filter((o) => o.caughtBy !== undefined).length;
  const lines = [
    `# Mutants: ${caught} of ${outcomes.length} caught`,
    "",
    "| mutation | CPython rule | caught by | seconds |",
    "| --- | --- | --- | --- |",
    ...outcomes.map(
      (o) =>
        `| ${o.mutation.id} | ${o.mutation.rule} | ${o.caughtBy ?? (o.error ? `error: ${o.error}` : "**survived**")} | ${o.seconds.toFixed(0)} |`,
    ),
    "",
  ];
  const report = lines.join("\n");
  process.stdout.write(report);
  writeFileSync(join(root, "mutants-report.md"), report);
  if (writeHints) {
    const next: Record<string, string> = { ...hints };
    for (const o of outcomes) {
      const h = o.caughtBy === undefined ? undefined : hintOf(o.caughtBy);
      if (h !== undefined) next[o.mutation.id] = h;
    }
    const sorted = Object.fromEntries(Object.entries(next).sort(([a], [b]) => a.localeCompare(b)));
    writeFileSync(hintsPath, `${JSON.stringify(sorted, null, 2)}\n`);
  }
  return caught === outcomes.length ? 0 : 1;
}

main().then((code) => {
  process.exitCode = code;
});

/**
 * The library as users run it: the built bundle (dist/index.js, rebuilt by
 * `npm run bench`), plus a copy of it with every event check compiled out
 * (`hasListeners(...)` replaced by `false`), the baseline of the event
 * overhead benchmark.
 */
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";

export type Pymem = typeof import("../src/index.js");

const root = fileURLToPath(new URL("../", import.meta.url));

/**
 * The built bundle: dist/index.js, or the one PYMEM_BUNDLE names (a baseline
 * build, for before/after runs: see baseline.bench.ts).
 */
export async function built(): Promise<Pymem> {
  const path = process.env.PYMEM_BUNDLE ?? `${root}dist/index.js`;
  if (!existsSync(path)) throw new Error(`${path} is missing: run \`npm run build\` first`);
  return (await import(pathToFileURL(path).href)) as Pymem;
}

/**
 * The bundle of git revision `ref`, built once into bench/.build/ (a detached
 * worktree, built with this checkout's node_modules, then removed): the
 * "before" of a before/after run.
 */
export function baselineBundle(ref: string): string {
  const sha = execFileSync("git", ["rev-parse", "--short", ref], { cwd: root, encoding: "utf8" }).trim();
  const out = `${root}bench/.build/baseline-${sha}/`;
  if (existsSync(`${out}index.js`)) return `${out}index.js`;
  const tree = `${root}bench/.build/tree-${sha}`;
  execFileSync("git", ["worktree", "add", "--detach", "--force", tree, sha], { cwd: root, stdio: "ignore" });
  try {
    symlinkSync(`${root}node_modules`, `${tree}/node_modules`);
    execFileSync("npx", ["tsup", "--silent"], { cwd: tree, stdio: "ignore" });
    mkdirSync(out, { recursive: true });
    cpSync(`${tree}/dist/`, out, { recursive: true });
  } finally {
    execFileSync("git", ["worktree", "remove", "--force", tree], { cwd: root, stdio: "ignore" });
  }
  return `${out}index.js`;
}

/** The built bundle with events compiled out. */
export async function withoutEvents(): Promise<Pymem> {
  const text = readFileSync(`${root}dist/index.js`, "utf8");
  const stripped = text.replace(/this\.hasListeners\(/g, "false && this.hasListeners(");
  if (stripped === text) throw new Error("no event checks found in dist/index.js");
  const dir = `${root}bench/.build/`;
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${dir}index-without-events.mjs`, stripped);
  return (await import(pathToFileURL(`${dir}index-without-events.mjs`).href)) as Pymem;
}

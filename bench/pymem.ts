/**
 * The library as users run it: the built bundle (dist/index.js, rebuilt by
 * `npm run bench`), plus a copy of it with every event check compiled out
 * (`hasListeners(...)` replaced by `false`), the baseline of the event
 * overhead benchmark.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";

export type Pymem = typeof import("../src/index.js");

const root = fileURLToPath(new URL("../", import.meta.url));

/** The built bundle. */
export async function built(): Promise<Pymem> {
  const path = `${root}dist/index.js`;
  if (!existsSync(path)) throw new Error("dist/index.js is missing: run `npm run build` first");
  return (await import(pathToFileURL(path).href)) as Pymem;
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

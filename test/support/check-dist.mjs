// The built package as users load it: require() and import() by name, and the bin.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const cjs = require("pymem");
const esm = await import("pymem");
for (const [how, mod] of [
  ["require", cjs],
  ["import", esm],
]) {
  if (typeof mod.RawAllocator !== "function") throw new Error(`${how}("pymem") has no RawAllocator`);
  const raw = new mod.RawAllocator({ maxBytes: 1 << 20 });
  raw.free(raw.malloc(10));
  raw.validate();
}
const version = execFileSync(process.execPath, ["dist/cli.js", "--version"], { encoding: "utf8" }).trim();
if (version !== esm.VERSION) throw new Error(`pymem --version printed ${version}, expected ${esm.VERSION}`);
console.log(`dist ok: require and import expose RawAllocator; pymem --version ${version}`);

// The published types carry no internals: nothing marked @internal, none of the members layers once shared.

for (const file of ["dist/index.d.ts", "dist/index.d.cts"]) {
  const types = readFileSync(file, "utf8");
  const internal = types.match(/@internal/g)?.length ?? 0;
  if (internal !== 0) throw new Error(`${file} carries ${internal} @internal members`);
  for (const name of ["internals(", "increfRaw", "attachCollector", "layersAbove", "CollectorView", "ObjectCore"]) {
    if (types.includes(name)) throw new Error(`${file} exposes ${name}`);
  }
}
console.log("dist types ok: no @internal member, no internals exposed");

// The built package as users load it: require() and import() by name, and the bin.
import { execFileSync } from "node:child_process";
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

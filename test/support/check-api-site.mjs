// The API site as typedoc wrote it: a page per class, named after the class (classes/BlockAllocator.html),
// not after a module wrapping them all (classes/index.BlockAllocator.html).
import { existsSync, readdirSync } from "node:fs";

const pages = readdirSync("docs/api/classes");
const wrapped = pages.filter((p) => p.startsWith("index."));
if (wrapped.length > 0) throw new Error(`API pages named after the index module: ${wrapped.join(", ")}`);
for (const cls of ["RawAllocator", "BlockAllocator", "RefCounter", "CycleCollector", "DebugAllocator"]) {
  if (!existsSync(`docs/api/classes/${cls}.html`)) throw new Error(`docs/api/classes/${cls}.html is missing`);
}
if (!existsSync("docs/api/interfaces/ObjectAllocator.html")) throw new Error("the ObjectAllocator page is missing");
console.log(`API site ok: ${pages.length} class pages, each named after its class`);
// pymem/node's reference beside it.
for (const fn of ["readTrace", "replayFile", "htmlReport"]) {
  if (!existsSync(`docs/api/node/functions/${fn}.html`))
    throw new Error(`docs/api/node/functions/${fn}.html is missing`);
}
console.log("API site ok: pymem/node's functions documented under docs/api/node/");

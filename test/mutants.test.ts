import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";
import { builtinMutations } from "../tools/mutants/mutations-builtins.js";
import { objectMutations } from "../tools/mutants/mutations-objects.js";
import { pymallocMutations } from "../tools/mutants/mutations-pymalloc.js";

const root = fileURLToPath(new URL("../", import.meta.url));

// The mutant run comes late in CI: a mutation whose text a change moved should fail here, with the tests.
it("every mutation's text occurs exactly once in its file, and its tests exist", () => {
  const all = [...builtinMutations, ...objectMutations, ...pymallocMutations];
  const wrong = all.flatMap((m) => {
    const n = readFileSync(`${root}${m.file}`, "utf8").split(m.find).length - 1;
    const missing = m.tests.filter((t) => !existsSync(`${root}${t.split("::")[0]}`));
    return [...(n === 1 ? [] : [`${m.id}: found ${n} times in ${m.file}`]), ...missing.map((t) => `${m.id}: no ${t}`)];
  });
  expect(wrong).toEqual([]);
  expect(new Set(all.map((m) => m.id)).size).toBe(all.length);
});

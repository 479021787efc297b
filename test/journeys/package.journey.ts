/**
 * What a new user finds in the installed package: the quick start works, the
 * README's links resolve to files in the package, the entry points and the
 * shipped traces load by name, from ESM and CommonJS.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { project, sh, write } from "./user.js";

const pkg = join(project, "node_modules/pymem");

describe("the installed package", () => {
  it("runs the README's quick start", () => {
    const readme = readFileSync(join(pkg, "README.md"), "utf8");
    expect(readme).toMatch(/npm install pymem\nnpx pymem demo/);
    const demo = sh("npx", ["pymem", "demo"]);
    expect(demo.status, demo.stderr).toBe(0);
    expect(demo.stdout).toMatch(/Small block threshold = 512/);
  });

  it("carries every file the README and the guides link to", () => {
    // From the README, every Markdown file it links to, and theirs in turn.
    const docs = ["README.md"];
    const seen = new Set<string>();
    const broken: string[] = [];
    for (let i = 0; i < docs.length; i++) {
      const doc = docs[i] as string;
      if (seen.has(doc)) continue;
      seen.add(doc);
      const text = readFileSync(join(pkg, doc), "utf8");
      for (const m of text.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)) {
        const target = m[1] as string;
        if (/^[a-z]+:/i.test(target)) continue; // a web address
        const path = join(dirname(doc), target);
        if (!existsSync(join(pkg, path))) broken.push(`${doc} -> ${target}`);
        else if (path.endsWith(".md")) docs.push(path);
      }
    }
    expect(broken).toEqual([]);
    expect(seen.size).toBeGreaterThan(10);
  });

  it("loads both entry points and the shipped traces by name, from ESM and CommonJS", () => {
    write(
      "load.cjs",
      `const pymem = require("pymem");
const node = require("pymem/node");
const fs = require("node:fs");
console.log(typeof pymem.createHeap, typeof node.readTrace, fs.existsSync(require.resolve("pymem/traces/demo.trace.gz")));
`,
    );
    const cjs = sh("node", ["load.cjs"]);
    expect(cjs.stdout, cjs.stderr).toBe("function function true\n");
    write(
      "load.mjs",
      `import { BlockAllocator } from "pymem";
import { readTrace, traceFiles } from "pymem/node";
import { replayTrace } from "pymem";
const trace = await readTrace(traceFiles.startup);
const blocks = new BlockAllocator();
console.log(replayTrace(trace, blocks).ops, blocks instanceof BlockAllocator);
`,
    );
    const esm = sh("node", ["load.mjs"]);
    expect(esm.stdout, esm.stderr).toBe("35254 true\n");
  });
});

/**
 * The shape of src/, checked on every run (docs/architecture.md describes it):
 * files small enough to read, no import cycle (type-only imports included),
 * layers importing only downward, index.ts only re-exporting, no dispatch on
 * concrete allocator classes outside the allocators, nothing Node-only.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const src = fileURLToPath(new URL("../src/", import.meta.url));

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : [],
  );
}

const all = files(src).map((f) => relative(src, f));
const text = new Map(all.map((f) => [f, readFileSync(join(src, f), "utf8")]));

/** Every module a file imports or re-exports from, type-only included, as paths relative to src/. */
function importsOf(file: string): string[] {
  const info = ts.preProcessFile(text.get(file) as string, true, true);
  return info.importedFiles
    .map((i) => i.fileName)
    .filter((m) => m.startsWith("."))
    .map((m) => relative(src, resolve(dirname(join(src, file)), m.replace(/\.js$/, ".ts"))));
}

const graph = new Map(all.map((f) => [f, importsOf(f)]));

/** Which layer a file belongs to: a file may import only from its own layer or those below. */
function rank(file: string): number {
  const top = file.includes("/") ? file.slice(0, file.indexOf("/")) : file;
  const ranks: Record<string, number> = {
    internal: 0,
    "errors.ts": 0,
    "events.ts": 0,
    "version.ts": 0,
    "profiles.ts": 0,
    "profile-spec.ts": 0,
    "profile-proofs.ts": 0,
    raw: 1,
    "object-allocator.ts": 2,
    pymalloc: 2,
    objects: 3,
    gc: 4,
    builtins: 5,
    trace: 5,
    snapshot: 5,
    view: 5,
    "heap.ts": 5,
    "index.ts": 6,
  };
  const r = ranks[top];
  if (r === undefined) throw new Error(`src/${file} belongs to no layer: add it to the architecture test and docs`);
  return r;
}

describe("src/", () => {
  it("has no file over 800 lines", () => {
    const long = all
      .map((f) => [f, (text.get(f) as string).split("\n").length - 1] as const)
      .filter(([, n]) => n > 800)
      .map(([f, n]) => `${f}: ${n} lines`);
    expect(long).toEqual([]);
  });

  it("has no import cycle, type-only imports included", () => {
    const state = new Map<string, "open" | "done">();
    const cycles: string[] = [];
    const visit = (f: string, path: string[]): void => {
      if (state.get(f) === "done") return;
      if (state.get(f) === "open") {
        cycles.push([...path.slice(path.indexOf(f)), f].join(" -> "));
        return;
      }
      state.set(f, "open");
      for (const g of graph.get(f) ?? []) visit(g, [...path, f]);
      state.set(f, "done");
    };
    for (const f of all) visit(f, []);
    expect(cycles).toEqual([]);
  });

  it("imports only downward: internal, raw, pymalloc, objects, gc, then trace, snapshot and view", () => {
    const up: string[] = [];
    for (const [f, deps] of graph) {
      for (const d of deps) if (rank(d) > rank(f)) up.push(`${f} imports ${d}`);
    }
    expect(up).toEqual([]);
  });

  it("index.ts only re-exports", () => {
    const sf = ts.createSourceFile("index.ts", text.get("index.ts") as string, ts.ScriptTarget.ES2022);
    const other = sf.statements
      .filter((s) => !(ts.isExportDeclaration(s) && s.moduleSpecifier !== undefined))
      .map((s) => s.getText(sf));
    expect(other).toEqual([]);
  });

  it("decides nothing by a concrete allocator's class outside the allocators themselves", () => {
    const owners: Record<string, string> = {
      BlockAllocator: "pymalloc/block-allocator.ts",
      RawAllocator: "raw/raw-allocator.ts",
      DebugAllocator: "pymalloc/debug-allocator.ts",
    };
    const found: string[] = [];
    for (const f of all) {
      for (const m of (text.get(f) as string).matchAll(/instanceof (BlockAllocator|RawAllocator|DebugAllocator)\b/g)) {
        if (owners[m[1] as string] !== f) found.push(`${f}: ${m[0]}`);
      }
    }
    expect(found).toEqual([]);
  });

  it("uses no Node-only module (it runs in browsers too)", () => {
    const node = all.filter((f) =>
      ts
        .preProcessFile(text.get(f) as string, true, true)
        .importedFiles.some(
          (i) => i.fileName.startsWith("node:") || /^(fs|path|url|os|child_process)$/.test(i.fileName),
        ),
    );
    expect(node).toEqual([]);
  });

  it("keeps helpers that are never exported in internal/, and exports nothing from there but MAX_ADDRESS", () => {
    const index = text.get("index.ts") as string;
    const fromInternal = [...index.matchAll(/export \{([^}]*)\} from "\.\/internal\/[^"]+"/g)].map((m) =>
      (m[1] as string).trim(),
    );
    expect(fromInternal).toEqual(["MAX_ADDRESS"]);
  });
});

/**
 * Every TypeScript example in the docs runs: the README's, the guides' in
 * docs/, and the TSDoc @example blocks of src/ that typedoc renders.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it, vi } from "vitest";

const root = fileURLToPath(new URL("../", import.meta.url));
const scratch = `${root}test/.doc-examples/`;

function fenced(text: string): string[] {
  return [...text.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1] as string);
}

function tsdocExamples(source: string): string[] {
  const out: string[] = [];
  for (const m of source.matchAll(/@example\n((?:\s*\*.*\n)*?)\s*\*\//g)) {
    const body = (m[1] as string)
      .split("\n")
      .map((l) => l.replace(/^\s*\* ?/, ""))
      .join("\n");
    out.push(...fenced(body));
  }
  return out;
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(`${dir}${e.name}/`) : e.name.endsWith(".ts") ? [`${dir}${e.name}`] : [],
  );
}

const examples: Array<[string, string]> = [];
for (const doc of ["README.md", ...readdirSync(`${root}docs`).map((f) => `docs/${f}`)]) {
  if (!doc.endsWith(".md")) continue;
  fenced(readFileSync(`${root}${doc}`, "utf8")).forEach((code, i) => {
    examples.push([`${doc} example ${i + 1}`, code]);
  });
}
// The library's TSDoc, and pymem/node's (cli/).
for (const file of [...sources(`${root}src/`), ...sources(`${root}cli/`)]) {
  tsdocExamples(readFileSync(file, "utf8")).forEach((code, i) => {
    examples.push([`${file.slice(root.length)} @example ${i + 1}`, code]);
  });
}

describe("documentation examples", () => {
  mkdirSync(scratch, { recursive: true });
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it("finds the examples of README, docs and TSDoc", () => {
    expect(examples.some(([n]) => n.startsWith("README"))).toBe(true);
    expect(examples.some(([n]) => n.startsWith("src/"))).toBe(true);
  });

  it.each(examples)("%s runs", async (name, code) => {
    const file = `${scratch}${name.replace(/[^a-z0-9]+/gi, "-")}.ts`;
    writeFileSync(file, code);
    // `console.log(x); // 32` promises what is printed: check it.
    const promised = [...code.matchAll(/console\.log\(.*\); \/\/ (.*)$/gm)].map((m) => (m[1] as string).split(":")[0]);
    const printed: string[] = [];
    const log = vi.spyOn(console, "log").mockImplementation((...args: unknown[]) => {
      printed.push(args.map(String).join(" "));
    });
    try {
      await import(file);
    } finally {
      log.mockRestore();
    }
    if (promised.length > 0) expect(printed).toEqual(promised);
  });
});

/** Every file of examples/ runs, and the README shows the quick-start example as it is. */
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it, vi } from "vitest";

const root = fileURLToPath(new URL("../", import.meta.url));
const examples = readdirSync(`${root}examples`).filter((f) => f.endsWith(".ts"));

function codeBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1] as string);
}

describe("examples", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it.each(examples)("examples/%s runs", async (file) => {
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    await import(`${root}examples/${file}`);
    expect(log).toHaveBeenCalled();
  });

  it("the README's example is examples/quickstart.ts, word for word", () => {
    const readme = readFileSync(`${root}README.md`, "utf8");
    const quickstart = readFileSync(`${root}examples/quickstart.ts`, "utf8");
    expect(codeBlocks(readme)).toContain(quickstart);
  });

  it("the README names the two setup commands and the test command", () => {
    const readme = readFileSync(`${root}README.md`, "utf8");
    expect(readme).toMatch(/npm install\s*\nnpm run demo/);
    expect(readme).toContain("npm test");
  });

  it("the package version and VERSION agree", async () => {
    const pkg = JSON.parse(readFileSync(`${root}package.json`, "utf8")) as { version: string };
    const { VERSION } = await import("../src/index.js");
    expect(VERSION).toBe(pkg.version);
  });
});

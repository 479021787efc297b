/**
 * docs/python-memory-advice.md is what the interpreters and pymem do now:
 * every table is what tools/advice/advice.ts measures (recording CPython 3.13
 * and 3.15 where they can be had; Builtins' columns everywhere), and the heap
 * maps are what it draws.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { fillPage, imagesDir, type Measured, mapName, measureAll, missing, pagePath } from "../tools/advice/advice.js";

const page = readFileSync(pagePath, "utf8");
const why = missing();

/** The cells of a table's rows: variant label, then figures. */
function rows(text: string, id: string): string[][] {
  const a = text.indexOf(`<!-- advice:${id} -->`);
  const b = text.indexOf("<!-- /advice -->", a);
  return text
    .slice(a, b)
    .split("\n")
    .filter((l) => l.startsWith("| ") && !l.startsWith("| ---") && !l.startsWith("| version"))
    .map((l) => l.split(" | ").map((c) => c.replace(/^\| |\s*\|$/g, "")));
}

describe("docs/python-memory-advice.md", () => {
  it("has Builtins' figures as Builtins makes them now, under each profile", async () => {
    const measured: Measured[] = await measureAll(false);
    const fresh = fillPage(page, measured);
    for (const m of measured) {
      const want = rows(fresh, m.pair.id).map((r) => [r[0], ...r.slice(-2)]);
      const got = rows(page, m.pair.id).map((r) => [r[0], ...r.slice(-2)]);
      expect(got, m.pair.id).toEqual(want);
    }
  }, 120_000);

  it.skipIf(why !== undefined)(
    `has the figures and heap maps of the real CPython 3.13 and 3.15 as they are now${why ? ` (skipped: ${why})` : ""}`,
    async () => {
      const measured = await measureAll(true);
      expect(fillPage(page, measured) === page, "the page's tables differ: npm run docs:advice").toBe(true);
      for (const m of measured) {
        for (const [variant, svg] of Object.entries(m.maps)) {
          const name = mapName(m.pair, variant as "worse" | "better");
          expect(readFileSync(imagesDir + name, "utf8") === svg, `docs/images/${name} differs`).toBe(true);
        }
      }
    },
    300_000,
  );
});

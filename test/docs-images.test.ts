/** The pictures in docs/ are what pymem draws now, from the seeded workloads of tools/docs-images.ts. */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { docsImages } from "../tools/docs-images.js";

const dir = fileURLToPath(new URL("../docs/images/", import.meta.url));

describe("docs/images", () => {
  it.each(Object.entries(docsImages()))("%s is up to date (npm run docs:images redraws it)", (name, svg) => {
    expect(readFileSync(dir + name, "utf8") === svg, `docs/images/${name} differs from what the code draws`).toBe(true);
  });
});

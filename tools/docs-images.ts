/**
 * The pictures of docs/concepts.md, drawn by pymem itself from seeded
 * workloads: `npm run docs:images` writes them to docs/images/, and
 * test/docs-images.test.ts checks that the committed files are what the code
 * draws now.
 */
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { BlockAllocator, profiles, RawAllocator, renderHeapMap } from "../src/index.js";
import { churn } from "../test/support/workload.js";

/** A workload of mixed small requests that keeps about `live` blocks, from a fixed seed. */
function filled(ops: number, live: number): BlockAllocator {
  const blocks = new BlockAllocator({ raw: new RawAllocator(), profile: profiles["cpython-3.11"] });
  churn(blocks, 12345, ops, { freeChance: 0.3, maxLive: live });
  return blocks;
}

/** The pictures, by file name. */
export function docsImages(): Record<string, string> {
  return {
    "heap-map-pools.svg": renderHeapMap(filled(400_000, 60_000), { detail: "pools", cellSize: 11 }),
    "heap-map-blocks.svg": renderHeapMap(filled(6_000, 2_500)),
  };
}

const invoked = process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1];
if (invoked) {
  const dir = fileURLToPath(new URL("../docs/images/", import.meta.url));
  for (const [name, svg] of Object.entries(docsImages())) {
    writeFileSync(dir + name, svg);
    console.log(`docs/images/${name}`);
  }
}

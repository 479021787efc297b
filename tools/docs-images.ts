/**
 * The pictures of docs/concepts.md, drawn by pymem itself from seeded
 * workloads: `npm run docs:images` writes them to docs/images/, and
 * test/docs-images.test.ts checks that the committed files are what the code
 * draws now.
 */
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { BlockAllocator, profiles, RawAllocator, renderHeapMap } from "../src/index.js";

/** A workload of mixed small requests that keeps about `live` blocks, from a fixed seed. */
function filled(ops: number, live: number): BlockAllocator {
  const blocks = new BlockAllocator({ raw: new RawAllocator(), profile: profiles["cpython-3.11"] });
  let s = 12345;
  const rand = () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s / 2 ** 32;
  };
  const held: number[] = [];
  for (let i = 0; i < ops; i++) {
    if (held.length > live || (held.length > 0 && rand() < 0.3)) {
      const k = Math.floor(rand() * held.length);
      blocks.free(held[k] as number);
      held[k] = held[held.length - 1] as number;
      held.pop();
    } else {
      held.push(blocks.malloc(1 + Math.floor(rand() ** 3 * 512)));
    }
  }
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

/**
 * Seeded malloc/free churn into a BlockAllocator: the heaps the heap-map tests
 * and the docs' pictures are drawn from.
 */
import type { BlockAllocator } from "../../src/index.js";
import { rng } from "./random.js";

/** Options of {@link churn}. */
export interface ChurnOptions {
  /** Chance that an op frees a random live block (when one is live). */
  freeChance: number;
  /** Frees whenever more blocks than this are live. */
  maxLive?: number;
}

/**
 * `ops` mallocs and frees from `seed`: requests of 1 to 512 bytes, small ones
 * most often (the cube of a uniform number). Returns the blocks still live.
 */
export function churn(blocks: BlockAllocator, seed: number, ops: number, options: ChurnOptions): number[] {
  const rand = rng(seed);
  const live: number[] = [];
  const maxLive = options.maxLive ?? Number.POSITIVE_INFINITY;
  for (let i = 0; i < ops; i++) {
    if (live.length > maxLive || (live.length > 0 && rand() < options.freeChance)) {
      const k = Math.floor(rand() * live.length);
      blocks.free(live[k] as number);
      live[k] = live[live.length - 1] as number;
      live.pop();
    } else {
      live.push(blocks.malloc(1 + Math.floor(rand() ** 3 * 512)));
    }
  }
  return live;
}

import { expect } from "vitest";
import type { BlockAllocator, CycleCollector, RawAllocator, RefCounter } from "../../src/index.js";

/** The layers whose state a failed call must leave as it was. */
export interface Layers {
  raw: RawAllocator;
  blocks: BlockAllocator;
  objects: RefCounter;
  gc: CycleCollector;
}

/** Everything a failed call must not change: every layer's numbers, the stats report, every byte of memory. */
export function stackState(s: Layers) {
  return {
    raw: s.raw.stats(),
    blocks: s.blocks.stats(),
    report: s.blocks.debugMallocStats(),
    objects: s.objects.liveObjects,
    gc: s.gc.getCount(),
    bytes: Buffer.from(s.raw.u8),
  };
}

/** Expects `after` to equal `before`: the bytes compared as one boolean (a deep diff of megabytes is slow). */
export function expectSameState(before: ReturnType<typeof stackState>, after: ReturnType<typeof stackState>): void {
  expect(after.bytes.equals(before.bytes), "every byte of memory as before").toBe(true);
  expect({ ...after, bytes: 0 }).toEqual({ ...before, bytes: 0 });
}

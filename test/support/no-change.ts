import { expect } from "vitest";
import { type BlockAllocator, defineProfile, profiles, type RawAllocator } from "../../src/index.js";
import { type LayerRecord, layerOf } from "../../src/internal/layer-state.js";
import { captureLayer } from "../../src/snapshot/state.js";

/** Every field a layer declares as state, as a snapshot would copy it. */
function state(layer: object): unknown {
  return captureLayer(layerOf(layer) as LayerRecord);
}

/**
 * What must not change when a call fails: the allocator's numbers, report,
 * every field of its state (and its raw allocator's) and every byte of the buffer.
 */
function snapshot(a: RawAllocator | BlockAllocator): { numbers: unknown; bytes: Buffer } {
  if ("debugMallocStats" in a) {
    return {
      numbers: { stats: a.stats(), text: a.debugMallocStats(), raw: a.raw.stats(), state: [state(a), state(a.raw)] },
      bytes: Buffer.from(a.raw.u8),
    };
  }
  return { numbers: { stats: a.stats(), state: state(a) }, bytes: Buffer.from(a.u8) };
}

/** Runs `f`, expects it to throw `type` (and `message`), and checks that nothing changed and validate() passes. */
export function expectNoChange(
  allocator: RawAllocator | BlockAllocator,
  f: () => unknown,
  type: new (...args: never[]) => Error,
  message?: RegExp,
): void {
  const before = snapshot(allocator);
  let thrown: unknown;
  try {
    f();
  } catch (e) {
    thrown = e;
  }
  expect(thrown).toBeInstanceOf(type);
  if (message) expect((thrown as Error).message).toMatch(message);
  const after = snapshot(allocator);
  expect(after.numbers).toEqual(before.numbers);
  // One boolean: a deep equality over a megabyte of bytes is needlessly slow.
  expect(after.bytes.equals(before.bytes), "the buffer's bytes are unchanged").toBe(true);
  allocator.validate();
}

/** A profile small enough that a few hundred operations fill and empty many arenas. */
export const tinyProfile = defineProfile({
  ...profiles["cpython-3.11"],
  name: "tiny",
  arenaSize: 4096,
  poolSize: 1024,
  smallRequestThreshold: 128,
  arenaAlignment: 16,
  arenaMap: { kind: "address-in-range" },
});

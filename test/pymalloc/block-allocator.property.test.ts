/**
 * Property tests of BlockAllocator's invariants over random programs, checked
 * against a Map model after every operation, under real and tiny profiles.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  BlockAllocator,
  DoubleFreeError,
  InvalidAddressError,
  type Profile,
  PymemError,
  profiles,
  RawAllocator,
  sizeClassOf,
} from "../../src/index.js";
import { tinyProfile } from "../support/no-change.js";

const tiny = tinyProfile;

const size = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(0, 1, 15, 16, 17, 127, 128, 129, 496, 511, 512, 513) },
  { weight: 6, arbitrary: fc.integer({ min: 1, max: 512 }) },
  { weight: 1, arbitrary: fc.integer({ min: 513, max: 4000 }) },
);
const pick = fc.nat({ max: 1 << 20 });
type Op =
  | { op: "malloc"; size: number; times: number }
  | { op: "calloc"; nelem: number; elsize: number }
  | { op: "realloc"; pick: number; size: number }
  | { op: "free"; pick: number; times: number }
  | { op: "doubleFree"; pick: number }
  | { op: "interiorFree"; pick: number; offset: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({ op: fc.constant("malloc" as const), size, times: fc.constantFrom(1, 1, 1, 40) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant("calloc" as const),
      nelem: fc.integer({ min: 0, max: 40 }),
      elsize: fc.constantFrom(0, 1, 8, 16, 100),
    }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("realloc" as const), pick, size }) },
  { weight: 5, arbitrary: fc.record({ op: fc.constant("free" as const), pick, times: fc.constantFrom(1, 1, 30) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("doubleFree" as const), pick }) },
  {
    weight: 1,
    arbitrary: fc.record({ op: fc.constant("interiorFree" as const), pick, offset: fc.integer({ min: 1, max: 1000 }) }),
  },
);

function run(profile: Profile, ops: Op[]): void {
  const blocks = new BlockAllocator({ raw: new RawAllocator({ maxBytes: 1 << 28 }), profile });
  const model = new Map<number, number>();
  const freed = new Set<number>();
  const nth = (k: number) => [...model.keys()][k % model.size] as number;
  // `raw`: the block must be a raw-allocator block (0 bytes, large, or realloc of a raw block, which stays raw).
  // `inPlace`: a realloc that kept its block, which keeps its (larger) class.
  const add = (a: number, n: number, raw = n === 0 || n > profile.smallRequestThreshold, inPlace = false) => {
    expect(model.has(a), "a live block is not handed out twice").toBe(false);
    freed.delete(a);
    const usable = blocks.usableSize(a);
    expect(usable).toBeGreaterThanOrEqual(n);
    if (!raw) {
      const pool = blocks.pool(a);
      expect(pool, "every small block lies in a carved pool").toBeDefined();
      if (inPlace) {
        expect(4 * n > 3 * usable && n <= usable, "realloc keeps a block only within 3/4 of its size").toBe(true);
      } else {
        expect(pool?.sizeClass, "of its size class").toBe(sizeClassOf(n, profile.alignment));
      }
      expect((a - (pool?.address as number) - profile.poolOverhead) % usable, "at a block boundary").toBe(0);
    } else {
      expect(blocks.owns(a), "0-byte and large requests, and raw blocks realloc'd, stay with the raw allocator").toBe(
        false,
      );
    }
    for (const [b, m] of model) {
      const bEnd = b + Math.max(m, 1);
      expect(a + Math.max(n, 1) <= b || bEnd <= a, "no two live blocks overlap").toBe(true);
    }
    model.set(a, n);
  };
  const remove = (a: number) => {
    model.delete(a);
    freed.add(a);
  };
  for (const o of ops) {
    switch (o.op) {
      case "malloc":
        for (let i = 0; i < o.times; i++) add(blocks.malloc(o.size), o.size);
        break;
      case "calloc": {
        const a = blocks.calloc(o.nelem, o.elsize);
        expect(blocks.raw.u8.subarray(a, a + o.nelem * o.elsize).every((x) => x === 0)).toBe(true);
        add(a, o.nelem * o.elsize);
        break;
      }
      case "realloc": {
        if (model.size === 0) break;
        const a = nth(o.pick);
        const wasRaw = !blocks.owns(a);
        const r = blocks.realloc(a, o.size);
        remove(a);
        add(r, o.size, wasRaw || o.size === 0 || o.size > profile.smallRequestThreshold, r === a && !wasRaw);
        break;
      }
      case "free":
        for (let i = 0; i < o.times && model.size > 0; i++) {
          const a = nth(o.pick + i * 7);
          blocks.free(a);
          remove(a);
        }
        break;
      case "doubleFree": {
        const candidates = [...freed];
        if (candidates.length === 0) break;
        const a = candidates[o.pick % candidates.length] as number;
        // DoubleFreeError while the block's pool still holds it; once its arena was released or its memory
        // reused for something else, the address is no block at all (InvalidAddressError).
        const before = blocks.stats();
        expect(() => blocks.free(a)).toThrow(PymemError);
        if (blocks.pool(a)?.freeList().includes(a)) expect(() => blocks.free(a)).toThrow(DoubleFreeError);
        expect(blocks.stats()).toEqual(before);
        break;
      }
      case "interiorFree": {
        if (model.size === 0) break;
        const a = nth(o.pick);
        const inside = a + 1 + ((o.offset - 1) % Math.max(1, blocks.usableSize(a) - 1));
        const before = blocks.stats();
        expect(() => blocks.free(inside)).toThrow(InvalidAddressError);
        expect(blocks.stats()).toEqual(before);
        break;
      }
    }
    blocks.validate();
    expect(blocks.allocatedBlocks(), "allocated blocks equal the model's live blocks").toBe(model.size);
  }
  for (const a of model.keys()) blocks.free(a);
  blocks.validate();
  expect(blocks.allocatedBlocks()).toBe(0);
  expect(blocks.stats().arenasAllocatedCurrent).toBeLessThanOrEqual(profile.keepLastFreeArena ? 1 : 0);
}

describe("BlockAllocator invariants", () => {
  for (const [profile, runs] of [
    [profiles["cpython-3.11"], 300],
    [profiles["cpython-3.8"], 300],
    [tiny, 500],
  ] as const) {
    it(`${profile.name}: validate() holds after every op, live blocks never overlap and sit in pools of their class`, () => {
      fc.assert(
        fc.property(fc.array(opArb, { minLength: 1, maxLength: 120 }), (ops) => run(profile, ops)),
        { numRuns: runs },
      );
    });
  }
});

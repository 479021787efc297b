/**
 * Model-based property tests: random programs of malloc, calloc, realloc,
 * allocAligned and free (plus invalid and double frees) run against a
 * RawAllocator and a plain Map model side by side. Every live block carries a
 * byte pattern unique to it, checked before every free and after every
 * realloc; validate() runs after every step.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DoubleFreeError, InvalidAddressError, OutOfMemoryError, RawAllocator } from "../../src/index.js";
import { lastBlockClean } from "../../src/raw/raw-allocator.js";

const MAX_SIZE = 256 * 1024;
// PATTERN[k] = k & 0xff; a block with phase p holds PATTERN[p .. p + size).
const PATTERN = Uint8Array.from({ length: MAX_SIZE + 256 }, (_, k) => k & 0xff);

const size = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 1, max: 512 }) },
  { weight: 3, arbitrary: fc.integer({ min: 513, max: 16 * 1024 }) },
  { weight: 1, arbitrary: fc.integer({ min: 16 * 1024 + 1, max: MAX_SIZE }) },
);
const pick = fc.nat({ max: 1 << 16 });

type Op =
  | { op: "malloc"; size: number }
  | { op: "calloc"; nelem: number; elsize: number }
  | { op: "realloc"; pick: number; size: number }
  | { op: "aligned"; size: number; alignLog2: number }
  | { op: "free"; pick: number }
  | { op: "doubleFree"; pick: number }
  | { op: "interiorFree"; pick: number; offset: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ op: fc.constant("malloc" as const), size }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant("calloc" as const),
      nelem: fc.integer({ min: 0, max: 64 }),
      elsize: fc.integer({ min: 0, max: 1024 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("realloc" as const), pick, size }) },
  {
    weight: 1,
    arbitrary: fc.record({ op: fc.constant("aligned" as const), size, alignLog2: fc.integer({ min: 4, max: 16 }) }),
  },
  { weight: 4, arbitrary: fc.record({ op: fc.constant("free" as const), pick }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("doubleFree" as const), pick }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant("interiorFree" as const),
      pick,
      offset: fc.integer({ min: 1, max: 1 << 20 }),
    }),
  },
);

interface Block {
  size: number;
  phase: number;
}

function fill(raw: RawAllocator, address: number, b: Block): void {
  raw.u8.set(PATTERN.subarray(b.phase, b.phase + b.size), address);
}

function intact(raw: RawAllocator, address: number, b: Block, length = b.size): boolean {
  return Buffer.compare(raw.u8.subarray(address, address + length), PATTERN.subarray(b.phase, b.phase + length)) === 0;
}

function run(ops: Op[]): void {
  const raw = new RawAllocator({ initialBytes: 1 << 16, maxBytes: 1 << 28 });
  const model = new Map<number, Block>();
  // Addresses freed and not handed out since: freeing one again is a double free.
  const freed = new Set<number>();
  let phase = 0;
  const nth = (k: number) => [...model.keys()][k % model.size] as number;
  const add = (address: number, sz: number) => {
    expect(address % 16).toBe(0);
    expect(address).toBeGreaterThan(0);
    expect(model.has(address)).toBe(false);
    freed.delete(address);
    expect(raw.usableSize(address)).toBeGreaterThanOrEqual(sz);
    for (const [other, b] of model) {
      expect(address + sz <= other || other + b.size <= address, "no two live blocks overlap").toBe(true);
    }
    const b = { size: sz, phase: phase++ & 0xff };
    model.set(address, b);
    fill(raw, address, b);
  };
  for (const o of ops) {
    switch (o.op) {
      case "malloc":
        add(raw.malloc(o.size), o.size);
        break;
      case "calloc": {
        const a = raw.calloc(o.nelem, o.elsize);
        const n = o.nelem * o.elsize;
        expect(raw.u8.subarray(a, a + n).every((x) => x === 0)).toBe(true);
        add(a, n);
        break;
      }
      case "aligned": {
        const a = raw.allocAligned(o.size, 2 ** o.alignLog2);
        expect(a % 2 ** o.alignLog2).toBe(0);
        // The model's mmap: a region no block ever reached is handed out as it is, zero.
        if (lastBlockClean(raw)) expect(raw.u8.subarray(a, a + o.size).every((x) => x === 0)).toBe(true);
        add(a, o.size);
        break;
      }
      case "realloc": {
        if (model.size === 0) break;
        const a = nth(o.pick);
        const b = model.get(a) as Block;
        expect(intact(raw, a, b), "contents intact before realloc").toBe(true);
        const r = raw.realloc(a, o.size);
        expect(intact(raw, r, b, Math.min(b.size, o.size)), "realloc keeps the contents").toBe(true);
        model.delete(a);
        if (r !== a) freed.add(a);
        add(r, o.size);
        break;
      }
      case "free": {
        if (model.size === 0) break;
        const a = nth(o.pick);
        expect(intact(raw, a, model.get(a) as Block), "contents intact before free").toBe(true);
        raw.free(a);
        model.delete(a);
        freed.add(a);
        break;
      }
      case "doubleFree": {
        const candidates = [...freed];
        if (candidates.length === 0) break;
        const a = candidates[o.pick % candidates.length] as number;
        const before = raw.stats();
        expect(() => raw.free(a)).toThrow(DoubleFreeError);
        expect(raw.stats()).toEqual(before);
        break;
      }
      case "interiorFree": {
        if (model.size === 0) break;
        const a = nth(o.pick);
        // An address strictly inside the block: offsets up to its usable size.
        const inside = a + 1 + ((o.offset - 1) % (raw.usableSize(a) - 1));
        const before = raw.stats();
        expect(() => raw.free(inside)).toThrow(freed.has(inside) ? DoubleFreeError : InvalidAddressError);
        expect(raw.stats()).toEqual(before);
        break;
      }
    }
    raw.validate();
    expect(raw.stats().liveBlocks).toBe(model.size);
  }
  expectUntouchedZero(raw);
  for (const [a, b] of model) {
    expect(intact(raw, a, b)).toBe(true);
    raw.free(a);
  }
  raw.validate();
  const s = raw.stats();
  expect(s.freeBlocks, "after freeing everything the heap is one free block").toBe(1);
  expect(s.bytesInUse).toBe(0);
  expect(s.largestFreeBlock).toBe(s.freeBytes);
}

describe("RawAllocator against a Map model", () => {
  it("random programs keep blocks disjoint, aligned and intact; freeing all leaves one free block", () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 200, maxLength: 200 }), (ops) => run(ops)),
      { numRuns: 500 },
    );
  });

  it("the same holds in unchecked mode for valid programs", () => {
    const valid = opArb.filter((o) => o.op !== "doubleFree" && o.op !== "interiorFree");
    fc.assert(
      fc.property(fc.array(valid, { minLength: 200, maxLength: 200 }), (ops) => {
        const raw = new RawAllocator({ initialBytes: 1 << 16, maxBytes: 1 << 28, checked: false });
        const live: number[] = [];
        for (const o of ops) {
          if (o.op === "malloc") live.push(raw.malloc(o.size));
          else if (o.op === "calloc") live.push(raw.calloc(o.nelem, o.elsize));
          else if (o.op === "aligned") live.push(raw.allocAligned(o.size, 2 ** o.alignLog2));
          else if (live.length > 0) {
            const k = o.pick % live.length;
            if (o.op === "realloc") live[k] = raw.realloc(live[k] as number, o.size);
            else raw.free(live.splice(k, 1)[0] as number);
          }
          raw.validate();
        }
        for (const a of live) raw.free(a);
        raw.validate();
        expect(raw.stats().freeBlocks).toBe(1);
      }),
      { numRuns: 100 },
    );
  });

  it("a reserved buffer gives the same addresses, bytes, growth and stats as a growing one", () => {
    const valid = opArb.filter((o) => o.op !== "doubleFree" && o.op !== "interiorFree");
    fc.assert(
      fc.property(fc.array(valid, { minLength: 100, maxLength: 100 }), fc.boolean(), (ops, checked) => {
        const make = (reserve: boolean) =>
          new RawAllocator({ initialBytes: 1 << 16, maxBytes: 1 << 24, checked, reserve });
        const [grows, reserved] = [make(false), make(true)];
        const grew: number[][] = [[], []];
        grows.on("raw:grow", (e) => grew[0]?.push(e.newBytes));
        reserved.on("raw:grow", (e) => grew[1]?.push(e.newBytes));
        const live: number[] = [];
        const both = (f: (r: RawAllocator) => number): number => {
          const [a, b] = [tryOp(() => f(grows)), tryOp(() => f(reserved))];
          expect(b).toBe(a);
          return a;
        };
        for (const o of ops) {
          if (o.op === "malloc") live.push(both((r) => r.malloc(o.size)));
          else if (o.op === "calloc") live.push(both((r) => r.calloc(o.nelem, o.elsize)));
          else if (o.op === "aligned") live.push(both((r) => r.allocAligned(o.size, 2 ** o.alignLog2)));
          else if (live.length > 0) {
            const k = o.pick % live.length;
            const a = live[k] as number;
            if (a < 0) live.splice(k, 1);
            else if (o.op === "realloc") live[k] = both((r) => r.realloc(a, o.size));
            else {
              live.splice(k, 1);
              both((r) => {
                r.free(a);
                return 0;
              });
            }
          }
          // Stamp the newest block so that the bytes can be compared too.
          const top = live.at(-1) as number;
          if (top > 0) for (const r of [grows, reserved]) r.u8[top] = live.length & 0xff;
        }
        expect(reserved.u8.length).toBe(grows.u8.length);
        expect(reserved.heapBytes).toBe(grows.heapBytes);
        expect(Buffer.compare(reserved.u8, grows.u8)).toBe(0);
        expect(reserved.stats()).toEqual(grows.stats());
        expect(grew[1]).toEqual(grew[0]);
        expect(reserved.buffer.byteLength).toBe(1 << 24);
        reserved.validate();
      }),
      { numRuns: 60 },
    );
  });
});

/**
 * Memory above the allocator's dirty watermark reads zero, free blocks'
 * 16-byte headers aside: what lets calloc and arenas skip zeroing it. No
 * block in use lies there, so every block walked from the one holding the
 * watermark is free (up to the sentinel).
 */
function expectUntouchedZero(raw: RawAllocator): void {
  const { dirtyEnd, sentinel } = raw as unknown as { dirtyEnd: number; sentinel: number };
  const u32 = new Uint32Array(raw.buffer, 0, raw.heapBytes >>> 2);
  let b = 16;
  while (b < sentinel && b + ((u32[b >>> 2] as number) & ~1) <= dirtyEnd) b += (u32[b >>> 2] as number) & ~1;
  for (; b < sentinel; b += (u32[b >>> 2] as number) & ~1) {
    const word = u32[b >>> 2] as number;
    if (b >= dirtyEnd) expect(word & 1, `block ${b} above the dirty watermark ${dirtyEnd} is free`).toBe(1);
    const end = b + (word & ~1);
    for (let w = Math.max(b + 16, dirtyEnd) >>> 2; w < end >>> 2; w++) {
      if (u32[w] !== 0) expect.fail(`word at ${4 * w}, above the dirty watermark ${dirtyEnd}, is ${u32[w]}`);
    }
  }
}

/** The op's result, or -1 when it threw OutOfMemoryError (both allocators must agree on that too). */
function tryOp(f: () => number): number {
  try {
    return f();
  } catch (e) {
    if (e instanceof OutOfMemoryError) return -1;
    throw e;
  }
}

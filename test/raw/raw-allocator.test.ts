import { describe, expect, it } from "vitest";
import {
  DoubleFreeError,
  HeapCorruptionError,
  InvalidAddressError,
  OutOfMemoryError,
  PymemError,
  RAW_HEADER,
  RawAllocator,
} from "../../src/index.js";
import { lastBlockClean } from "../../src/raw/raw-allocator.js";
import { blockSizeFor } from "../../src/raw/raw-block.js";
import { expectNoChange } from "../support/no-change.js";

describe("RawAllocator", () => {
  it("hands out 16-byte aligned, non-null, non-overlapping blocks", () => {
    const raw = new RawAllocator({ initialBytes: 4096, maxBytes: 1 << 20 });
    const blocks = [0, 1, 15, 16, 17, 100, 1000].map((n) => [raw.malloc(n), n] as const);
    for (const [a, n] of blocks) {
      expect(a).not.toBe(0);
      expect(a % 16).toBe(0);
      expect(raw.usableSize(a)).toBeGreaterThanOrEqual(Math.max(n, 1));
    }
    const sorted = [...blocks].sort((x, y) => x[0] - y[0]);
    for (let i = 1; i < sorted.length; i++) {
      const [prev] = sorted[i - 1] as readonly [number, number];
      const [cur] = sorted[i] as readonly [number, number];
      expect(prev + raw.usableSize(prev)).toBeLessThanOrEqual(cur - RAW_HEADER);
    }
    raw.validate();
  });

  it("coalesces on free: freeing everything leaves one free block", () => {
    const raw = new RawAllocator({ initialBytes: 1 << 16 });
    const a = raw.malloc(100);
    const b = raw.malloc(200);
    const c = raw.malloc(300);
    raw.free(b);
    raw.free(a);
    raw.free(c);
    raw.validate();
    const s = raw.stats();
    expect(s.freeBlocks).toBe(1);
    expect(s.liveBlocks).toBe(0);
    expect(s.bytesInUse).toBe(0);
    expect(s.fragmentation).toBe(0);
    expect(s.largestFreeBlock).toBe(s.freeBytes);
    expect(raw.bytesInUse).toBe(0);
    const d = raw.malloc(100);
    expect(raw.bytesInUse).toBe(raw.stats().bytesInUse);
    raw.free(d);
  });

  it("reuses a freed block of the same size at the same address", () => {
    const raw = new RawAllocator();
    const a = raw.malloc(64);
    raw.malloc(64);
    raw.free(a);
    expect(raw.malloc(64)).toBe(a);
  });

  it("calloc zeroes memory that was dirty", () => {
    const raw = new RawAllocator({ initialBytes: 4096 });
    const a = raw.malloc(256);
    raw.u8.fill(0xaa, a, a + 256);
    raw.free(a);
    const b = raw.calloc(16, 16);
    expect(b).toBe(a);
    expect(raw.u8.subarray(b, b + 256).every((x) => x === 0)).toBe(true);
  });

  it("calloc rejects overflowing products naming both factors", () => {
    const raw = new RawAllocator();
    expectNoChange(raw, () => raw.calloc(2 ** 20, 2 ** 20), RangeError, /1048576 \* 1048576/);
    expectNoChange(raw, () => raw.calloc(-1, 8), RangeError, /nelem/);
  });

  it("realloc grows in place into a free right neighbour, keeping the contents", () => {
    const raw = new RawAllocator();
    const a = raw.malloc(64);
    const b = raw.malloc(1000);
    raw.malloc(16); // keeps b's space from merging with the heap's tail
    for (let i = 0; i < 64; i++) raw.u8[a + i] = i;
    raw.free(b);
    const a2 = raw.realloc(a, 900);
    expect(a2).toBe(a);
    for (let i = 0; i < 64; i++) expect(raw.u8[a2 + i]).toBe(i);
    raw.validate();
  });

  it("realloc shrinks in place and gives the tail back", () => {
    const raw = new RawAllocator();
    const a = raw.malloc(4000);
    const guard = raw.malloc(16);
    const before = raw.stats().bytesInUse;
    expect(raw.realloc(a, 100)).toBe(a);
    expect(raw.stats().bytesInUse).toBeLessThan(before);
    raw.validate();
    raw.free(guard);
    raw.free(a);
    raw.validate();
    expect(raw.stats().freeBlocks).toBe(1);
  });

  it("realloc moves when it must, copying the old contents, and frees the old block", () => {
    const raw = new RawAllocator();
    const a = raw.malloc(32);
    raw.malloc(32);
    raw.u8.fill(0x5c, a, a + 32);
    const b = raw.realloc(a, 5000);
    expect(b).not.toBe(a);
    expect(raw.u8.subarray(b, b + 32).every((x) => x === 0x5c)).toBe(true);
    expect(raw.isLive(a)).toBe(false);
    expect(() => raw.free(a)).toThrow(DoubleFreeError);
    raw.validate();
  });

  it("realloc(0, n) is malloc", () => {
    const raw = new RawAllocator();
    const a = raw.realloc(0, 10);
    expect(raw.isLive(a)).toBe(true);
  });

  it("a failed moving realloc leaves the old block intact", () => {
    const raw = new RawAllocator({ initialBytes: 1 << 16, maxBytes: 1 << 16 });
    const a = raw.malloc(1000);
    raw.malloc(16);
    raw.u8.fill(9, a, a + 1000);
    expectNoChange(raw, () => raw.realloc(a, 1 << 16), OutOfMemoryError, /65536 bytes/);
    expect(raw.u8[a + 999]).toBe(9);
    expect(raw.isLive(a)).toBe(true);
  });

  it("grows the buffer up to maxBytes, then throws OutOfMemoryError and stays usable", () => {
    const raw = new RawAllocator({ initialBytes: 4096, maxBytes: 1 << 20 });
    const grows: Array<[number, number]> = [];
    raw.on("raw:grow", (e) => grows.push([e.oldBytes, e.newBytes]));
    const live: number[] = [];
    let failed: unknown;
    for (let i = 0; i < 100 && failed === undefined; i++) {
      try {
        live.push(raw.malloc(50_000));
      } catch (e) {
        failed = e;
      }
    }
    expect(failed).toBeInstanceOf(OutOfMemoryError);
    expect(failed).toBeInstanceOf(PymemError);
    expect((failed as OutOfMemoryError).maxBytes).toBe(1 << 20);
    expect(grows.length).toBeGreaterThan(0);
    expect(raw.heapBytes).toBeLessThanOrEqual(1 << 20);
    for (const [o, n] of grows) expect(n).toBeGreaterThan(o);
    raw.validate();
    const last = live.pop() as number;
    raw.free(last);
    expect(raw.malloc(40_000)).toBeGreaterThan(0);
    raw.validate();
  });

  it("an allocation larger than maxBytes fails without growing", () => {
    const raw = new RawAllocator({ initialBytes: 4096, maxBytes: 1 << 20 });
    expectNoChange(raw, () => raw.malloc(2 << 20), OutOfMemoryError, /2097152/);
    expect(raw.heapBytes).toBe(4096);
  });

  it("maxBytes of 2^31 works and the heap can grow past 1 GiB", () => {
    const raw = new RawAllocator({ maxBytes: 2 ** 31, checked: false });
    const big = raw.malloc(2 ** 30 + 12345);
    raw.u8[big + 2 ** 30] = 77;
    expect(raw.u8[big + 2 ** 30]).toBe(77);
    expect(raw.heapBytes).toBeGreaterThan(2 ** 30);
    const small = raw.malloc(16);
    raw.free(big);
    raw.free(small);
    raw.validate();
  });

  it("blocks of 2^31 bytes and more keep their sizes (maxBytes up to 2^32)", () => {
    const raw = new RawAllocator({ maxBytes: 2 ** 32, checked: false });
    const a = raw.malloc(2 ** 31 + 4096);
    expect(raw.usableSize(a)).toBe(2 ** 31 + 4096);
    raw.validate();
    raw.free(a);
    raw.validate();
    expect(raw.stats().largestFreeBlock).toBeGreaterThan(2 ** 31);
    expect(() => raw.malloc(2 ** 32 - 1)).toThrow(OutOfMemoryError);
    raw.validate();
  });

  it("allocAligned returns aligned regions and gives the leading gap back", () => {
    const raw = new RawAllocator({ initialBytes: 4096 });
    raw.malloc(24);
    for (const alignment of [16, 64, 4096, 16384, 1 << 20]) {
      const a = raw.allocAligned(3000, alignment);
      expect(a % alignment).toBe(0);
      expect(raw.usableSize(a)).toBeGreaterThanOrEqual(3000);
      raw.validate();
    }
    expect(() => raw.allocAligned(10, 24)).toThrow(/power of two/);
    expect(() => raw.allocAligned(10, 8)).toThrow(RangeError);
  });

  it("rejects bad sizes with RangeError or TypeError naming the value, changing nothing", () => {
    const raw = new RawAllocator();
    const a = raw.malloc(10);
    expectNoChange(raw, () => raw.malloc(-1), RangeError, /-1/);
    expectNoChange(raw, () => raw.malloc(1.5), RangeError, /1\.5/);
    expectNoChange(raw, () => raw.malloc(Number.NaN), RangeError, /NaN/);
    expectNoChange(raw, () => raw.malloc(2 ** 40), RangeError, /1099511627776/);
    expectNoChange(raw, () => raw.malloc("8" as unknown as number), TypeError, /"8"/);
    expectNoChange(raw, () => raw.realloc(a, -3), RangeError, /-3/);
  });

  it("rejects bad options", () => {
    expect(() => new RawAllocator({ maxBytes: 2 ** 33 })).toThrow(/maxBytes/);
    expect(() => new RawAllocator({ initialBytes: 10 })).toThrow(/initialBytes/);
    expect(() => new RawAllocator({ initialBytes: 1 << 21, maxBytes: 1 << 20 })).toThrow(/initialBytes/);
    expect(() => new RawAllocator({ checked: "yes" as unknown as boolean })).toThrow(TypeError);
  });

  it("invalid, interior and double frees throw typed errors and change nothing", () => {
    const raw = new RawAllocator();
    const a = raw.malloc(100);
    const b = raw.malloc(100);
    raw.free(a);
    expectNoChange(raw, () => raw.free(a), DoubleFreeError, new RegExp(`0x${a.toString(16)}`));
    expectNoChange(raw, () => raw.free(b + 16), InvalidAddressError, /interior/);
    expectNoChange(raw, () => raw.free(b + 1), InvalidAddressError);
    expectNoChange(raw, () => raw.free(8), InvalidAddressError);
    expectNoChange(raw, () => raw.free(raw.heapBytes + 4096), InvalidAddressError);
    expectNoChange(raw, () => raw.realloc(a, 10), DoubleFreeError);
    expectNoChange(raw, () => raw.usableSize(b + 32), InvalidAddressError);
    raw.free(0);
    raw.free(b);
    expect(raw.stats().liveBlocks).toBe(0);
  });

  it("a freed address handed out again can be freed again", () => {
    const raw = new RawAllocator();
    const a = raw.malloc(48);
    raw.free(a);
    expect(raw.malloc(48)).toBe(a);
    raw.free(a);
    raw.validate();
  });

  it("emits alloc, free, realloc and grow events with their payloads, after the state is consistent", () => {
    const raw = new RawAllocator({ initialBytes: 4096 });
    const seen: string[] = [];
    raw.on("raw:alloc", (e) => {
      raw.validate();
      seen.push(`alloc ${e.address} ${e.size} ${e.usable}`);
    });
    const off = raw.on("raw:free", (e) => seen.push(`free ${e.address} ${e.usable}`));
    raw.on("raw:realloc", (e) => seen.push(`realloc ${e.oldAddress}->${e.address} ${e.size}`));
    raw.on("raw:grow", (e) => seen.push(`grow ${e.oldBytes}->${e.newBytes}`));
    const a = raw.malloc(20);
    raw.realloc(a, 30);
    raw.free(a);
    off();
    raw.free(raw.malloc(10_000));
    expect(raw.heapBytes % 65536).toBe(0);
    expect(seen).toEqual([
      `alloc ${a} 20 32`,
      `realloc ${a}->${a} 30`,
      `free ${a} 32`,
      `grow 4096->${raw.heapBytes}`,
      `alloc ${a} 10000 10000`,
    ]);
  });

  it("a throwing listener propagates after the operation completed", () => {
    const raw = new RawAllocator();
    raw.on("raw:alloc", () => {
      throw new Error("listener failed");
    });
    let calledAfter = false;
    raw.on("raw:alloc", () => {
      calledAfter = true;
    });
    expect(() => raw.malloc(10)).toThrow("listener failed");
    expect(calledAfter).toBe(true);
    expect(raw.stats().liveBlocks).toBe(1);
    raw.validate();
  });

  it("says whether a block lay in untouched memory, whatever its alloc listeners allocate", () => {
    const raw = new RawAllocator({ initialBytes: 1 << 20, maxBytes: 1 << 24 });
    const a = raw.malloc(20000);
    raw.u8.fill(0xee, a, a + 20000);
    raw.malloc(16);
    raw.free(a);
    const fresh = raw.allocAligned(4096, 65536);
    expect(lastBlockClean(raw)).toBe(true);
    expect(raw.u8.subarray(fresh, fresh + 4096).every((x) => x === 0)).toBe(true);
    let inner = -1;
    raw.on("raw:alloc", () => {
      if (inner !== -1) return;
      inner = 0;
      inner = raw.allocAligned(4096, 65536);
    });
    // Into the freed, dirty region; the listener's block goes to untouched memory.
    const p = raw.allocAligned(4096, 4096);
    expect(p).toBeLessThan(a + 20000);
    expect(inner).toBeGreaterThan(fresh);
    expect(lastBlockClean(raw)).toBe(false);
  });

  it("validate detects a corrupted header, naming the address", () => {
    const raw = new RawAllocator();
    const a = raw.malloc(100);
    raw.malloc(100);
    raw.memory.write32(a - RAW_HEADER, 40);
    expect(() => raw.validate()).toThrow(HeapCorruptionError);
    expect(() => raw.validate()).toThrow(/0x/);
  });

  it("unchecked mode skips the bitmaps but still allocates correctly", () => {
    const raw = new RawAllocator({ checked: false });
    const a = raw.malloc(10);
    expect(raw.isLive(a)).toBe(true);
    raw.free(a);
    expect(raw.isLive(a)).toBe(false);
    raw.validate();
  });
});

describe("blockSizeFor", () => {
  it("is the request rounded up to 16 bytes plus the 16-byte header, never under 32", () => {
    for (const size of [0, 1, 15, 16, 17, 31, 32, 1000, 2 ** 30 - 1, 2 ** 30, 2 ** 30 + 1, 2 ** 32 - 100]) {
      expect(blockSizeFor(size), String(size)).toBe(Math.max(32, Math.ceil(size / 16) * 16 + 16));
    }
  });
});

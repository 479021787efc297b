import { describe, expect, it } from "vitest";
import {
  BlockAllocator,
  DoubleFreeError,
  InvalidAddressError,
  OutOfMemoryError,
  type Profile,
  profiles,
  RawAllocator,
} from "../../src/index.js";
import { lastBlockClean } from "../../src/raw/raw-allocator.js";
import { expectNoChange, tinyProfile } from "../support/no-change.js";

const P311 = profiles["cpython-3.11"];

function make(profile: Profile = P311, raw = new RawAllocator()) {
  return new BlockAllocator({ raw, profile });
}

describe("BlockAllocator", () => {
  it("stats() names its per-class arrays by class and its totals by what they count", () => {
    const blocks = new BlockAllocator();
    for (let i = 0; i < 300; i++) blocks.malloc(8 + (i % 64) * 8);
    blocks.malloc(5000); // a raw block
    const s = blocks.stats();
    expect(s.blocksInUseByClass).toHaveLength(32);
    expect(s.poolBlocksInUse).toBe(300);
    expect(s.blocksInUseByClass.reduce((a, b) => a + b, 0)).toBe(300);
    expect(s.rawAllocatedBlocks).toBe(1);
    expect(s.allocatedBlocks).toBe(301);
    expect(s.poolsByClass.filter((n) => n > 0)).toHaveLength(32);
    expect(s.availBlocksByClass.every((n) => n >= 0)).toBe(true);
  });

  it("carves a fresh pool lazily: the first block at the pool header's end, the next one block later", () => {
    const blocks = make();
    const a = blocks.malloc(24);
    const pool = blocks.pool(a);
    expect(pool).toBeDefined();
    expect(a - (pool?.address as number)).toBe(48);
    expect(blocks.malloc(30) - a).toBe(32);
    expect(pool?.nextOffset).toBe(48 + 3 * 32);
    expect(pool?.sizeClass).toBe(1);
  });

  it("hands out the most recently freed block first (LIFO free list)", () => {
    const blocks = make();
    const xs = [1, 2, 3, 4].map(() => blocks.malloc(64));
    blocks.free(xs[1] as number);
    blocks.free(xs[3] as number);
    expect(
      blocks
        .pool(xs[0] as number)
        ?.freeList()
        .slice(0, 2),
    ).toEqual([xs[3], xs[1]]);
    expect(blocks.malloc(60)).toBe(xs[3]);
    expect(blocks.malloc(50)).toBe(xs[1]);
  });

  it("sends 0 bytes and requests above 512 to the raw allocator, counted as allocated blocks", () => {
    const blocks = make();
    const zero = blocks.malloc(0);
    const big = blocks.malloc(513);
    const small = blocks.malloc(512);
    expect(blocks.owns(zero)).toBe(false);
    expect(blocks.owns(big)).toBe(false);
    expect(blocks.owns(small)).toBe(true);
    expect(blocks.stats().rawAllocatedBlocks).toBe(2);
    expect(blocks.allocatedBlocks()).toBe(3);
    blocks.free(zero);
    blocks.free(big);
    expect(blocks.stats().rawAllocatedBlocks).toBe(0);
  });

  it("realloc keeps a block that shrinks by less than a quarter, moves it otherwise", () => {
    const blocks = make();
    const a = blocks.malloc(64);
    blocks.raw.u8.fill(7, a, a + 64);
    expect(blocks.realloc(a, 49)).toBe(a); // 196 > 192
    const b = blocks.realloc(a, 48); // 192 is not > 192
    expect(b).not.toBe(a);
    expect(blocks.raw.u8.subarray(b, b + 48).every((x) => x === 7)).toBe(true);
    const c = blocks.realloc(b, 600); // crosses the threshold
    expect(blocks.owns(c)).toBe(false);
    expect(blocks.raw.u8.subarray(c, c + 48).every((x) => x === 7)).toBe(true);
    const d = blocks.realloc(c, 16); // a raw block stays raw
    expect(blocks.owns(d)).toBe(false);
    expect(blocks.realloc(0, 10)).toBeGreaterThan(0);
    blocks.validate();
  });

  it("calloc zeroes reused blocks and sends zero counts to raw calloc(1, 1)", () => {
    const blocks = make();
    const a = blocks.malloc(100);
    blocks.raw.u8.fill(0xee, a, a + 100);
    blocks.free(a);
    const b = blocks.calloc(10, 10);
    expect(b).toBe(a);
    expect(blocks.raw.u8.subarray(b, b + 100).every((x) => x === 0)).toBe(true);
    expect(blocks.owns(blocks.calloc(0, 8))).toBe(false);
    expect(blocks.owns(blocks.calloc(8, 0))).toBe(false);
    expectNoChange(blocks, () => blocks.calloc(2 ** 30, 2 ** 30), RangeError, /1073741824 \* 1073741824/);
  });

  it("an arena that is not pool-aligned loses its first partial pool", () => {
    const blocks = make();
    blocks.malloc(8);
    const [arena] = blocks.arenas();
    expect(arena).toBeDefined();
    if (arena === undefined) return;
    const aligned = arena.address % P311.poolSize === 0;
    expect(arena.nTotalPools).toBe(aligned ? 64 : 63);
    expect(arena.firstPool % P311.poolSize).toBe(0);
    expect(arena.firstPool - arena.address).toBeLessThan(P311.poolSize);
  });

  it("owns() answers as the profile's CPython: the arena map's whole range in 3.10+", () => {
    const blocks = make();
    blocks.malloc(8);
    const arena = blocks.arenas()[0];
    if (arena === undefined) throw new Error("no arena");
    // The radix tree covers the arena's whole range, its partial first pool included.
    expect(blocks.owns(arena.address)).toBe(true);
    expect(blocks.owns(arena.address + P311.arenaSize - 1)).toBe(true);
    expect(blocks.owns(arena.address + P311.arenaSize)).toBe(false);
    expect(blocks.owns(arena.address - 1)).toBe(false);
    expect(blocks.owns(2 ** 40)).toBe(false);
    const old = make(profiles["cpython-3.9"]);
    const p = old.malloc(8);
    expect(old.owns(p)).toBe(true);
    expect(old.owns(old.malloc(600))).toBe(false);
  });

  it("releases a wholly free arena unless it is the last usable one (3.9+); 3.8 releases it", () => {
    for (const [profile, kept] of [
      [P311, 1],
      [profiles["cpython-3.9"], 1],
      [profiles["cpython-3.8"], 0],
    ] as const) {
      const blocks = make(profile);
      const xs: number[] = [];
      const perArena = (profile.arenaSize / profile.poolSize) * Math.floor((profile.poolSize - 48) / 512);
      for (let i = 0; i < perArena * 3; i++) xs.push(blocks.malloc(512));
      expect(blocks.stats().arenasAllocatedCurrent).toBeGreaterThanOrEqual(3);
      for (const x of xs) blocks.free(x);
      blocks.validate();
      expect(blocks.stats().arenasAllocatedCurrent).toBe(kept);
    }
  });

  it("a new arena reads zero, as fresh mmap pages do, in reused memory and in untouched memory alike", () => {
    for (const reuse of [true, false]) {
      const raw = new RawAllocator();
      const dirty = 3 << 20;
      const d = raw.malloc(dirty);
      raw.u8.fill(0xab, d, d + dirty);
      if (reuse) raw.free(d);
      const blocks = make(P311, raw);
      let arena = 0;
      blocks.on("arena:alloc", (e) => {
        arena = e.address;
      });
      const p = blocks.malloc(512);
      const pool = blocks.pool(p)?.address as number;
      expect(arena < d + dirty).toBe(reuse);
      expect(lastBlockClean(raw)).toBe(!reuse);
      // All of it but the first pool's header: the block itself was never written.
      expect(raw.u8.subarray(arena, pool).every((x) => x === 0)).toBe(true);
      expect(raw.u8.subarray(pool + 48, arena + P311.arenaSize).every((x) => x === 0)).toBe(true);
    }
  });

  it("keeps usable_arenas sorted by free pools, most used first", () => {
    const blocks = make(profiles["cpython-3.8"]);
    const xs: number[] = [];
    for (let i = 0; i < 3000; i++) xs.push(blocks.malloc(400));
    // Runs of different lengths empty different numbers of pools in different arenas.
    for (const [from, to] of [
      [0, 50],
      [640, 800],
      [1280, 1600],
      [1920, 1930],
    ] as const) {
      for (let i = from; i < to; i++) blocks.free(xs[i] as number);
    }
    const order = blocks.usableArenaOrder().map((i) => blocks.arena(i)?.nFreePools as number);
    expect(order.length).toBeGreaterThan(1);
    expect([...order].sort((x, y) => x - y)).toEqual(order);
    blocks.validate();
  });

  it("emits arena, pool and block events in order, after the state is consistent", () => {
    const blocks = make();
    const seen: string[] = [];
    const check = () => blocks.validate();
    blocks.on("arena:alloc", (e) => {
      check();
      seen.push(`arena:alloc ${e.index} ${e.nTotalPools}`);
    });
    blocks.on("pool:init", (e) => {
      check();
      seen.push(`pool:init ${e.sizeClass} ${e.blockSize} ${e.reused}`);
    });
    blocks.on("block:alloc", (e) => {
      check();
      seen.push(`block:alloc ${e.size} ${e.sizeClass}`);
    });
    blocks.on("pool:full", (e) => {
      check();
      seen.push(`pool:full ${e.sizeClass}`);
    });
    blocks.on("block:free", (e) => {
      check();
      seen.push(`block:free ${e.sizeClass}`);
    });
    blocks.on("pool:empty", (e) => {
      check();
      seen.push(`pool:empty ${e.sizeClass}`);
    });
    blocks.on("large:alloc", (e) => seen.push(`large:alloc ${e.size}`));
    blocks.on("large:free", () => seen.push("large:free"));
    const a = blocks.malloc(512);
    expect(seen.splice(0)).toEqual([
      expect.stringMatching(/^arena:alloc 0 6[34]$/),
      "pool:init 31 512 false",
      "block:alloc 512 31",
    ]);
    const more = Array.from({ length: 30 }, () => blocks.malloc(500));
    expect(seen.at(-1)).toBe("pool:full 31");
    seen.length = 0;
    for (const p of [a, ...more]) blocks.free(p);
    expect(seen.slice(-2)).toEqual(["block:free 31", "pool:empty 31"]);
    seen.length = 0;
    blocks.free(blocks.malloc(511));
    expect(seen).toEqual(["pool:init 31 512 true", "block:alloc 511 31", "block:free 31", "pool:empty 31"]);
    seen.length = 0;
    blocks.free(blocks.malloc(1000));
    expect(seen).toEqual(["large:alloc 1000", "large:free"]);
  });

  it("emits pool:usable once when a block is freed into a full pool, after its block:free, the pool back in front", () => {
    const blocks = make();
    const seen: string[] = [];
    blocks.on("block:free", (e) => seen.push(`block:free ${e.pool}`));
    blocks.on("pool:usable", (e) => {
      // Emitted once the pool is back at the front of usedpools[class] and the state is consistent.
      blocks.validate();
      expect(blocks.usedPools(e.sizeClass)[0]).toBe(e.address);
      expect(blocks.pool(e.address)?.state).toBe("used");
      seen.push(`pool:usable ${e.address} ${e.sizeClass}`);
    });
    // Two pools of class 31 (512-byte blocks): the first full, the second in use.
    const first = Array.from({ length: 31 }, () => blocks.malloc(512));
    const second = blocks.malloc(512);
    const full = blocks.pool(first[0] as number)?.address as number;
    const other = blocks.pool(second)?.address as number;
    expect(full).not.toBe(other);
    expect(blocks.pool(full)?.state).toBe("full");
    expect(blocks.usedPools(31)).toEqual([other]);
    // Into a pool that is not full: block:free alone.
    blocks.free(blocks.malloc(512));
    expect(seen.splice(0)).toEqual([`block:free ${other}`]);
    // Into the full pool: block:free, then pool:usable naming that pool, which now serves class 31 first.
    blocks.free(first[5] as number);
    expect(seen.splice(0)).toEqual([`block:free ${full}`, `pool:usable ${full} 31`]);
    expect(blocks.usedPools(31)).toEqual([full, other]);
    // The pool is not full any more: a second free into it says nothing new.
    blocks.free(first[6] as number);
    expect(seen.splice(0)).toEqual([`block:free ${full}`]);
    // Filled again (pool:full), then freed into again: pool:usable again, once.
    blocks.malloc(512);
    blocks.malloc(512);
    expect(blocks.pool(full)?.state).toBe("full");
    blocks.free(first[7] as number);
    expect(seen.splice(0)).toEqual([`block:free ${full}`, `pool:usable ${full} 31`]);
  });

  it("a throwing listener, of this layer or the raw one, propagates only once the operation is complete", () => {
    const blocks = make();
    const big = blocks.malloc(2000);
    const small = blocks.malloc(40);
    const offRaw = blocks.raw.on("raw:free", () => {
      throw new Error("raw listener");
    });
    expect(() => blocks.free(big)).toThrow("raw listener");
    offRaw();
    blocks.validate();
    expect(blocks.stats().rawAllocatedBlocks).toBe(0);
    expect(() => blocks.free(big)).toThrow(DoubleFreeError);
    let moved = 0;
    const offAlloc = blocks.on("block:alloc", (e) => {
      moved = e.address;
      throw new Error("block listener");
    });
    blocks.raw.u8.fill(9, small, small + 40);
    expect(() => blocks.realloc(small, 200)).toThrow("block listener");
    offAlloc();
    blocks.validate();
    // The realloc completed before the error surfaced: the bytes were copied and the old block freed.
    expect(blocks.usableSize(moved)).toBe(208);
    expect(blocks.raw.u8.subarray(moved, moved + 40).every((x) => x === 9)).toBe(true);
    expect(() => blocks.free(small)).toThrow(DoubleFreeError);
    expect(blocks.allocatedBlocks()).toBe(1);
  });

  it("invalid, interior and double frees throw typed errors and change nothing", () => {
    const blocks = make();
    const a = blocks.malloc(100);
    const b = blocks.malloc(100);
    const big = blocks.malloc(5000);
    blocks.free(a);
    expectNoChange(blocks, () => blocks.free(a), DoubleFreeError, new RegExp(`0x${a.toString(16)}`));
    expectNoChange(blocks, () => blocks.free(b + 8), InvalidAddressError, /not the start of a live block/);
    expectNoChange(blocks, () => blocks.free(b + 112 * 5), InvalidAddressError);
    expectNoChange(blocks, () => blocks.realloc(a, 10), DoubleFreeError);
    expectNoChange(blocks, () => blocks.free(big + 16), InvalidAddressError);
    const foreign = blocks.raw.malloc(64);
    expectNoChange(blocks, () => blocks.free(foreign), InvalidAddressError, /did not hand out/);
    blocks.free(big);
    expectNoChange(blocks, () => blocks.free(big), DoubleFreeError);
    expectNoChange(blocks, () => blocks.free(-4), RangeError, /-4/);
    expectNoChange(blocks, () => blocks.malloc(0.5), RangeError, /0\.5/);
    expectNoChange(blocks, () => blocks.malloc("10" as unknown as number), TypeError);
    const arena = blocks.arenas()[0];
    expectNoChange(blocks, () => blocks.free(arena?.address as number), InvalidAddressError);
    blocks.free(0);
  });

  it("a failed allocation changes nothing: no arena and no raw block to be had", () => {
    const raw = new RawAllocator({ initialBytes: 1 << 16, maxBytes: 1 << 16 });
    const blocks = new BlockAllocator({ raw, profile: P311 });
    // No room for a 1 MiB arena: a small request falls back to the raw allocator, as PyObject_Malloc does.
    const p = blocks.malloc(100);
    expect(blocks.owns(p)).toBe(false);
    expect(blocks.stats().arenasAllocatedCurrent).toBe(0);
    expectNoChange(blocks, () => blocks.malloc(1 << 17), OutOfMemoryError);
    blocks.free(p);
    blocks.validate();
  });

  it("unchecked mode gives the same addresses", () => {
    const a = make();
    const b = new BlockAllocator({ raw: new RawAllocator(), profile: P311, checked: false });
    const xs: number[] = [];
    for (let i = 0; i < 3000; i++) {
      const x = a.malloc((i * 13) % 700);
      expect(b.malloc((i * 13) % 700)).toBe(x);
      xs.push(x);
      if (i % 3 === 0) {
        a.free(xs[i >> 1] as number);
        b.free(xs[i >> 1] as number);
        xs[i >> 1] = 0;
      }
    }
    a.validate();
    b.validate();
    expect(b.debugMallocStats()).toBe(a.debugMallocStats());
  });

  it("works with a custom profile: tiny arenas, unaligned arenas", () => {
    const blocks = make(tinyProfile);
    const xs: number[] = [];
    for (let i = 0; i < 2000; i++) xs.push(blocks.malloc(1 + (i % 128)));
    expect(blocks.owns(blocks.malloc(129))).toBe(false);
    blocks.validate();
    for (const x of xs) blocks.free(x);
    blocks.validate();
    expect(blocks.stats().arenasAllocatedCurrent).toBe(1);
  });

  it("rejects bad options", () => {
    expect(() => new BlockAllocator({ raw: {} as RawAllocator })).toThrow(/RawAllocator/);
    expect(() => new BlockAllocator({ profile: { ...P311, poolSize: 1000 } })).toThrow(/poolSize/);
    expect(() => new BlockAllocator({ checked: 1 as unknown as boolean })).toThrow(TypeError);
  });
});

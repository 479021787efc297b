/**
 * Pluggable arenas (CPython's PyObject_SetArenaAllocator): arenas go where the
 * arena allocator says, pools and blocks inside them where CPython puts them
 * for that address; "none to give" falls back to the raw allocator; bad
 * addresses are typed errors that change nothing.
 */
import { describe, expect, it } from "vitest";
import {
  type ArenaAllocator,
  BlockAllocator,
  createHeap,
  HeapSnapshot,
  InvalidAddressError,
  instantiate,
  profiles,
  RawAllocator,
  restore,
  snapshot,
} from "../../src/index.js";
import { expectNoChange } from "../support/no-change.js";

const P = profiles["cpython-3.11"];

/** Hands out the given addresses in turn (0 once they run out), and records what it is given back. */
function scripted(addresses: number[], freed: Array<[number, number]> = []): ArenaAllocator {
  let next = 0;
  return {
    alloc: () => addresses[next++] ?? 0,
    free: (address, size) => {
      freed.push([address, size]);
    },
  };
}

/** A raw allocator with a region reserved for arenas; the region's start is pool-aligned. */
function withRegion(bytes = 16 << 20) {
  const raw = new RawAllocator({ maxBytes: 1 << 28 });
  const region = raw.allocAligned(bytes, P.poolSize);
  return { raw, region };
}

describe("arenaAllocator", () => {
  it("puts each arena where the arena allocator says, and carves its pools as CPython does there", () => {
    const { raw, region } = withRegion();
    const places = [region + 8, region + (2 << 20)];
    const blocks = new BlockAllocator({ raw, profile: P, arenaAllocator: scripted(places) });
    const seen: Array<[number, number]> = [];
    blocks.on("arena:alloc", (e) => seen.push([e.address, e.nTotalPools]));
    const first = blocks.malloc(24);
    // Not pool-aligned: the partial pool at its start is lost, the first pool is the next boundary.
    expect(seen).toEqual([[region + 8, 63]]);
    expect(first).toBe(region + P.poolSize + P.poolOverhead);
    // Fill the first arena (one block per pool) to make pymalloc take the second, which is pool-aligned.
    for (let c = 1; c < 64; c++) blocks.malloc(16 * c + 1 > 512 ? 24 : 16 * c + 1);
    while (seen.length < 2) blocks.malloc(500);
    expect(seen[1]).toEqual([region + (2 << 20), 64]);
    expect(blocks.arenas().map((a) => [a.address, a.firstPool])).toEqual([
      [region + 8, region + P.poolSize],
      [region + (2 << 20), region + (2 << 20)],
    ]);
    expect(blocks.arenaAllocator).toBeDefined();
    blocks.validate();
  });

  it("falls back to the raw allocator when the arena allocator has none to give, as CPython does on NULL", () => {
    const raw = new RawAllocator();
    const blocks = new BlockAllocator({ raw, profile: P, arenaAllocator: scripted([]) });
    const large: number[] = [];
    blocks.on("large:alloc", (e) => large.push(e.size));
    const p = blocks.malloc(24);
    expect(blocks.owns(p)).toBe(false);
    expect(raw.isLive(p)).toBe(true);
    expect(large).toEqual([24]);
    expect(blocks.stats()).toMatchObject({ arenasAllocatedCurrent: 0, rawAllocatedBlocks: 1 });
    blocks.free(p);
    blocks.validate();
  });

  it("gives an empty arena back to the arena allocator's free, with its size", () => {
    const { raw, region } = withRegion();
    const freed: Array<[number, number]> = [];
    const places = [region + 16, region + (4 << 20) + 24];
    const blocks = new BlockAllocator({
      raw,
      profile: profiles["cpython-3.8"],
      arenaAllocator: scripted(places, freed),
    });
    const arena = profiles["cpython-3.8"].arenaSize;
    // 3.8 keeps no empty arena: the first is released as soon as its last block is freed.
    const p = blocks.malloc(16);
    blocks.free(p);
    expect(freed).toEqual([[region + 16, arena]]);
    expect(blocks.arenas()).toEqual([]);
    blocks.validate();
  });

  it("refuses an address that is not 8-aligned, past the heap, or on a live arena, changing nothing", () => {
    const cases: Array<[string, (region: number, heap: number) => number[], RegExp]> = [
      ["unaligned", (r) => [r + 12], /not aligned to 8/],
      ["past the heap", (_, heap) => [heap - 4096], /ends past the heap/],
      ["overlapping", (r) => [r, r + 4096], /overlapping the live arena at/],
      // Memory the raw allocator still owns: its headers and free space, which it would hand out again.
      ["not reserved", () => [16], /outside any block the raw allocator handed out/],
      ["on the region's header", (r) => [r - 8], /outside any block the raw allocator handed out/],
    ];
    for (const [, places, message] of cases) {
      const { raw, region } = withRegion();
      const blocks = new BlockAllocator({ raw, profile: P, arenaAllocator: scripted(places(region, raw.heapBytes)) });
      // The first arena full (64 pools of 31 blocks of 512 bytes), so that the next request takes another.
      if (message.source.startsWith("overlapping")) for (let i = 0; i < 64 * 31; i++) blocks.malloc(512);
      expectNoChange(blocks, () => blocks.malloc(500), InvalidAddressError, message);
    }
    for (const bad of [Number.NaN, -8, 1.5, "16"]) {
      const { raw } = withRegion();
      const blocks = new BlockAllocator({ raw, profile: P, arenaAllocator: { alloc: () => bad as number, free() {} } });
      expectNoChange(blocks, () => blocks.malloc(8), TypeError, /non-negative integer address/);
    }
  });

  it("finishes the free that released an arena when the arena allocator's free throws, then reports it", () => {
    const { raw, region } = withRegion();
    const events: string[] = [];
    const blocks = new BlockAllocator({
      raw,
      profile: profiles["cpython-3.8"],
      arenaAllocator: {
        alloc: () => region,
        free: () => {
          throw new Error("cannot take it back");
        },
      },
    });
    blocks.on("arena:free", () => events.push("arena:free"));
    const p = blocks.malloc(16);
    expect(() => blocks.free(p)).toThrow("cannot take it back");
    expect(events).toEqual(["arena:free"]);
    expect(blocks.arenas()).toEqual([]);
    blocks.validate();
    expect(blocks.malloc(16)).toBe(p);
  });

  it("refuses an arenaAllocator without alloc and free", () => {
    for (const bad of [null, 5, {}, { alloc: () => 0 }, { free: () => {} }]) {
      expect(() => new BlockAllocator({ arenaAllocator: bad as never })).toThrow(
        /arenaAllocator must be an object with alloc\(size\) and free\(address, size\)/,
      );
    }
    expect(new BlockAllocator().arenaAllocator).toBeUndefined();
  });

  it("a snapshot of a stack with its own arena allocator is instantiated with one, and goes on alike", () => {
    const raw = new RawAllocator();
    const region = raw.allocAligned(64 << 20, 1 << 20);
    // Arenas side by side from `next`; the placer's own state is the user's, outside any snapshot.
    const placer = (start: number) => {
      let next = start;
      const place: ArenaAllocator & { next(): number } = {
        alloc: (size) => {
          const a = next;
          next += size + 4096;
          return a;
        },
        free: () => {},
        next: () => next,
      };
      return place;
    };
    const original = placer(region + 8);
    const blocks = new BlockAllocator({ raw, profile: P, arenaAllocator: original });
    const work = (b: BlockAllocator | undefined) => Array.from({ length: 6000 }, (_, i) => b?.malloc(16 + (i % 497)));
    work(blocks);
    const snap = snapshot({ raw, blocks });
    const placedAt = original.next();
    expect(() => instantiate(snap)).toThrow(/pass one as options.arenaAllocator/);
    const other = createHeap({ profile: "cpython-3.11" });
    expect(() => restore({ raw: other.raw, blocks: other.blocks, objects: other.objects, gc: other.gc }, snap)).toThrow(
      TypeError,
    );
    const plain = new RawAllocator();
    const plainBlocks = new BlockAllocator({ raw: plain, profile: P });
    expect(() => restore({ raw: plain, blocks: plainBlocks }, snap)).toThrow(
      /took its arenas from an arena allocator of its own; the stack's from the raw allocator/,
    );
    const fork = instantiate(HeapSnapshot.deserialize(snap.serialize()), { arenaAllocator: placer(placedAt) });
    const expected = work(blocks);
    expect(work(fork.blocks)).toEqual(expected);
    expect(fork.blocks?.arenas().map((a) => a.address)).toEqual(blocks.arenas().map((a) => a.address));
    fork.blocks?.validate();
  });
});

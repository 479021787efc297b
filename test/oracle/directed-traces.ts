/**
 * Traces aimed at pymalloc's ordering rules, which seeded traces rarely
 * reach: arenas tied at 1, 2 and 3 free pools (which one usable_arenas puts
 * first, and nfp2lasta's upkeep as they move), a full arena that gets one free
 * pool (insert_to_freepool's case 2, to the head), wholly free arenas released
 * or the last one kept, empty pools reused for their old size class or
 * another, and arena objects' slots reused after a release.
 *
 * Which blocks to free is planned with pymem's own allocator under the
 * profile (which pool and arena each ID landed in); the trace is then plain
 * m/f lines, so the real pymalloc judges it as it judges any trace.
 */
import { BlockAllocator, type Profile, RawAllocator } from "../../src/index.js";

/** Writes a trace while a planning allocator runs the same calls, to learn where each block landed. */
class Planner {
  readonly lines: string[];
  private readonly blocks: BlockAllocator;
  private readonly address = new Map<number, number>();
  private next = 0;

  constructor(
    name: string,
    readonly profile: Profile,
  ) {
    this.lines = [`# directed trace: ${name}`];
    // As replayWithPymem builds its allocator, so the planned arenas are the replay's.
    this.blocks = new BlockAllocator({ raw: new RawAllocator({ maxBytes: 2 ** 30 - 2 ** 22 }), profile });
  }

  malloc(size: number): number {
    const id = this.next++;
    this.address.set(id, this.blocks.malloc(size));
    this.lines.push(`m ${id} ${size}`);
    return id;
  }

  free(id: number): void {
    this.blocks.free(this.address.get(id) as number);
    this.address.delete(id);
    this.lines.push(`f ${id}`);
  }

  /** Live IDs grouped by arena (in the order the arenas were taken), then by pool. */
  byArena(): number[][][] {
    const arenas = new Map<number, Map<number, number[]>>();
    for (const [id, a] of this.address) {
      const pool = this.blocks.pool(a);
      if (pool === undefined) continue;
      const arena = pool.arenaIndex;
      const pools = arenas.get(arena) ?? new Map<number, number[]>();
      const ids = pools.get(pool.address) ?? [];
      ids.push(id);
      pools.set(pool.address, ids);
      arenas.set(arena, pools);
    }
    return [...arenas.entries()]
      .sort(([a], [b]) => a - b)
      .map(([, pools]) => [...pools.entries()].sort(([a], [b]) => a - b).map(([, ids]) => ids));
  }

  /**
   * Two usable arenas tied at some count, side by side (made, from two full arenas, when there are none): the
   * last of them gets a free pool (nfp2lasta passes to the other), then the other does (the last at that count
   * now).
   */
  lastOfTieMoves(): void {
    let pair = this.tiedPair();
    if (pair === undefined) {
      const full = this.blocks.arenas().filter((a) => a.nFreePools === 0);
      for (const a of full.slice(0, 2)) this.freePool(this.poolsOf(a.index)[0] ?? []);
      pair = this.tiedPair();
    }
    if (pair === undefined) throw new Error("directed trace: no two arenas to tie");
    this.freePool(this.poolsOf(pair[1])[0] ?? []);
    this.freePool(this.poolsOf(pair[0])[0] ?? []);
  }

  /** Two arenas side by side in usable_arenas with one count of free pools, the second the last with it. */
  private tiedPair(): [number, number] | undefined {
    const order = this.blocks.usableArenaOrder();
    const nf = (i: number) => this.blocks.arena(i)?.nFreePools;
    for (let k = 1; k < order.length; k++) {
      const [prev, last] = [order[k - 1] as number, order[k] as number];
      if (nf(prev) !== nf(last) || (k + 1 < order.length && nf(order[k + 1] as number) === nf(last))) continue;
      if (this.poolsOf(prev).length > 0 && this.poolsOf(last).length > 0) return [prev, last];
    }
    return undefined;
  }

  /** Live IDs of arena `index`, by pool. */
  private poolsOf(index: number): number[][] {
    const pools = new Map<number, number[]>();
    for (const [id, a] of this.address) {
      const pool = this.blocks.pool(a);
      if (pool?.arenaIndex !== index) continue;
      pools.set(pool.address, [...(pools.get(pool.address) ?? []), id]);
    }
    return [...pools.entries()].sort(([x], [y]) => x - y).map(([, ids]) => ids);
  }

  /** Allocates `size`-byte blocks until one comes from a newly allocated arena. */
  mallocUntilNewArena(size: number): void {
    const total = this.blocks.stats().arenasAllocatedTotal;
    while (this.blocks.stats().arenasAllocatedTotal === total) this.malloc(size);
  }

  /** Frees every block of `pool` (an entry of byArena()). */
  freePool(pool: number[]): void {
    for (const id of pool) this.free(id);
  }

  /** Allocates `size`-byte blocks until `n` arenas are full of them. */
  fillArenas(n: number, size: number): void {
    while (this.blocks.stats().arenasAllocatedCurrent <= n) this.malloc(size);
    // The block that opened arena n+1 goes again: arenas 0..n-1 are full.
    const last = this.next - 1;
    this.free(last);
  }

  text(): string {
    return `${this.lines.join("\n")}\n`;
  }
}

/** The directed traces for `profile`: each a name and its text. */
export function directedTraces(profile: Profile): Array<{ name: string; text: string }> {
  const out: Array<{ name: string; text: string }> = [];
  const big = profile.smallRequestThreshold;

  // Ties at k free pools: three full arenas get k free pools each, in the order 2, 0, 1; then allocations
  // (one class, then another) take pools from whichever usable_arenas puts first, and more pools are freed
  // in the arena now first, moving it past the others.
  for (const k of [1, 2, 3]) {
    for (const order of [
      [2, 0, 1],
      [0, 1, 2],
      [1, 2, 0],
    ]) {
      const p = new Planner(`ties at ${k} free pools, freed in arenas ${order.join(",")}`, profile);
      p.fillArenas(3, big);
      const arenas = p.byArena();
      for (const a of order) for (let j = 0; j < k; j++) p.freePool(arenas[a]?.[j] ?? []);
      for (let i = 0; i < 3; i++) p.malloc(16);
      p.malloc(big);
      p.freePool(arenas[order[1] as number]?.[k] ?? []);
      for (let i = 0; i < 2 * k + 1; i++) p.malloc(48 + 16 * i);
      p.lastOfTieMoves();
      out.push({ name: `directed-ties-${k}-${order.join("")}`, text: p.text() });
    }
  }

  // Case 2 among ties: arenas 0 and 1 already have one free pool; then full arena 2 gets one, and a 16-byte
  // block says which arena is first now.
  {
    const p = new Planner("a full arena gets one free pool while others have one", profile);
    p.fillArenas(3, big);
    const arenas = p.byArena();
    p.freePool(arenas[0]?.[5] ?? []);
    p.freePool(arenas[1]?.[5] ?? []);
    p.freePool(arenas[2]?.[5] ?? []);
    p.malloc(16);
    p.freePool(arenas[1]?.[6] ?? []);
    p.malloc(16);
    p.malloc(big);
    out.push({ name: "directed-case2-among-ties", text: p.text() });
  }

  // Whole arenas emptied, in orders that end on each one: released, or (3.9+) kept when it is the last
  // usable one; then new arenas take the freed arena objects' slots.
  for (const order of [
    [0, 1, 2],
    [2, 1, 0],
    [1, 0, 2],
  ]) {
    const p = new Planner(`arenas emptied in the order ${order.join(",")}`, profile);
    p.fillArenas(3, big);
    const arenas = p.byArena();
    for (const a of order) for (const pool of arenas[a] ?? []) p.freePool(pool);
    // Until a new arena is taken: it goes in a released arena's slot.
    p.mallocUntilNewArena(big);
    p.malloc(16);
    out.push({ name: `directed-release-${order.join("")}`, text: p.text() });
  }

  // Empty pools reused: pools of two classes emptied in an interleaved order, then taken by the same class
  // (header and free list kept) and by a new one (initialised again).
  {
    const p = new Planner("empty pools reused for their old class and for another", profile);
    const small: number[] = [];
    const mid: number[] = [];
    for (let i = 0; i < 2000; i++) small.push(p.malloc(32));
    for (let i = 0; i < 600; i++) mid.push(p.malloc(256));
    for (let i = 0; i < small.length; i += 1) if (i % 400 < 300) p.free(small[i] as number);
    for (let i = 0; i < mid.length; i += 1) if (i % 120 < 90) p.free(mid[i] as number);
    for (let i = 0; i < 300; i++) p.malloc(32);
    for (let i = 0; i < 100; i++) p.malloc(400);
    for (let i = 0; i < 100; i++) p.malloc(256);
    // Pools of a class nothing else uses, emptied whole and taken back by it.
    const rare: number[] = [];
    for (let i = 0; i < 400; i++) rare.push(p.malloc(464));
    for (const id of rare) p.free(id);
    for (let i = 0; i < 150; i++) p.malloc(464);
    out.push({ name: "directed-pool-reuse", text: p.text() });
  }
  return out;
}

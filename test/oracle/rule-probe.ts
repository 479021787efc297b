/**
 * Which of pymalloc's ordering rules a trace reaches, judged by watching a
 * replay of it: the proof that a directed trace is aimed at what it says (a
 * trace that never ties two arenas cannot show how ties are ordered).
 */
import { BlockAllocator, type Profile, RawAllocator } from "../../src/index.js";
import { playText } from "./pymalloc-oracle.js";

/** How often each situation arose while the trace played. */
export interface RuleHits {
  /** A pool emptied into an arena, which then had k free pools while another usable arena had k too; by k. */
  tiesAt: Record<number, number>;
  /** A full arena got a free pool (insert_to_freepool case 2)... */
  fullGotPool: number;
  /** ... while another usable arena already had exactly one. */
  fullGotPoolAmongTies: number;
  /** The last of the arenas tied at nf got a pool while its predecessor had nf (nfp2lasta[nf] passes to it). */
  lastOfTieLeft: number;
  /** Wholly free arenas given back. */
  arenasReleased: number;
  /** Wholly free arenas kept (3.9+: the last of usable_arenas). */
  freeArenasKept: number;
  /** New arenas in a slot a released arena left. */
  slotsReused: number;
  /** Empty pools taken again by their old class (free list kept) and by another (set up again). */
  poolsReusedSameClass: number;
  poolsReusedOtherClass: number;
}

function noHits(): RuleHits {
  return {
    tiesAt: {},
    fullGotPool: 0,
    fullGotPoolAmongTies: 0,
    lastOfTieLeft: 0,
    arenasReleased: 0,
    freeArenasKept: 0,
    slotsReused: 0,
    poolsReusedSameClass: 0,
    poolsReusedOtherClass: 0,
  };
}

/** Watches a BlockAllocator's events and tallies RuleHits. */
export class RuleProbe {
  hits = noHits();
  private readonly emptyClass = new Map<number, number>();
  private readonly freedSlots = new Set<number>();
  private checkpoints = 0;
  /** usable_arenas and each one's free pools, as they were before the event being handled. */
  private order: number[] = [];
  private nfs: number[] = [];

  /** `afterStartup`: count from the first checkpoint on (a live recording's first `s` line ends start-up). */
  constructor(private readonly afterStartup = false) {}

  attach(blocks: BlockAllocator): void {
    // pool:empty comes once the pool is in its arena's freepools and usable_arenas is in order again.
    blocks.on("pool:empty", (e) => {
      this.emptyClass.set(e.address, e.sizeClass);
      this.before(e.arenaIndex);
      this.tally(blocks, e.arenaIndex);
      this.refresh(blocks);
    });
    blocks.on("pool:init", (e) => {
      this.refresh(blocks);
      if (!this.emptyClass.delete(e.address)) return;
      if (e.reused) this.hits.poolsReusedSameClass++;
      else this.hits.poolsReusedOtherClass++;
    });
    blocks.on("arena:free", (e) => {
      this.refresh(blocks);
      this.hits.arenasReleased++;
      this.freedSlots.add(e.index);
      for (const [pool] of this.emptyClass) if (blocks.pool(pool) === undefined) this.emptyClass.delete(pool);
    });
    blocks.on("arena:alloc", (e) => {
      this.refresh(blocks);
      if (this.freedSlots.delete(e.index)) this.hits.slotsReused++;
    });
  }

  /** An `s` line: the first ends start-up, whose tallies are not the program's. */
  checkpoint(): void {
    if (this.checkpoints++ === 0 && this.afterStartup) this.hits = noHits();
  }

  private refresh(blocks: BlockAllocator): void {
    this.order = blocks.usableArenaOrder();
    this.nfs = this.order.map((i) => blocks.arena(i)?.nFreePools ?? -1);
  }

  /** Where arena `index` stood before a pool emptied into it. */
  private before(index: number): void {
    const k = this.order.indexOf(index);
    if (k <= 0) return;
    const nf = this.nfs[k];
    if (this.nfs[k - 1] === nf && this.nfs[k + 1] !== nf) this.hits.lastOfTieLeft++;
  }

  /** After a pool emptied into arena `index`: where the arena stands among the usable ones. */
  private tally(blocks: BlockAllocator, index: number): void {
    const arena = blocks.arena(index);
    if (arena === undefined) return; // released: counted by its event
    const nf = arena.nFreePools;
    if (nf === arena.nTotalPools) this.hits.freeArenasKept++;
    const tied = blocks.usableArenaOrder().some((i) => i !== index && blocks.arena(i)?.nFreePools === nf);
    if (nf === 1) {
      this.hits.fullGotPool++;
      if (tied) this.hits.fullGotPoolAmongTies++;
    }
    if (tied) this.hits.tiesAt[nf] = (this.hits.tiesAt[nf] ?? 0) + 1;
  }
}

/** Plays `text` (m, c, r, f and s lines) under `profile` with a RuleProbe watching; what it saw. */
export function probeRules(text: string, profile: Profile): RuleHits {
  const blocks = new BlockAllocator({ raw: new RawAllocator({ maxBytes: 2 ** 31 }), profile });
  const probe = new RuleProbe();
  probe.attach(blocks);
  playText(
    text,
    blocks,
    () => {},
    () => probe.checkpoint(),
  );
  return probe.hits;
}

/**
 * What a directed trace or program named `name` (directed-traces.ts, directed-live.ts) aims at and did not
 * reach under `profile`: empty when every aim was met.
 */
export function missedAims(name: string, hits: RuleHits, profile: Profile): string[] {
  const missed: string[] = [];
  const aim = (ok: boolean, what: string) => {
    if (!ok) missed.push(`${name}: ${what}`);
  };
  const kind = name.replace(/^directed-/, "");
  const ties = kind.match(/^ties(?:-(\d))?/);
  if (ties !== null) {
    const counts = ties[1] !== undefined ? [Number(ties[1])] : [1, 2, 3];
    for (const k of counts) aim((hits.tiesAt[k] ?? 0) > 0, `arenas tied at ${k} free pools`);
    aim(hits.lastOfTieLeft > 0, "the last of tied arenas got a pool (nfp2lasta passed to its predecessor)");
  }
  if (kind === "ties" || kind === "case2-among-ties") {
    aim(hits.fullGotPoolAmongTies > 0, "a full arena got a pool while another had one");
  }
  if (kind.startsWith("release")) {
    aim(hits.arenasReleased > 0, "wholly free arenas released");
    aim(hits.slotsReused > 0, "a released arena's slot taken again");
    // 3.9+ keeps a wholly free arena that is the last usable one; 3.8 releases every one.
    if (profile.keepLastFreeArena) aim(hits.freeArenasKept > 0, "a wholly free arena kept as the last usable one");
    else aim(hits.freeArenasKept === 0, "no wholly free arena kept");
  }
  if (kind === "pool-reuse") {
    aim(hits.poolsReusedSameClass > 0, "empty pools taken by their class");
    aim(hits.poolsReusedOtherClass > 0, "empty pools taken by another class");
  }
  if (missed.length === 0 && ties === null && !/^(case2-among-ties|release|pool-reuse)/.test(kind)) {
    missed.push(`${name}: no aims are known for it`);
  }
  return missed;
}

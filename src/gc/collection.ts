/**
 * A collection's phases, shared by CPython's two collectors: gc_collect_main's
 * core from update_refs to delete_garbage, in CPython's order (update_refs,
 * subtract_refs, move_unreachable; legacy finalizers set aside; weak
 * references cleared and their callbacks run; finalizers, once per object;
 * resurrection handled, 3.8's way or 3.9's; 3.15 clears the weak references
 * without callbacks only here; tp_clear on the rest), plus what
 * both keep: counts, thresholds, statistics, `gc.garbage` and the roots.
 * generational.ts (3.8–3.13 and 3.14.5+) and incremental.ts (3.14.0–3.14.4)
 * decide what to collect and when, and fill in the few steps where they
 * differ.
 *
 * The loops here run once per object of a collection, over PyGC_Head words
 * and slots in simulated memory; subtract_refs, the hottest, reads typed
 * arrays directly, with each object's type read once.
 *
 * @module
 */

import type { Emitter } from "../events.js";
import { userCodeRuns } from "../internal/user-code.js";
import type { CollectorHooks, CollectorView } from "../objects/collector-view.js";
import { OB_ITEM, OB_SIZE, OB_TYPE, type ObjectType } from "../objects/object-type.js";
import { WR_NEXT } from "../objects/weakref-lists.js";
import type { Profile } from "../profiles.js";
import type { GcEvents, GcGenerationStats } from "./gc-events.js";
import {
  FINALIZERS,
  GcLists,
  NUM_GENERATIONS,
  PERMANENT,
  PREV_MASK_COLLECTING,
  PREV_MASK_FINALIZED,
  SEEN,
  STILL_UNREACHABLE,
  WRCB_TO_CALL,
} from "./gc-lists.js";

// What traverse() does to each container an object references: CPython's visitprocs.
/** visit_decref. */
export const VISIT_DECREF = 0;
/** visit_reachable. */
export const VISIT_REACHABLE = 1;
/** visit_move. */
export const VISIT_MOVE = 2;
/** 3.14.0's visit_add_to_container. */
export const VISIT_ADD = 3;

/** Whether the profile's CPython reports a collection's candidates and duration (3.15's gc.get_stats() and info). */
export function reportsCandidates(profile: Profile): boolean {
  return profile.gc === "generational-3.15";
}

/** Milliseconds from a monotonic clock: browsers and Node both have `performance`. */
function now(): number {
  return performance.now();
}

/** What both collectors keep, and the phases they share. */
export abstract class Collection extends GcLists {
  /** gc.get_count()'s counters (3.14.0: the young count, then old[0]'s and old[1]'s). */
  readonly counts = new Int32Array(NUM_GENERATIONS);
  /** gc.get_threshold(). */
  readonly thresholds = new Int32Array(NUM_GENERATIONS);
  /** gc.get_stats(), per generation. */
  readonly stats: GcGenerationStats[] = [];
  /** The objects the current collection's update_refs counted (3.15 reports them as "candidates"). */
  candidates = 0;
  // userCodeRuns() when deduce_unreachable last finished: unchanged, nobody can have referenced its set from outside.
  protected deducedAt = -1;
  /** `gc.garbage`. */
  readonly garbage: number[] = [];
  /** DEBUG_SAVEALL. */
  saveAll = false;
  /** gc.isenabled(). */
  enabled = true;
  /** A collection is under way. */
  collecting = false;
  /** 3.12+: a collection due at allocation, to run once the allocating call completes. */
  protected scheduled = false;
  // The roots: addresses, in the order added, and whether each is a stack (1) or global (0) root.
  rootAddress = new Float64Array(8);
  rootStack = new Uint8Array(8);
  nRoots = 0;

  /** The fields snapshots copy, and the ones they leave (settings, the memory, the layers it is wired to). */
  static readonly stateFields = [
    // Where the list heads are (0 before the gc first needed them): a fork's gc must use the snapshot's.
    "heads",
    "counts",
    "thresholds",
    "stats",
    "candidates",
    "deducedAt",
    "garbage",
    "saveAll",
    "enabled",
    "collecting",
    "scheduled",
    "rootAddress",
    "rootStack",
    "nRoots",
  ];
  static readonly fixedFields = ["u32", "takeBlock", "unreachableMask", "keptNextBits", "view", "profile", "events"];

  constructor(
    /** The objects, as the collector sees them. */
    protected readonly view: CollectorView,
    readonly profile: Profile,
    /** Where events go: the CycleCollector's emitter. */
    protected readonly events: Emitter<GcEvents>,
    unreachableMask: number,
    keptNextBits: number,
  ) {
    // The generation heads are static PyGC_Head structs in CPython; here they take one raw block, when first needed.
    const raw = view.allocator.raw;
    super(view.u32, (size) => raw.malloc(size), unreachableMask, keptNextBits);
    this.thresholds.set(profile.gcThresholds);
    for (let i = 0; i < NUM_GENERATIONS; i++) {
      this.stats.push(
        reportsCandidates(profile)
          ? { collections: 0, collected: 0, uncollectable: 0, candidates: 0, duration: 0 }
          : { collections: 0, collected: 0, uncollectable: 0 },
      );
    }
  }

  // ------------------------------------------------------------ what the collectors decide

  /** _PyObject_GC_Link: a new container's block was allocated. */
  protected abstract link(): void;
  /** _PyObject_GC_TRACK. */
  protected abstract track(g: number): void;
  /** PyObject_GC_Del: a container's memory was freed. */
  protected abstract released(): void;
  /** _Py_RunGC at the safe point after the allocation that scheduled it. */
  protected abstract runScheduled(): void;
  /** gc_collect_main for `generation`. Returns [collected, uncollectable]. */
  protected abstract collectMain(generation: number): [number, number];
  /** gc.get_count(). */
  abstract getCount(): [number, number, number];
  /** gc.freeze(). */
  abstract freeze(): void;
  /** gc.unfreeze(). */
  abstract unfreeze(): void;
  /** GEN_HEAD: the list of `generation` (0–2, 3 for the permanent one). */
  abstract genHead(generation: number): number;
  /** update_refs met an immortal object (3.12+): it leaves the collection. */
  protected abstract setAsideImmortal(g: number): void;
  /** A weak reference whose callback was called survives into `old` (3.14.0: into the visited space). */
  protected abstract survivorJoinsOld(g: number): void;
  /** visit_add_to_container (3.14.0's marking); the generational collector never visits so. */
  protected abstract visitAdd(cg: number, child: number, list: number): void;

  // ------------------------------------------------------------ for the CycleCollector

  /** What the objects tell the collector. */
  hooks(): CollectorHooks {
    return {
      link: () => this.link(),
      track: (address) => this.track(address - 16),
      safePoint: () => {
        if (this.scheduled) this.runScheduled();
      },
      untrack: (address) => this.untrack(address - 16),
      isTracked: (address) => this.next(address - 16) !== 0,
      released: () => this.released(),
    };
  }

  /** gc.collect(generation): 0 while a collection is already running. */
  collect(generation: number): number {
    if (this.collecting) return 0;
    this.collecting = true;
    try {
      return this.collectWithCallback(generation);
    } finally {
      this.collecting = false;
    }
  }

  /** Whether the object at `address` is tracked. */
  isTracked(address: number): boolean {
    return this.next(address - 16) !== 0;
  }

  /** The objects of `generation`'s list, in order. */
  objectsOf(generation: number): number[] {
    const out: number[] = [];
    const h = this.genHead(generation);
    for (let g = this.next(h); g !== h; g = this.next(g)) out.push(g + 16);
    return out;
  }

  /** gc.get_freeze_count(). */
  freezeCount(): number {
    return this.listSize(this.head(PERMANENT));
  }

  /** A collection between gc.callbacks' "start" and "stop", with the errors of the code it runs held. */
  collectWithCallback(generation: number): number {
    // 3.15 adds what the collection examined and how long it took to the info dict and gc.get_stats().
    const more = reportsCandidates(this.profile);
    if (this.events.hasListeners("gc:start")) {
      this.events.emit(
        "gc:start",
        more
          ? { generation, collected: 0, uncollectable: 0, candidates: 0, duration: 0 }
          : { generation, collected: 0, uncollectable: 0 },
      );
    }
    this.view.holdErrors();
    let found: [number, number];
    const started = more ? now() : 0;
    this.candidates = 0;
    try {
      found = this.collectMain(generation);
    } catch (e) {
      this.view.releaseErrors(true);
      throw e;
    }
    const [collected, uncollectable] = found;
    if (more) {
      const duration = (now() - started) / 1000;
      const s = this.stats[generation] as GcGenerationStats;
      s.candidates = (s.candidates ?? 0) + this.candidates;
      s.duration = (s.duration ?? 0) + duration;
      this.view.releaseErrors();
      if (this.events.hasListeners("gc:stop"))
        this.events.emit("gc:stop", { generation, collected, uncollectable, candidates: this.candidates, duration });
    } else {
      this.view.releaseErrors();
      if (this.events.hasListeners("gc:stop")) this.events.emit("gc:stop", { generation, collected, uncollectable });
    }
    return collected + uncollectable;
  }

  /**
   * The rest of a collection once the survivors joined `old`: legacy
   * finalizers, weak references, finalizers, resurrection (3.8's
   * check_garbage or 3.9+'s handle_resurrected_objects), tp_clear.
   * Returns [collected, uncollectable].
   */
  protected handleUnreachable(generation: number, unreachable: number, old: number): [number, number] {
    const finalizers = this.head(FINALIZERS);
    this.listInit(finalizers);
    this.moveLegacyFinalizers(unreachable, finalizers);
    this.moveLegacyFinalizerReachable(finalizers);
    // 3.15 (gh-135552) clears only the weak references with callbacks before finalizers run; the others
    // stay usable by finalizers, and only those to objects still unreachable after them are cleared.
    const late = this.profile.gc === "generational-3.15";
    let collected = this.handleWeakrefs(unreachable, old, late);
    this.phase(generation, late ? "handle_weakref_callbacks" : "handle_weakrefs", unreachable);
    this.finalizeGarbage(unreachable);
    this.phase(generation, "finalize_garbage", unreachable);
    let final = unreachable;
    if (this.profile.gc === "generational-3.8") {
      // 3.8's check_garbage: if a finalizer resurrected anything, the whole set survives.
      if (this.checkGarbage(unreachable)) {
        this.listMerge(unreachable, old);
        this.phase(generation, "check_garbage", unreachable);
        return [collected, this.handleLegacyFinalizers(finalizers, old)];
      }
    } else {
      final = this.head(STILL_UNREACHABLE);
      this.handleResurrected(unreachable, final, old);
    }
    this.phase(generation, "handle_resurrected_objects", final);
    if (late) {
      this.clearWeakrefs(final);
      this.phase(generation, "clear_weakrefs", final);
    }
    collected += this.listSize(final);
    this.deleteGarbage(final, old);
    this.phase(generation, "delete_garbage", final);
    return [collected, this.handleLegacyFinalizers(finalizers, old)];
  }

  /** untrack_tuples: tuple-likes holding only non-containers or untracked tuple-likes leave the gc. */
  protected untrackTuples(head: number): void {
    for (let g = this.next(head); g !== head; ) {
      const next = this.next(g);
      const op = g + 16;
      const t = this.view.typeAt(op);
      if (t.tupleLike && this.mayUntrackTuple(op, t)) this.untrack(g);
      g = next;
    }
  }

  /** untrack_dicts: a full collection's survivors that hold nothing the gc may track leave it (3.8–3.13's dicts). */
  protected untrackDicts(head: number): void {
    for (let g = this.next(head); g !== head; ) {
      const next = this.next(g);
      const op = g + 16;
      if (this.view.untrackInFull(op, this.view.typeAt(op))) this.untrack(g);
      g = next;
    }
  }

  /** _PyTuple_MaybeUntrack's test: no empty slot, and no item that may be tracked. */
  protected mayUntrackTuple(op: number, t: ObjectType): boolean {
    const n = this.view.slotCount(op, t);
    const base = this.view.slotBase(op, t);
    for (let i = 0; i < n; i++) {
      const item = this.word(base + 8 * i);
      if (item === 0) return false;
      const it = this.view.typeAt(item);
      if (!it.container) continue;
      if (!it.tupleLike || this.next(item - 16) !== 0) return false;
    }
    return true;
  }

  /** move_legacy_finalizers: clear the UNREACHABLE marks; objects with tp_del go to `finalizers`. */
  protected moveLegacyFinalizers(unreachable: number, finalizers: number): void {
    for (let g = this.next(unreachable); g !== unreachable; ) {
      this.clearUnreachable(g);
      const next = this.next(g);
      if (this.view.typeAt(g + 16).legacyFinalizer) {
        this.clearPrevFlag(g, PREV_MASK_COLLECTING);
        this.listMove(g, finalizers);
      }
      g = next;
    }
  }

  /** move_legacy_finalizer_reachable: what they reach is uncollectable too. */
  protected moveLegacyFinalizerReachable(finalizers: number): void {
    for (let g = this.next(finalizers); g !== finalizers; g = this.next(g))
      this.traverse(g + 16, VISIT_MOVE, finalizers);
  }

  /** handle_legacy_finalizers: the uncollectable go to `garbage` (all of them with saveAll) and survive. */
  protected handleLegacyFinalizers(finalizers: number, old: number): number {
    let n = 0;
    for (let g = this.next(finalizers); g !== finalizers; g = this.next(g)) {
      n++;
      const op = g + 16;
      if (this.saveAll || this.view.typeAt(op).legacyFinalizer) {
        this.view.incref(op);
        this.garbage.push(op);
      }
    }
    this.listMerge(finalizers, old);
    return n;
  }

  protected finish(generation: number, collected: number, uncollectable: number): [number, number] {
    // Collecting the oldest generation empties the objects' free lists (clear_freelists).
    if (generation === 2) this.view.clearFreeLists();
    const s = this.stats[generation] as GcGenerationStats;
    s.collections++;
    s.collected += collected;
    s.uncollectable += uncollectable;
    return [collected, uncollectable];
  }

  protected phase(generation: number, phase: string, list: number): void {
    if (this.events.hasListeners("gc:phase"))
      this.events.emit("gc:phase", { generation, phase, objects: this.listSize(list) });
  }

  /** deduce_unreachable; returns the candidates update_refs counted. */
  protected deduceUnreachable(base: number, unreachable: number): number {
    const candidates = this.updateRefs(base);
    this.subtractRefs(base);
    this.listInit(unreachable);
    this.moveUnreachable(base, unreachable);
    this.deducedAt = userCodeRuns();
    return candidates;
  }

  /**
   * update_refs: gc_refs = refcount, COLLECTING set (3.12+: immortals go to the permanent generation). Returns the
   * objects it set so, the collection's candidates.
   */
  protected updateRefs(containers: number): number {
    const immortals = this.profile.immortalRefcount !== null;
    let candidates = 0;
    for (let g = this.next(containers); g !== containers; ) {
      const next = this.next(g);
      const op = g + 16;
      if (immortals && this.view.immortal(op)) {
        // 3.12/3.13 keep immortals in the permanent generation; 3.14 untracks them.
        this.setAsideImmortal(g);
        g = next;
        continue;
      }
      // gc_reset_refs: the refcount, COLLECTING, and the FINALIZED bit kept.
      this.setWord(g + 8, this.view.refcount(op) * 4 + (this.prevLow(g) & PREV_MASK_FINALIZED) + PREV_MASK_COLLECTING);
      candidates++;
      g = next;
    }
    return candidates;
  }

  /** subtract_refs: references from inside the set do not keep anything alive. */
  protected subtractRefs(containers: number): void {
    const u32 = this.u32;
    // The loop is bound by cache misses on the referents: the fewer instructions between them, the more
    // of them the CPU has in flight. So the type tables are in hand and each object's type read once.
    const { containerFlags, slotOffsets, fixedSlots } = this.view.typeTables();
    for (let g = this.next(containers); g !== containers; g = this.next(g)) {
      const op = g + 16;
      const type = u32[(op + OB_TYPE) >>> 2] as number;
      const offset = slotOffsets[type] as number;
      if (offset === -2) {
        // A built-in holding references outside slots (a dict): its hooks say where.
        this.traverse(op, VISIT_DECREF, 0);
        continue;
      }
      let n = fixedSlots[type] as number;
      if (n < 0) n = u32[(op + OB_SIZE) >>> 2] as number;
      if (n === 0) continue;
      const base = offset >= 0 ? op + offset : this.word(op + OB_ITEM);
      // visit_decref over the slots; the order does not matter. Object addresses fit a word's low half.
      for (let k = 0, at = base >>> 2; k < n; k++, at += 2) {
        const child = u32[at] as number;
        if (child === 0 || containerFlags[u32[(child + OB_TYPE) >>> 2] as number] !== 1) continue;
        // The child's _gc_prev: gc_refs << 2 | flags.
        const pi = (child - 8) >>> 2;
        const prev = u32[pi] as number;
        if ((prev & PREV_MASK_COLLECTING) === 0) continue;
        if (u32[pi + 1] === 0) u32[pi] = prev - 4;
        else this.setRefs(child - 16, this.refs(child - 16) - 1);
      }
    }
  }

  /**
   * tp_traverse: visits the containers `op` references, in the order its type
   * releases them (slots forward, list and tuple items last first), doing
   * `visit` to each: visit_decref, visit_reachable or visit_move (into `list`).
   */
  protected traverse(op: number, visit: number, list: number): void {
    const t = this.view.typeAt(op);
    if (this.view.hasOwnRefs(t)) {
      // A built-in holding references outside slots (a dict): its hooks say where, in tp_traverse's order.
      for (let k = 0, n = this.view.traverseCount(op, t); k < n; k++) {
        const at = this.view.traverseAt(op, t, k);
        if (at !== 0) this.visitChild(this.word(at), visit, list);
      }
      return;
    }
    const n = this.view.slotCount(op, t);
    if (n === 0) return;
    const base = this.view.slotBase(op, t);
    for (let k = 0; k < n; k++) {
      const i = t.clearOrder === "forward" ? k : n - 1 - k;
      this.visitChild(this.word(base + 8 * i), visit, list);
    }
  }

  /** What tp_traverse's visitproc does to one referenced object. */
  private visitChild(child: number, visit: number, list: number): void {
    if (child === 0 || !this.view.isContainerAt(child)) return;
    const cg = child - 16;
    if (visit === VISIT_DECREF) {
      if (this.isCollecting(cg)) this.setRefs(cg, this.refs(cg) - 1);
    } else if (visit === VISIT_REACHABLE) {
      this.visitReachable(cg, list);
    } else if (visit === VISIT_ADD) {
      this.visitAdd(cg, child, list);
    } else if (this.isCollecting(cg)) {
      this.listMove(cg, list);
      this.clearPrevFlag(cg, PREV_MASK_COLLECTING);
    }
  }

  /** move_unreachable: CPython's single pass with tentatively unreachable objects moved back when reached. */
  protected moveUnreachable(young: number, unreachable: number): void {
    let prev = young;
    let g = this.next(young);
    // The unreachable mark, plus (3.14) the old space of the list, which all its objects share.
    const flags = this.unreachableMask + (this.nextRaw(g) & this.keptNextBits);
    while (g !== young) {
      if (this.refs(g) !== 0) {
        // Traverse before reading g's next: visit_reachable may append to young right after g.
        this.traverse(g + 16, VISIT_REACHABLE, young);
        this.setPrevPointer(g, prev);
        this.clearPrevFlag(g, PREV_MASK_COLLECTING);
        prev = g;
      } else {
        // Tentatively unreachable: unlink (young is singly linked during the pass) and append with the mark.
        this.setNextRaw(prev, this.nextRaw(g));
        const last = this.prev(unreachable);
        this.setNextRaw(last, g + flags);
        this.setPrevPointer(g, last);
        this.setNextRaw(g, unreachable + flags);
        this.setPrevRaw(unreachable, g);
      }
      g = this.next(prev);
    }
    this.setPrevRaw(young, prev);
    this.setNextRaw(young, this.next(young));
    this.setNextRaw(unreachable, this.next(unreachable));
  }

  /** visit_reachable. */
  protected visitReachable(g: number, reachable: number): void {
    if (!this.isCollecting(g)) return;
    const nextRaw = this.nextRaw(g);
    if ((nextRaw & this.unreachableMask) !== 0) {
      // Reached after all: back to the young list, to be scanned again.
      const prev = this.prev(g);
      const next = this.next(g);
      this.setNextRaw(prev, nextRaw);
      this.setNextRaw(g, nextRaw - this.unreachableMask);
      this.setPrevPointer(next, prev);
      this.listAppend(g, reachable);
      this.setRefs(g, 1);
    } else if (this.refs(g) === 0) {
      this.setRefs(g, 1);
    }
  }

  protected clearUnreachableMask(list: number): void {
    for (let g = this.next(list); g !== list; g = this.next(g)) this.clearUnreachable(g);
  }

  protected clearUnreachable(g: number): void {
    const raw = this.nextRaw(g);
    if ((raw & this.unreachableMask) !== 0) this.setNextRaw(g, raw - this.unreachableMask);
  }

  /**
   * handle_weakrefs: clear weak references to the unreachable; call the
   * callbacks of those that survive. With `late` (3.15's
   * handle_weakref_callbacks), only the weak references that have a callback
   * are cleared here, and weak references inside the set are left alone:
   * clearWeakrefs does the rest once finalizers have run.
   */
  protected handleWeakrefs(unreachable: number, old: number, late = false): number {
    const wrcb = this.head(WRCB_TO_CALL);
    this.listInit(wrcb);
    // With no weak reference ever made, the pass would find none.
    if (this.view.weakrefsMade === 0) return 0;
    const weakrefType = this.view.weakrefType;
    for (let g = this.next(unreachable); g !== unreachable; ) {
      const op = g + 16;
      const next = this.next(g);
      const t = this.view.typeAt(op);
      if (late) {
        if (t.weakrefable) this.clearCallbackWeakrefs(op, t, wrcb);
        g = next;
        continue;
      }
      if (t === weakrefType) this.view.clearWeakrefKeepCallback(op);
      if (t.weakrefable) {
        for (let wr = this.view.firstWeakref(op, t); wr !== 0; wr = this.view.firstWeakref(op, t)) {
          this.view.clearWeakrefKeepCallback(wr);
          if (!this.view.hasCallback(wr)) continue;
          if (this.isCollecting(wr - 16)) continue;
          this.view.incref(wr);
          this.listMove(wr - 16, wrcb);
        }
      }
      g = next;
    }
    let freed = 0;
    while (this.next(wrcb) !== wrcb) {
      const g = this.next(wrcb);
      const wr = g + 16;
      this.view.callWeakrefCallback(wr);
      this.view.decref(wr);
      if (this.next(wrcb) === g) {
        this.survivorJoinsOld(g);
        this.listMove(g, old);
      } else {
        freed++;
      }
    }
    return freed;
  }

  /**
   * 3.15: the weak references to `op` that have a callback are cleared, in
   * list order, passing over those without one; a cleared one that is not
   * itself being collected joins `wrcb` (with a reference) to have its
   * callback called.
   */
  private clearCallbackWeakrefs(op: number, t: ObjectType, wrcb: number): void {
    for (let wr = this.view.firstWeakref(op, t); wr !== 0; ) {
      // The next one is read first: clearing unlinks wr from the list.
      const nextWr = this.word(wr + WR_NEXT);
      if (this.view.hasCallback(wr)) {
        this.view.clearWeakrefKeepCallback(wr);
        if (!this.isCollecting(wr - 16)) {
          this.view.incref(wr);
          this.listMove(wr - 16, wrcb);
        }
      }
      wr = nextWr;
    }
  }

  /**
   * 3.15's clear_weakrefs, after resurrected objects left the set: every weak
   * reference that is itself in `final` is cleared, and so is every weak
   * reference to an object in it (those a finalizer made too). Callbacks stay
   * attached but can no longer be called.
   */
  protected clearWeakrefs(final: number): void {
    if (this.view.weakrefsMade === 0) return;
    const weakrefType = this.view.weakrefType;
    for (let g = this.next(final); g !== final; g = this.next(g)) {
      const op = g + 16;
      const t = this.view.typeAt(op);
      if (t === weakrefType) this.view.clearWeakrefKeepCallback(op);
      if (!t.weakrefable) continue;
      for (let wr = this.view.firstWeakref(op, t); wr !== 0; wr = this.view.firstWeakref(op, t)) {
        this.view.clearWeakrefKeepCallback(wr);
      }
    }
  }

  /** finalize_garbage: tp_finalize once per object, the list walked through a `seen` list. */
  protected finalizeGarbage(collectable: number): void {
    const seen = this.head(SEEN);
    this.listInit(seen);
    // With no type that has a finalizer, the walk would call none and leave the list as it was.
    if (this.view.finalizerTypes === 0) return;
    while (this.next(collectable) !== collectable) {
      const g = this.next(collectable);
      const op = g + 16;
      this.listMove(g, seen);
      const t = this.view.typeAt(op);
      if ((this.prevLow(g) & PREV_MASK_FINALIZED) === 0 && t.finalize !== undefined) {
        this.setPrevFlag(g, PREV_MASK_FINALIZED);
        this.view.incref(op);
        this.view.callFinalizer(op, t);
        this.view.decref(op);
      }
    }
    this.listMerge(seen, collectable);
  }

  /** handle_resurrected_objects (3.9+): what finalizers made reachable survives into the old generation. */
  protected handleResurrected(unreachable: number, still: number, old: number): void {
    if (this.unchangedSinceDeduced()) {
      // What deduce_unreachable would find again: all of the set, in its order, gc_refs spent.
      this.listInit(still);
      this.listMerge(unreachable, still);
      return;
    }
    for (let g = this.next(unreachable); g !== unreachable; g = this.next(g)) {
      this.clearPrevFlag(g, PREV_MASK_COLLECTING);
    }
    this.deduceUnreachable(unreachable, still);
    this.clearUnreachableMask(still);
    this.listMerge(unreachable, old);
  }

  /**
   * Whether no user code (finalizer, weakref callback, listener) has run since
   * the unreachable set was found: then every reference to it still comes from
   * inside it, and resurrection checks would find nothing. The set's objects
   * keep their COLLECTING flags and list pointers, as after the checks.
   */
  protected unchangedSinceDeduced(): boolean {
    return userCodeRuns() === this.deducedAt;
  }

  /** 3.8's check_garbage: true when a finalizer resurrected something. */
  protected checkGarbage(collectable: number): boolean {
    if (this.unchangedSinceDeduced()) {
      for (let g = this.next(collectable); g !== collectable; g = this.next(g)) {
        this.clearPrevFlag(g, PREV_MASK_COLLECTING);
      }
      return false;
    }
    for (let g = this.next(collectable); g !== collectable; g = this.next(g)) {
      this.setRefs(g, this.view.refcount(g + 16));
    }
    this.subtractRefs(collectable);
    let resurrected = false;
    let prev = collectable;
    for (let g = this.next(collectable); g !== collectable; g = this.next(g)) {
      if (this.refs(g) !== 0) resurrected = true;
      this.setPrevPointer(g, prev);
      this.clearPrevFlag(g, PREV_MASK_COLLECTING);
      prev = g;
    }
    return resurrected;
  }

  /** delete_garbage: tp_clear each object (or keep it in `garbage`); what survives moves to `old`. */
  protected deleteGarbage(collectable: number, old: number): void {
    while (this.next(collectable) !== collectable) {
      const g = this.next(collectable);
      const op = g + 16;
      if (this.saveAll) {
        this.view.incref(op);
        this.garbage.push(op);
      } else {
        this.view.incref(op);
        this.view.clearObject(op, this.view.typeAt(op));
        this.view.decref(op);
      }
      if (this.next(collectable) === g) {
        this.clearPrevFlag(g, PREV_MASK_COLLECTING);
        this.listMove(g, old);
      }
    }
  }
}

/**
 * CycleCollector: CPython's generational cyclic garbage collector
 * (`Modules/gcmodule.c` of 3.8–3.12, `Python/gc.c` of 3.13) over a
 * RefCounter's objects.
 *
 * The generation lists are threaded through the objects' PyGC_Head words in
 * simulated memory, as CPython threads them: `_gc_next` holds the next
 * PyGC_Head (bit 0: NEXT_MASK_UNREACHABLE during a collection), `_gc_prev` the
 * previous one with FINALIZED (bit 0) and COLLECTING (bit 1) flags, and during
 * a collection the copied reference count (shifted left by 2) instead of the
 * pointer. The list heads themselves are PyGC_Head structs in a raw block.
 *
 * A collection runs CPython's phases in CPython's order: update_refs,
 * subtract_refs, move_unreachable, survivors merged into the next generation,
 * weak references cleared and their callbacks run, finalizers (once per
 * object), resurrection handled (3.9+: resurrected objects and what they reach
 * survive; 3.8: any resurrection keeps the whole unreachable set), tp_clear on
 * the rest, the survivors of that moved on.
 *
 * Types marked `tupleLike` are untracked as CPython untracks tuples; types
 * with a `legacyFinalizer` (tp_del) make themselves and what they reach
 * uncollectable, into `garbage`. Not modelled: dict untracking, free lists,
 * 3.14's incremental collector.
 *
 * @module
 */

import { checkAddress, checkSize } from "../arguments.js";
import { InvalidAddressError } from "../errors.js";
import { Emitter } from "../events.js";
import type { ObjectType } from "../objects/object-type.js";
import { type CollectorHooks, RefCounter } from "../objects/ref-counter.js";
import type { Profile } from "../profiles.js";
import { BlockAllocator } from "../pymalloc/block-allocator.js";

/** Options for {@link CycleCollector}. */
export interface CycleCollectorOptions {
  /** The objects to collect. */
  objects: RefCounter;
  /** The profile (default: the RefCounter's). */
  profile?: Profile;
}

/** What `gc.callbacks` receive, as in CPython. */
export interface GcInfo {
  generation: number;
  collected: number;
  uncollectable: number;
}

/** Per-generation statistics (`gc.get_stats()`). */
export interface GcGenerationStats {
  collections: number;
  collected: number;
  uncollectable: number;
}

/** Events of {@link CycleCollector}. */
export interface GcEvents {
  /** A collection starts (`gc.callbacks` "start"). */
  "gc:start": GcInfo;
  /** A collection ended (`gc.callbacks` "stop"). */
  "gc:stop": GcInfo;
  /** A phase of a collection ended; `objects` is the size of the set it produced. */
  "gc:phase": { generation: number; phase: string; objects: number };
}

const NUM_GENERATIONS = 3;
const NEXT_MASK_UNREACHABLE = 1;
const PREV_MASK_FINALIZED = 1;
const PREV_MASK_COLLECTING = 2;
// List heads in the heads block: the three generations, the permanent one, then work lists.
const PERMANENT = 3;
const UNREACHABLE = 4;
const STILL_UNREACHABLE = 5;
const WRCB_TO_CALL = 6;
const SEEN = 7;
const FINALIZERS = 8;
const HEADS = 9;
// What traverse() does to each container an object references: CPython's visitprocs.
const VISIT_DECREF = 0;
const VISIT_REACHABLE = 1;
const VISIT_MOVE = 2;

/**
 * The cycle collector.
 *
 * @example
 * ```ts
 * import { CycleCollector, RefCounter } from "pymem";
 *
 * const objects = new RefCounter();
 * const gc = new CycleCollector({ objects });
 * const Node = objects.defineType({ name: "Node", slots: 1, container: true });
 * const a = objects.new(Node);
 * objects.setSlot(a, 0, a); // a cycle
 * objects.decref(a); // unreachable, but its refcount is 1
 * console.log(gc.collect()); // 1
 * console.log(objects.isAlive(a)); // false
 * ```
 */
export class CycleCollector extends Emitter<GcEvents> {
  /** The objects collected. */
  readonly objects: RefCounter;
  /** The profile. */
  readonly profile: Profile;
  /** `gc.garbage`: objects kept instead of freed (with `saveAll`); each holds a reference. */
  readonly garbage: number[] = [];
  /** DEBUG_SAVEALL: unreachable objects go to `garbage` instead of being cleared. */
  saveAll = false;

  private readonly u32: Uint32Array;
  private readonly heads: number;
  private readonly counts = new Int32Array(NUM_GENERATIONS);
  private readonly thresholds = new Int32Array(NUM_GENERATIONS);
  private readonly stats: GcGenerationStats[] = [];
  private enabled = true;
  private collecting = false;
  private longLivedTotal = 0;
  private longLivedPending = 0;
  // 3.12+: a collection due at allocation is scheduled and runs once the allocating call completes.
  private scheduled = false;

  constructor(options: CycleCollectorOptions) {
    super();
    if (typeof options !== "object" || options === null || !(options.objects instanceof RefCounter)) {
      throw new TypeError(`options.objects must be a RefCounter, got ${String(options?.objects)}`);
    }
    this.objects = options.objects;
    this.profile = options.profile ?? options.objects.profile;
    if (this.profile.gc === "incremental-3.14") {
      throw new RangeError(
        `${this.profile.name}'s incremental collector is not modelled yet; use cpython-3.13 or older`,
      );
    }
    const a = this.objects.allocator;
    const raw = a instanceof BlockAllocator ? a.raw : a;
    this.u32 = raw.memory.u32;
    // The generation heads are static PyGC_Head structs in CPython; here they take one raw block.
    this.heads = raw.malloc(16 * HEADS);
    for (let i = 0; i < HEADS; i++) this.listInit(this.head(i));
    this.thresholds.set(this.profile.gcThresholds);
    for (let i = 0; i < NUM_GENERATIONS; i++) this.stats.push({ collections: 0, collected: 0, uncollectable: 0 });
    const hooks: CollectorHooks = {
      link: () => this.link(),
      track: (address) => {
        this.listAppend(address - 16, this.head(0));
        if (this.scheduled) this.runScheduled();
      },
      untrack: (address) => this.untrack(address - 16),
      isTracked: (address) => this.next(address - 16) !== 0,
      released: () => {
        if ((this.counts[0] as number) > 0) this.counts[0] = (this.counts[0] as number) - 1;
      },
    };
    this.objects.attachCollector(hooks);
  }

  // ---------------------------------------------------------------- public API

  /**
   * `gc.collect(generation)`: collects generations 0..`generation` and returns
   * the number of unreachable objects found (collected plus uncollectable), as
   * CPython does. 0 while a collection is already running.
   */
  collect(generation = NUM_GENERATIONS - 1): number {
    checkSize(generation, "generation", NUM_GENERATIONS - 1);
    if (this.collecting) return 0;
    this.collecting = true;
    try {
      return this.collectWithCallback(generation);
    } finally {
      this.collecting = false;
    }
  }

  /** `gc.enable()`. */
  enable(): void {
    this.enabled = true;
  }

  /** `gc.disable()`. */
  disable(): void {
    this.enabled = false;
  }

  /** `gc.isenabled()`. */
  isEnabled(): boolean {
    return this.enabled;
  }

  /** `gc.get_count()`. */
  getCount(): [number, number, number] {
    return [this.counts[0] as number, this.counts[1] as number, this.counts[2] as number];
  }

  /** `gc.get_threshold()`. */
  getThreshold(): [number, number, number] {
    return [this.thresholds[0] as number, this.thresholds[1] as number, this.thresholds[2] as number];
  }

  /** `gc.set_threshold(threshold0[, threshold1[, threshold2]])`. */
  setThreshold(...thresholds: number[]): void {
    if (thresholds.length < 1 || thresholds.length > NUM_GENERATIONS) {
      throw new TypeError(`setThreshold takes 1 to 3 thresholds, got ${thresholds.length}`);
    }
    thresholds.forEach((t, i) => {
      checkSize(t, `threshold${i}`, 2 ** 31 - 1);
    });
    thresholds.forEach((t, i) => {
      this.thresholds[i] = t;
    });
  }

  /** `gc.get_stats()`. */
  getStats(): GcGenerationStats[] {
    return this.stats.map((s) => ({ ...s }));
  }

  /** `gc.is_tracked(obj)`. */
  isTracked(address: number): boolean {
    this.checkObject(address);
    return this.objects.typeAt(address).container && this.next(address - 16) !== 0;
  }

  /** `gc.is_finalized(obj)` (3.9+). */
  isFinalized(address: number): boolean {
    return this.objects.isFinalized(address);
  }

  /** `gc.freeze()`: everything tracked moves to the permanent generation, ignored by collections. */
  freeze(): void {
    for (let i = 0; i < NUM_GENERATIONS; i++) {
      this.listMerge(this.head(i), this.head(PERMANENT));
      this.counts[0] = 0;
    }
  }

  /** `gc.unfreeze()`: the permanent generation goes back into the oldest one. */
  unfreeze(): void {
    this.listMerge(this.head(PERMANENT), this.head(NUM_GENERATIONS - 1));
  }

  /** `gc.get_freeze_count()`. */
  getFreezeCount(): number {
    return this.listSize(this.head(PERMANENT));
  }

  /** Tracked objects of `generation` (0–2, or 3 for the permanent one), oldest first. */
  objectsOf(generation: number): number[] {
    checkSize(generation, "generation", PERMANENT);
    const out: number[] = [];
    const h = this.head(generation);
    for (let g = this.next(h); g !== h; g = this.next(g)) out.push(g + 16);
    return out;
  }

  // ---------------------------------------------------------------- the algorithm

  /** _PyObject_GC_Link: count a new container; 3.8–3.11 may collect right here. */
  private link(): void {
    this.counts[0] = (this.counts[0] as number) + 1;
    const t0 = this.thresholds[0] as number;
    if ((this.counts[0] as number) > t0 && this.enabled && t0 !== 0 && !this.collecting) {
      if (this.profile.gc === "generational-3.12") {
        this.scheduled = true;
        return;
      }
      this.collecting = true;
      try {
        this.collectGenerations();
      } finally {
        this.collecting = false;
      }
    }
  }

  /** _Py_RunGC at the safe point after the allocation that scheduled it. */
  private runScheduled(): void {
    this.scheduled = false;
    if (this.collecting) return;
    this.collecting = true;
    try {
      this.collectGenerations();
    } finally {
      this.collecting = false;
    }
  }

  /** gc_collect_generations: the oldest generation over its threshold, with the long-lived heuristic. */
  private collectGenerations(): number {
    for (let i = NUM_GENERATIONS - 1; i >= 0; i--) {
      if ((this.counts[i] as number) > (this.thresholds[i] as number)) {
        if (i === NUM_GENERATIONS - 1 && this.longLivedPending < Math.floor(this.longLivedTotal / 4)) continue;
        return this.collectWithCallback(i);
      }
    }
    return 0;
  }

  private collectWithCallback(generation: number): number {
    if (this.hasListeners("gc:start")) this.emit("gc:start", { generation, collected: 0, uncollectable: 0 });
    this.objects.holdErrors();
    let found: [number, number];
    try {
      found = this.collectMain(generation);
    } catch (e) {
      this.objects.releaseErrors(true);
      throw e;
    }
    this.objects.releaseErrors();
    const [collected, uncollectable] = found;
    if (this.hasListeners("gc:stop")) this.emit("gc:stop", { generation, collected, uncollectable });
    return collected + uncollectable;
  }

  /** gc_collect_main. Returns [collected, uncollectable]. */
  private collectMain(generation: number): [number, number] {
    if (generation + 1 < NUM_GENERATIONS) this.counts[generation + 1] = (this.counts[generation + 1] as number) + 1;
    for (let i = 0; i <= generation; i++) this.counts[i] = 0;
    for (let i = 0; i < generation; i++) this.listMerge(this.head(i), this.head(generation));
    const young = this.head(generation);
    const old = generation < NUM_GENERATIONS - 1 ? this.head(generation + 1) : young;
    const unreachable = this.head(UNREACHABLE);
    this.deduceUnreachable(young, unreachable);
    this.phase(generation, "move_unreachable", unreachable);
    this.untrackTuples(young);
    if (young !== old) {
      if (generation === NUM_GENERATIONS - 2) this.longLivedPending += this.listSize(young);
      this.listMerge(young, old);
    } else {
      this.longLivedPending = 0;
      this.longLivedTotal = this.listSize(young);
    }
    const finalizers = this.head(FINALIZERS);
    this.listInit(finalizers);
    this.moveLegacyFinalizers(unreachable, finalizers);
    this.moveLegacyFinalizerReachable(finalizers);
    let m = this.handleWeakrefs(unreachable, old);
    this.phase(generation, "handle_weakrefs", unreachable);
    this.finalizeGarbage(unreachable);
    this.phase(generation, "finalize_garbage", unreachable);
    let final = unreachable;
    if (this.profile.gc === "generational-3.8") {
      // 3.8's check_garbage: if a finalizer resurrected anything, the whole set survives.
      if (this.checkGarbage(unreachable)) {
        this.listMerge(unreachable, old);
        this.phase(generation, "check_garbage", unreachable);
        return this.finish(generation, m, this.handleLegacyFinalizers(finalizers, old));
      }
    } else {
      final = this.head(STILL_UNREACHABLE);
      this.handleResurrected(unreachable, final, old);
    }
    this.phase(generation, "handle_resurrected_objects", final);
    m += this.listSize(final);
    this.deleteGarbage(final, old);
    this.phase(generation, "delete_garbage", final);
    return this.finish(generation, m, this.handleLegacyFinalizers(finalizers, old));
  }

  /** untrack_tuples: tuple-likes holding only non-containers or untracked tuple-likes leave the gc. */
  private untrackTuples(head: number): void {
    for (let g = this.next(head); g !== head; ) {
      const next = this.next(g);
      const op = g + 16;
      const t = this.objects.typeAt(op);
      if (t.tupleLike && this.mayUntrackTuple(op, t)) this.untrack(g);
      g = next;
    }
  }

  /** _PyTuple_MaybeUntrack's test: no empty slot, and no item that may be tracked. */
  private mayUntrackTuple(op: number, t: ObjectType): boolean {
    const n = this.objects.slotCountOf(op, t);
    const base = this.objects.slotBaseOf(op, t);
    for (let i = 0; i < n; i++) {
      const item = this.word(base + 8 * i);
      if (item === 0) return false;
      const it = this.objects.typeAt(item);
      if (!it.container) continue;
      if (!it.tupleLike || this.next(item - 16) !== 0) return false;
    }
    return true;
  }

  /** move_legacy_finalizers: clear the UNREACHABLE marks; objects with tp_del go to `finalizers`. */
  private moveLegacyFinalizers(unreachable: number, finalizers: number): void {
    for (let g = this.next(unreachable); g !== unreachable; ) {
      this.setNextRaw(g, this.nextRaw(g) & ~NEXT_MASK_UNREACHABLE);
      const next = this.next(g);
      if (this.objects.typeAt(g + 16).legacyFinalizer) {
        this.setPrevRaw(g, this.prevRaw(g) & ~PREV_MASK_COLLECTING);
        this.listMove(g, finalizers);
      }
      g = next;
    }
  }

  /** move_legacy_finalizer_reachable: what they reach is uncollectable too. */
  private moveLegacyFinalizerReachable(finalizers: number): void {
    for (let g = this.next(finalizers); g !== finalizers; g = this.next(g))
      this.traverse(g + 16, VISIT_MOVE, finalizers);
  }

  /** handle_legacy_finalizers: the uncollectable go to `garbage` (all of them with saveAll) and survive. */
  private handleLegacyFinalizers(finalizers: number, old: number): number {
    let n = 0;
    for (let g = this.next(finalizers); g !== finalizers; g = this.next(g)) {
      n++;
      const op = g + 16;
      if (this.saveAll || this.objects.typeAt(op).legacyFinalizer) {
        this.objects.increfRaw(op);
        this.garbage.push(op);
      }
    }
    this.listMerge(finalizers, old);
    return n;
  }

  private finish(generation: number, collected: number, uncollectable: number): [number, number] {
    const s = this.stats[generation] as GcGenerationStats;
    s.collections++;
    s.collected += collected;
    s.uncollectable += uncollectable;
    return [collected, uncollectable];
  }

  private phase(generation: number, phase: string, list: number): void {
    if (this.hasListeners("gc:phase")) this.emit("gc:phase", { generation, phase, objects: this.listSize(list) });
  }

  private deduceUnreachable(base: number, unreachable: number): void {
    this.updateRefs(base);
    this.subtractRefs(base);
    this.listInit(unreachable);
    this.moveUnreachable(base, unreachable);
  }

  /** update_refs: gc_refs = refcount, COLLECTING set (3.12+: immortals go to the permanent generation). */
  private updateRefs(containers: number): void {
    const immortals = this.profile.immortalRefcount !== null;
    for (let g = this.next(containers); g !== containers; ) {
      const next = this.next(g);
      const op = g + 16;
      if (immortals && this.objects.immortalAt(op)) {
        this.listMove(g, this.head(PERMANENT));
        g = next;
        continue;
      }
      this.setPrevRaw(g, (this.prevRaw(g) & PREV_MASK_FINALIZED) | PREV_MASK_COLLECTING);
      this.setRefs(g, this.objects.refcountOf(op));
      g = next;
    }
  }

  /** subtract_refs: references from inside the set do not keep anything alive. */
  private subtractRefs(containers: number): void {
    for (let g = this.next(containers); g !== containers; g = this.next(g)) this.traverse(g + 16, VISIT_DECREF, 0);
  }

  /**
   * tp_traverse: visits the containers `op` references, in the order its type
   * releases them (slots forward, list and tuple items last first), doing
   * `visit` to each: visit_decref, visit_reachable or visit_move (into `list`).
   */
  private traverse(op: number, visit: number, list: number): void {
    const t = this.objects.typeAt(op);
    const n = this.objects.slotCountOf(op, t);
    if (n === 0) return;
    const base = this.objects.slotBaseOf(op, t);
    for (let k = 0; k < n; k++) {
      const i = t.clearOrder === "forward" ? k : n - 1 - k;
      const child = this.word(base + 8 * i);
      if (child === 0 || !this.objects.typeAt(child).container) continue;
      const cg = child - 16;
      if (visit === VISIT_DECREF) {
        if (this.isCollecting(cg)) this.setRefs(cg, this.refs(cg) - 1);
      } else if (visit === VISIT_REACHABLE) {
        this.visitReachable(cg, list);
      } else if (this.isCollecting(cg)) {
        this.listMove(cg, list);
        this.setPrevRaw(cg, this.prevRaw(cg) & ~PREV_MASK_COLLECTING);
      }
    }
  }

  /** move_unreachable: CPython's single pass with tentatively unreachable objects moved back when reached. */
  private moveUnreachable(young: number, unreachable: number): void {
    let prev = young;
    let g = this.next(young);
    while (g !== young) {
      if (this.refs(g) !== 0) {
        // Traverse before reading g's next: visit_reachable may append to young right after g.
        this.traverse(g + 16, VISIT_REACHABLE, young);
        this.setPrevPointer(g, prev);
        this.setPrevRaw(g, this.prevRaw(g) & ~PREV_MASK_COLLECTING);
        prev = g;
      } else {
        // Tentatively unreachable: unlink (young is singly linked during the pass) and append with the mark.
        this.setNextRaw(prev, this.nextRaw(g));
        const last = this.prev(unreachable);
        this.setNextRaw(last, g | NEXT_MASK_UNREACHABLE);
        this.setPrevPointer(g, last);
        this.setNextRaw(g, unreachable | NEXT_MASK_UNREACHABLE);
        this.setPrevRaw(unreachable, g);
      }
      g = this.nextRaw(prev);
    }
    this.setPrevRaw(young, prev);
    this.setNextRaw(unreachable, this.nextRaw(unreachable) & ~NEXT_MASK_UNREACHABLE);
  }

  /** visit_reachable. */
  private visitReachable(g: number, reachable: number): void {
    if (!this.isCollecting(g)) return;
    const nextRaw = this.nextRaw(g);
    if ((nextRaw & NEXT_MASK_UNREACHABLE) !== 0) {
      // Reached after all: back to the young list, to be scanned again.
      const prev = this.prev(g);
      const next = nextRaw & ~NEXT_MASK_UNREACHABLE;
      this.setNextRaw(prev, nextRaw);
      this.setPrevPointer(next, prev);
      this.listAppend(g, reachable);
      this.setRefs(g, 1);
    } else if (this.refs(g) === 0) {
      this.setRefs(g, 1);
    }
  }

  private clearUnreachableMask(list: number): void {
    for (let g = this.next(list); g !== list; g = this.next(g)) {
      this.setNextRaw(g, this.nextRaw(g) & ~NEXT_MASK_UNREACHABLE);
    }
  }

  /** handle_weakrefs: clear weak references to the unreachable; call the callbacks of those that survive. */
  private handleWeakrefs(unreachable: number, old: number): number {
    const wrcb = this.head(WRCB_TO_CALL);
    this.listInit(wrcb);
    const weakrefType = this.objects.weakrefType;
    for (let g = this.next(unreachable); g !== unreachable; ) {
      const op = g + 16;
      const next = this.next(g);
      const t = this.objects.typeAt(op);
      if (t === weakrefType) this.objects.clearWeakrefKeepCallback(op);
      if (t.weaklistOffset >= 0) {
        for (let wr = this.objects.firstWeakref(op, t); wr !== 0; wr = this.objects.firstWeakref(op, t)) {
          this.objects.clearWeakrefKeepCallback(wr);
          if (!this.objects.hasCallback(wr)) continue;
          if (this.isCollecting(wr - 16)) continue;
          this.objects.increfRaw(wr);
          this.listMove(wr - 16, wrcb);
        }
      }
      g = next;
    }
    let freed = 0;
    while (this.next(wrcb) !== wrcb) {
      const g = this.next(wrcb);
      const wr = g + 16;
      this.objects.callWeakrefCallback(wr);
      this.objects.decrefRaw(wr);
      if (this.next(wrcb) === g) this.listMove(g, old);
      else freed++;
    }
    return freed;
  }

  /** finalize_garbage: tp_finalize once per object, the list walked through a `seen` list. */
  private finalizeGarbage(collectable: number): void {
    const seen = this.head(SEEN);
    this.listInit(seen);
    while (this.next(collectable) !== collectable) {
      const g = this.next(collectable);
      const op = g + 16;
      this.listMove(g, seen);
      const t = this.objects.typeAt(op);
      if ((this.prevRaw(g) & PREV_MASK_FINALIZED) === 0 && t.finalize !== undefined) {
        this.setPrevRaw(g, this.prevRaw(g) | PREV_MASK_FINALIZED);
        this.objects.increfRaw(op);
        this.objects.callFinalizer(op, t);
        this.objects.decrefRaw(op);
      }
    }
    this.listMerge(seen, collectable);
  }

  /** handle_resurrected_objects (3.9+): what finalizers made reachable survives into the old generation. */
  private handleResurrected(unreachable: number, still: number, old: number): void {
    for (let g = this.next(unreachable); g !== unreachable; g = this.next(g)) {
      this.setPrevRaw(g, this.prevRaw(g) & ~PREV_MASK_COLLECTING);
    }
    this.deduceUnreachable(unreachable, still);
    this.clearUnreachableMask(still);
    this.listMerge(unreachable, old);
  }

  /** 3.8's check_garbage: true when a finalizer resurrected something. */
  private checkGarbage(collectable: number): boolean {
    for (let g = this.next(collectable); g !== collectable; g = this.next(g)) {
      this.setRefs(g, this.objects.refcountOf(g + 16));
    }
    this.subtractRefs(collectable);
    let resurrected = false;
    let prev = collectable;
    for (let g = this.next(collectable); g !== collectable; g = this.next(g)) {
      if (this.refs(g) !== 0) resurrected = true;
      this.setPrevPointer(g, prev);
      this.setPrevRaw(g, this.prevRaw(g) & ~PREV_MASK_COLLECTING);
      prev = g;
    }
    return resurrected;
  }

  /** delete_garbage: tp_clear each object (or keep it in `garbage`); what survives moves to `old`. */
  private deleteGarbage(collectable: number, old: number): void {
    while (this.next(collectable) !== collectable) {
      const g = this.next(collectable);
      const op = g + 16;
      if (this.saveAll) {
        this.objects.increfRaw(op);
        this.garbage.push(op);
      } else {
        this.objects.increfRaw(op);
        this.objects.clearObject(op, this.objects.typeAt(op));
        this.objects.decrefRaw(op);
      }
      if (this.next(collectable) === g) {
        this.setPrevRaw(g, this.prevRaw(g) & ~PREV_MASK_COLLECTING);
        this.listMove(g, old);
      }
    }
  }

  // ---------------------------------------------------------------- PyGC_Head words

  private head(i: number): number {
    return this.heads + 16 * i;
  }

  private word(at: number): number {
    const i = at >>> 2;
    return (this.u32[i] as number) + (this.u32[i + 1] as number) * 0x1_0000_0000;
  }

  private setWord(at: number, v: number): void {
    const i = at >>> 2;
    this.u32[i] = v >>> 0;
    this.u32[i + 1] = Math.floor(v / 0x1_0000_0000);
  }

  private nextRaw(g: number): number {
    return this.word(g);
  }

  private setNextRaw(g: number, v: number): void {
    this.setWord(g, v);
  }

  private next(g: number): number {
    return this.word(g) - (this.word(g) & NEXT_MASK_UNREACHABLE);
  }

  private prevRaw(g: number): number {
    return this.word(g + 8);
  }

  private setPrevRaw(g: number, v: number): void {
    this.setWord(g + 8, v);
  }

  private prev(g: number): number {
    const v = this.word(g + 8);
    return v - (v % 4);
  }

  /** _PyGCHead_SET_PREV: the pointer, keeping the flag bits. */
  private setPrevPointer(g: number, p: number): void {
    this.setWord(g + 8, p + (this.word(g + 8) % 4));
  }

  private refs(g: number): number {
    return Math.floor(this.word(g + 8) / 4);
  }

  private setRefs(g: number, refs: number): void {
    this.setWord(g + 8, (this.word(g + 8) % 4) + refs * 4);
  }

  private isCollecting(g: number): boolean {
    return (this.word(g + 8) & PREV_MASK_COLLECTING) !== 0;
  }

  private listInit(h: number): void {
    this.setWord(h, h);
    this.setWord(h + 8, h);
  }

  /** gc_list_append: at the tail, keeping the node's flag bits. */
  private listAppend(g: number, list: number): void {
    const last = this.prev(list);
    this.setNextRaw(last, g);
    this.setPrevPointer(g, last);
    this.setNextRaw(g, list);
    this.setWord(list + 8, g);
  }

  private unlink(g: number): void {
    const prev = this.prev(g);
    const next = this.next(g);
    this.setNextRaw(prev, next);
    this.setPrevPointer(next, prev);
  }

  private untrack(g: number): void {
    this.unlink(g);
    this.setNextRaw(g, 0);
    this.setPrevRaw(g, this.prevRaw(g) & PREV_MASK_FINALIZED);
  }

  private listMove(g: number, list: number): void {
    this.unlink(g);
    this.listAppend(g, list);
  }

  /** gc_list_merge: `from` spliced onto the tail of `to`; `from` left empty. */
  private listMerge(from: number, to: number): void {
    if (this.next(from) === from) return;
    const toTail = this.prev(to);
    const fromHead = this.next(from);
    const fromTail = this.prev(from);
    this.setNextRaw(toTail, fromHead);
    this.setPrevPointer(fromHead, toTail);
    this.setNextRaw(fromTail, to);
    this.setWord(to + 8, fromTail);
    this.listInit(from);
  }

  private listSize(list: number): number {
    let n = 0;
    for (let g = this.next(list); g !== list; g = this.next(g)) n++;
    return n;
  }

  private checkObject(address: number): void {
    checkAddress(address);
    if (!this.objects.isAlive(address)) throw new InvalidAddressError(address, "not a live object");
  }
}

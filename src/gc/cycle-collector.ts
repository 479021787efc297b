/**
 * CycleCollector: CPython's cyclic garbage collector over a RefCounter's
 * objects: the generational one (`Modules/gcmodule.c` of 3.8–3.12,
 * `Python/gc.c` of 3.13) and 3.14.0–3.14.4's incremental one (`Python/gc.c`).
 *
 * The generation lists are threaded through the objects' PyGC_Head words in
 * simulated memory, as CPython threads them: `_gc_next` holds the next
 * PyGC_Head (bit 0: NEXT_MASK_UNREACHABLE during a collection; 3.14: the old
 * space, with the unreachable mark in bit 1), `_gc_prev` the
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
 * uncollectable, into `garbage`.
 *
 * 3.14's incremental collector keeps a young list and two old "spaces", one
 * visited and one pending, told apart by bit 0 of `_gc_next` (the unreachable
 * mark moves to bit 1). `collect(0)` collects the young list into the visited
 * space; `collect(1)` is one increment: the first of a cycle only marks what is
 * reachable from the roots ({@link CycleCollector.addRoot}), later ones collect
 * the young list plus enough of the pending space (each object with everything
 * it reaches) to cover the work owed; `collect(2)` collects everything. Not
 * modelled: dict untracking, free lists.
 *
 * @module
 */

import { checkAddress, checkSize } from "../arguments.js";
import { InvalidAddressError } from "../errors.js";
import { Emitter } from "../events.js";
import { OB_ITEM, OB_SIZE, OB_TYPE, type ObjectType } from "../objects/object-type.js";
import { type CollectorHooks, RefCounter } from "../objects/ref-counter.js";
import type { Profile } from "../profiles.js";
import { BlockAllocator } from "../pymalloc/block-allocator.js";
import { grown } from "../typed-arrays.js";

/** Options for {@link CycleCollector}. */
export interface CycleCollectorOptions {
  /** The objects to collect. */
  objects: RefCounter;
  /** The profile (default: the RefCounter's). */
  profile?: Profile;
  /**
   * 3.14: garbage-collected objects that exist outside the simulation (the
   * interpreter's own), counted in CPython's `heap_size`, which scales the
   * work of each increment. Default 0.
   */
  heapSize?: number;
}

/**
 * Where a root's reference lives, for 3.14's marking: an interpreter global
 * (sys, builtins: marked when a cycle starts) or a frame's locals (marked when
 * a cycle starts and again at every increment, as CPython rescans the current
 * frame).
 */
export type RootKind = "global" | "stack";

/** What `gc.callbacks` receive, as in CPython. */
export interface GcInfo {
  /** The info dict's "generation": the generation collected (3.14: 0 young, 1 an increment, 2 a full collection). */
  generation: number;
  /** The info dict's "collected": objects found unreachable and collected; 0 at "start". */
  collected: number;
  /** The info dict's "uncollectable": objects kept by legacy finalizers (tp_del) and what they reach; 0 at "start". */
  uncollectable: number;
}

/** Per-generation statistics (`gc.get_stats()`). */
export interface GcGenerationStats {
  /** `gc.get_stats()`' "collections": how many times this generation was collected. */
  collections: number;
  /** `gc.get_stats()`' "collected": objects its collections collected, in total. */
  collected: number;
  /** `gc.get_stats()`' "uncollectable": objects its collections found uncollectable, in total. */
  uncollectable: number;
}

/** Events of {@link CycleCollector}. */
export interface GcEvents {
  /** A collection starts (`gc.callbacks` "start"). */
  "gc:start": GcInfo;
  /** A collection ended (`gc.callbacks` "stop"). */
  "gc:stop": GcInfo;
  /** A phase of a collection ended; `objects` is the size of the set it produced. */
  "gc:phase": {
    /** The generation being collected, as in {@link GcInfo.generation}. */
    generation: number;
    /** The CPython function of the phase that ended ("move_unreachable", "delete_garbage", ...; 3.14 adds "mark", "increment"). */
    phase: string;
    /** Objects in the set the phase produced (for "mark", the objects marked from the roots). */
    objects: number;
  };
}

const NUM_GENERATIONS = 3;
const PREV_MASK_FINALIZED = 1;
const PREV_MASK_COLLECTING = 2;
// 3.14: bit 0 of _gc_next tells the old space (_PyGC_NEXT_MASK_OLD_SPACE_1).
const OLD_SPACE_1 = 1;
// List heads in the heads block: the three generations (3.14: young, old[0], old[1]), the permanent one,
// then work lists.
const PERMANENT = 3;
const UNREACHABLE = 4;
const STILL_UNREACHABLE = 5;
const WRCB_TO_CALL = 6;
const SEEN = 7;
const FINALIZERS = 8;
const INCREMENT = 9;
const SURVIVORS = 10;
const REACHABLE = 11;
const HEADS = 12;
// What traverse() does to each container an object references: CPython's visitprocs.
const VISIT_DECREF = 0;
const VISIT_REACHABLE = 1;
const VISIT_MOVE = 2;
const VISIT_ADD = 3;
// 3.14's gc phases: a cycle starts by marking from the roots, then collects increments.
const PHASE_MARK = 0;
const PHASE_COLLECT = 1;
// SCAN_RATE_DIVISOR: an increment scans heap_size / 10 / threshold1 objects beyond the new ones.
const SCAN_RATE_DIVISOR = 10;

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
  // 3.14's incremental collector.
  private readonly incremental: boolean;
  // NEXT_MASK_UNREACHABLE: bit 0 of _gc_next in 3.8–3.13, bit 1 in 3.14 (bit 0 is the old space).
  private readonly unreachableMask: number;
  // The _gc_next flag bits _PyGCHead_SET_NEXT keeps: the old-space bit in 3.14, none before.
  private readonly keptNextBits: number;
  // gcstate->visited_space, phase, work_to_do, heap_size.
  private visitedSpace = 0;
  private gcPhase = PHASE_MARK;
  private workToDo = 0;
  private heapSize = 0;
  // The roots: addresses, in the order added, and whether each is a stack (1) or global (0) root.
  private rootAddress = new Float64Array(8);
  private rootStack = new Uint8Array(8);
  private nRoots = 0;
  // visit_add_to_container's count.
  private added = 0;

  constructor(options: CycleCollectorOptions) {
    super();
    if (typeof options !== "object" || options === null || !(options.objects instanceof RefCounter)) {
      throw new TypeError(`options.objects must be a RefCounter, got ${String(options?.objects)}`);
    }
    this.objects = options.objects;
    this.profile = options.profile ?? options.objects.profile;
    this.incremental = this.profile.gc === "incremental-3.14";
    this.unreachableMask = this.incremental ? 2 : 1;
    this.keptNextBits = this.incremental ? OLD_SPACE_1 : 0;
    if (options.heapSize !== undefined) this.heapSize = checkSize(options.heapSize, "options.heapSize");
    // Refused before anything is allocated: a failed constructor leaves the heap as it was.
    if (this.objects.hasCollector()) throw new TypeError("this RefCounter already has a CycleCollector");
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
      track: (address) => this.track(address - 16),
      safePoint: () => {
        if (this.scheduled) this.runScheduled();
      },
      untrack: (address) => this.untrack(address - 16),
      isTracked: (address) => this.next(address - 16) !== 0,
      released: () => {
        // 3.14 counts tracking instead (the object was untracked just before).
        if (!this.incremental && (this.counts[0] as number) > 0) this.counts[0] = (this.counts[0] as number) - 1;
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

  /** `gc.get_count()` (3.14: the young count, then the visited and pending spaces' young collections). */
  getCount(): [number, number, number] {
    if (this.incremental) {
      const v = this.visitedSpace;
      return [this.counts[0] as number, this.counts[1 + v] as number, this.counts[2 - v] as number];
    }
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

  /** @internal Whether a collection is under way (a finalizer or callback is running inside one). */
  inCollection(): boolean {
    return this.collecting;
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
    if (this.incremental) {
      // The permanent generation counts as visited, so marking never enters it.
      const v = this.visitedSpace;
      this.setSpaceOfList(this.head(0), v);
      this.listMerge(this.head(0), this.head(PERMANENT));
      this.counts[0] = 0;
      this.setSpaceOfList(this.head(1 + (v ^ 1)), v);
      this.listMerge(this.head(1), this.head(PERMANENT));
      this.counts[1] = 0;
      this.listMerge(this.head(2), this.head(PERMANENT));
      this.counts[2] = 0;
      return;
    }
    for (let i = 0; i < NUM_GENERATIONS; i++) {
      this.listMerge(this.head(i), this.head(PERMANENT));
      this.counts[0] = 0;
    }
  }

  /** `gc.unfreeze()`: the permanent generation goes back into the oldest one (3.14: the visited space). */
  unfreeze(): void {
    const to = this.incremental ? this.head(1 + this.visitedSpace) : this.head(NUM_GENERATIONS - 1);
    this.listMerge(this.head(PERMANENT), to);
  }

  /** `gc.get_freeze_count()`. */
  getFreezeCount(): number {
    return this.listSize(this.head(PERMANENT));
  }

  /**
   * Tracked objects of `generation` (0–2, or 3 for the permanent one), in list
   * order. In 3.14, 1 is the visited old space and 2 the pending one.
   */
  objectsOf(generation: number): number[] {
    checkSize(generation, "generation", PERMANENT);
    const out: number[] = [];
    const h = this.genHead(generation);
    for (let g = this.next(h); g !== h; g = this.next(g)) out.push(g + 16);
    return out;
  }

  /**
   * Registers a root: a reference held by an interpreter global (`"global"`)
   * or by a frame's locals (`"stack"`). The root takes a reference of its own
   * (as storing into a local does) until {@link CycleCollector.removeRoot}.
   * 3.14's incremental collector marks everything reachable from the roots
   * when a cycle starts (stack roots also at every increment), in CPython's
   * order: global roots in the order added, then stack roots from the last
   * added (the top of the frame) down. The generational collectors need no
   * roots; there a root is simply a reference.
   */
  addRoot(address: number, kind: RootKind = "global"): void {
    this.checkObject(address);
    if (kind !== "global" && kind !== "stack") {
      throw new RangeError(`kind must be "global" or "stack", got ${JSON.stringify(kind)}`);
    }
    if (this.nRoots === this.rootAddress.length) {
      this.rootAddress = grown(this.rootAddress, this.nRoots * 2);
      this.rootStack = grown(this.rootStack, this.nRoots * 2);
    }
    this.objects.incref(address);
    this.rootAddress[this.nRoots] = address;
    this.rootStack[this.nRoots] = kind === "stack" ? 1 : 0;
    this.nRoots++;
  }

  /** Removes the most recently added root on `address` and releases its reference (which may free it). */
  removeRoot(address: number): void {
    checkAddress(address);
    let i = this.nRoots - 1;
    while (i >= 0 && this.rootAddress[i] !== address) i--;
    if (i < 0) throw new InvalidAddressError(address, "not a root");
    this.rootAddress.copyWithin(i, i + 1, this.nRoots);
    this.rootStack.copyWithin(i, i + 1, this.nRoots);
    this.nRoots--;
    this.objects.decref(address);
  }

  /** The roots, in the order added. */
  roots(): Array<{
    /** The object the root references. */
    address: number;
    /** Whether an interpreter global or a frame's locals hold the reference. */
    kind: RootKind;
  }> {
    const out: Array<{ address: number; kind: RootKind }> = [];
    for (let i = 0; i < this.nRoots; i++) {
      out.push({ address: this.rootAddress[i] as number, kind: this.rootStack[i] === 1 ? "stack" : "global" });
    }
    return out;
  }

  // ---------------------------------------------------------------- the algorithm

  /** _PyObject_GC_TRACK: at the young list's tail; 3.14 counts tracked objects here and may schedule a collection. */
  private track(g: number): void {
    this.listAppend(g, this.head(0));
    if (!this.incremental) return;
    // New objects are in the pending (not visited) space.
    this.setSpace(g, this.visitedSpace ^ 1);
    this.counts[0] = (this.counts[0] as number) + 1;
    this.heapSize++;
    const t0 = this.thresholds[0] as number;
    if ((this.counts[0] as number) > t0 && this.enabled && t0 !== 0 && !this.collecting) this.scheduled = true;
  }

  /** _PyObject_GC_Link: count a new container (3.8–3.13); 3.8–3.11 may collect right here. */
  private link(): void {
    if (this.incremental) return;
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

  /** _Py_RunGC at the safe point after the allocation that scheduled it (3.14: one increment). */
  private runScheduled(): void {
    this.scheduled = false;
    if (this.collecting) return;
    if (this.incremental && !this.enabled) return;
    this.collecting = true;
    try {
      if (this.incremental) this.collectWithCallback(1);
      else this.collectGenerations();
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
    if (this.incremental) {
      if (generation === 0) return this.collectYoung();
      if (generation === 1) return this.collectIncrement();
      return this.collectFull();
    }
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
    const [collected, uncollectable] = this.handleUnreachable(generation, unreachable, old);
    return this.finish(generation, collected, uncollectable);
  }

  /**
   * The rest of a collection once the survivors joined `old`: legacy
   * finalizers, weak references, finalizers, resurrection (3.8's
   * check_garbage or 3.9+'s handle_resurrected_objects), tp_clear.
   * Returns [collected, uncollectable].
   */
  private handleUnreachable(generation: number, unreachable: number, old: number): [number, number] {
    const finalizers = this.head(FINALIZERS);
    this.listInit(finalizers);
    this.moveLegacyFinalizers(unreachable, finalizers);
    this.moveLegacyFinalizerReachable(finalizers);
    let collected = this.handleWeakrefs(unreachable, old);
    this.phase(generation, "handle_weakrefs", unreachable);
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
    collected += this.listSize(final);
    this.deleteGarbage(final, old);
    this.phase(generation, "delete_garbage", final);
    return [collected, this.handleLegacyFinalizers(finalizers, old)];
  }

  // ---------------------------------------------------------------- 3.14: the incremental collector

  /** gc_collect_young: the young list, collected into the visited space. */
  private collectYoung(): [number, number] {
    const young = this.head(0);
    this.untrackTuples(young);
    const survivors = this.head(SURVIVORS);
    this.listInit(survivors);
    this.setSpaceOfList(young, this.visitedSpace);
    const found = this.collectRegion(0, young, survivors);
    this.listMerge(survivors, this.head(1 + this.visitedSpace));
    this.counts[0] = 0;
    const visitedCount = 1 + this.visitedSpace;
    this.counts[visitedCount] = (this.counts[visitedCount] as number) + 1;
    return this.finish(0, found[0], found[1]);
  }

  /**
   * gc_collect_increment: the work owed grows with the new objects and the
   * heap; a cycle's first increment only marks from the roots, later ones
   * collect the young list plus pending objects (each with what it reaches)
   * until the work is covered; the cycle ends when the pending space is empty.
   */
  private collectIncrement(): [number, number] {
    this.workToDo += this.assessWorkToDo();
    // Still ahead of the work owed: nothing to do this time (the young objects stay young, no stats).
    if (this.workToDo < 0) return [0, 0];
    this.untrackTuples(this.head(0));
    if (this.gcPhase === PHASE_MARK) {
      // CPython subtracts the marked objects twice: in mark_at_start and here.
      const marked = this.markAtStart();
      this.workToDo -= marked;
      return [0, 0];
    }
    const v = this.visitedSpace;
    const notVisited = this.head(1 + (v ^ 1));
    const visited = this.head(1 + v);
    const increment = this.head(INCREMENT);
    this.listInit(increment);
    const marked = this.markStacks(visited);
    this.workToDo -= marked;
    this.setSpaceOfList(this.head(0), v);
    this.listMerge(this.head(0), increment);
    let size = this.listSize(increment);
    while (size < this.workToDo) {
      if (this.next(notVisited) === notVisited) break;
      const g = this.next(notVisited);
      this.listMove(g, increment);
      size++;
      this.setSpace(g, v);
      size += this.expandRegion(increment, g);
    }
    this.phase(1, "increment", increment);
    const survivors = this.head(SURVIVORS);
    this.listInit(survivors);
    const found = this.collectRegion(1, increment, survivors);
    this.listMerge(survivors, visited);
    this.workToDo -= size;
    const result = this.finish(1, found[0], found[1]);
    if (this.next(notVisited) === notVisited) this.completedScavenge();
    return result;
  }

  /** gc_collect_full: every space merged into the visited one and collected; a new cycle starts. */
  private collectFull(): [number, number] {
    const v = this.visitedSpace;
    const young = this.head(0);
    const pending = this.head(1 + (v ^ 1));
    const visited = this.head(1 + v);
    this.untrackTuples(young);
    this.listMerge(young, pending);
    this.setSpaceOfList(pending, v);
    this.counts[0] = 0;
    this.listMerge(pending, visited);
    const found = this.collectRegion(2, visited, visited);
    this.counts.fill(0);
    this.completedScavenge();
    return this.finish(2, found[0], found[1]);
  }

  /**
   * gc_collect_region: 3.14's cycle detection over `from`, survivors into `to`:
   * 3.13's phases (as of 3.14.2, weak references to the trash are all cleared
   * before finalizers run; 3.14.3 also clears those finalizers create, gh-91636).
   */
  private collectRegion(generation: number, from: number, to: number): [number, number] {
    const unreachable = this.head(UNREACHABLE);
    this.deduceUnreachable(from, unreachable);
    this.phase(generation, "move_unreachable", unreachable);
    this.untrackTuples(from);
    if (from !== to) this.listMerge(from, to);
    return this.handleUnreachable(generation, unreachable, to);
  }

  /** assess_work_to_do: the new objects, plus a share of the heap capped at twice them. */
  private assessWorkToDo(): number {
    const scale = this.scaleFactor();
    const newObjects = this.counts[0] as number;
    const maxHeapFraction = newObjects * 2;
    let heapFraction = Math.trunc(Math.trunc(this.heapSize / SCAN_RATE_DIVISOR) / scale);
    if (heapFraction > maxHeapFraction) heapFraction = maxHeapFraction;
    this.counts[0] = 0;
    return newObjects + heapFraction;
  }

  /** old[0].threshold as the scan-rate scale factor, at least 2. */
  private scaleFactor(): number {
    const t = this.thresholds[1] as number;
    return Math.max(t, 2);
  }

  /** mark_at_start: everything reachable from the roots moves to the visited space, unexamined. */
  private markAtStart(): number {
    const visited = this.head(1 + this.visitedSpace);
    const marked = this.markRoots(visited, false) + this.markRoots(visited, true);
    this.workToDo -= marked;
    this.gcPhase = PHASE_COLLECT;
    if (this.hasListeners("gc:phase")) this.emit("gc:phase", { generation: 1, phase: "mark", objects: marked });
    return marked;
  }

  /** mark_stacks at an increment: the current frame's locals, rescanned each time. */
  private markStacks(visited: number): number {
    return this.markRoots(visited, true);
  }

  /**
   * mark_global_roots (`stack` false: global roots in the order added) or
   * mark_stacks (`stack` true: stack roots from the top of the frame down),
   * then everything they reach (mark_all_reachable).
   */
  private markRoots(visited: number, stack: boolean): number {
    const reachable = this.head(REACHABLE);
    this.listInit(reachable);
    let marked = 0;
    if (stack) {
      for (let i = this.nRoots - 1; i >= 0; i--) {
        if (this.rootStack[i] === 1) marked += this.moveToReachable(this.rootAddress[i] as number, reachable);
      }
    } else {
      for (let i = 0; i < this.nRoots; i++) {
        if (this.rootStack[i] === 0) marked += this.moveToReachable(this.rootAddress[i] as number, reachable);
      }
    }
    return marked + this.markAllReachable(reachable, visited);
  }

  /** move_to_reachable: a tracked, mortal, not yet visited object joins `reachable` in the visited space. */
  private moveToReachable(op: number, reachable: number): number {
    if (!this.objects.typeAt(op).container || this.objects.immortalAt(op)) return 0;
    const g = op - 16;
    if (this.next(g) === 0 || this.space(g) === this.visitedSpace) return 0;
    this.setSpace(g, this.visitedSpace);
    this.listMove(g, reachable);
    return 1;
  }

  /** mark_all_reachable: breadth first, each object into the visited list, then what it reaches. */
  private markAllReachable(reachable: number, visited: number): number {
    this.added = 0;
    while (this.next(reachable) !== reachable) {
      const g = this.next(reachable);
      this.listMove(g, visited);
      this.traverse(g + 16, VISIT_ADD, reachable);
    }
    return this.added;
  }

  /** expand_region_transitively_reachable: what the increment's new object reaches joins it (immortals leave). */
  private expandRegion(container: number, from: number): number {
    this.added = 0;
    let g = from;
    while (g !== container) {
      if (this.objects.immortalAt(g + 16)) {
        const next = this.next(g);
        this.listMove(g, this.head(PERMANENT));
        g = next;
        continue;
      }
      this.traverse(g + 16, VISIT_ADD, container);
      g = this.next(g);
    }
    return this.added;
  }

  /**
   * completed_scavenge: the pending space is empty. With nothing frozen the
   * spaces swap names; otherwise (frozen objects keep the visited bit) the
   * visited objects move back into the pending space. Marking starts again.
   */
  private completedScavenge(): void {
    const permanent = this.head(PERMANENT);
    if (this.next(permanent) === permanent) {
      const notVisited = this.visitedSpace;
      this.visitedSpace = notVisited ^ 1;
      this.setSpaceOfList(this.head(0), notVisited);
    } else {
      const v = this.visitedSpace;
      const pending = this.head(1 + (v ^ 1));
      this.listMerge(this.head(1 + v), pending);
      this.setSpaceOfList(pending, v ^ 1);
    }
    this.workToDo = 0;
    this.gcPhase = PHASE_MARK;
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
      this.clearUnreachable(g);
      const next = this.next(g);
      if (this.objects.typeAt(g + 16).legacyFinalizer) {
        this.clearPrevFlag(g, PREV_MASK_COLLECTING);
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
        // 3.12/3.13 keep immortals in the permanent generation; 3.14 untracks them.
        if (this.incremental) this.untrack(g);
        else this.listMove(g, this.head(PERMANENT));
        g = next;
        continue;
      }
      // gc_reset_refs: the refcount, COLLECTING, and the FINALIZED bit kept.
      this.setWord(
        g + 8,
        this.objects.refcountOf(op) * 4 + (this.prevLow(g) & PREV_MASK_FINALIZED) + PREV_MASK_COLLECTING,
      );
      g = next;
    }
  }

  /** subtract_refs: references from inside the set do not keep anything alive. */
  private subtractRefs(containers: number): void {
    const u32 = this.u32;
    // The loop is bound by cache misses on the referents: the fewer instructions between them, the more
    // of them the CPU has in flight. So the type tables are in hand and each object's type read once.
    const { containerFlags, slotOffsets, fixedSlots } = this.objects.typeTables();
    for (let g = this.next(containers); g !== containers; g = this.next(g)) {
      const op = g + 16;
      const type = u32[(op + OB_TYPE) >>> 2] as number;
      let n = fixedSlots[type] as number;
      if (n < 0) n = u32[(op + OB_SIZE) >>> 2] as number;
      if (n === 0) continue;
      const offset = slotOffsets[type] as number;
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
  private traverse(op: number, visit: number, list: number): void {
    const t = this.objects.typeAt(op);
    const n = this.objects.slotCountOf(op, t);
    if (n === 0) return;
    const base = this.objects.slotBaseOf(op, t);
    for (let k = 0; k < n; k++) {
      const i = t.clearOrder === "forward" ? k : n - 1 - k;
      const child = this.word(base + 8 * i);
      if (child === 0 || !this.objects.isContainerAt(child)) continue;
      const cg = child - 16;
      if (visit === VISIT_DECREF) {
        if (this.isCollecting(cg)) this.setRefs(cg, this.refs(cg) - 1);
      } else if (visit === VISIT_REACHABLE) {
        this.visitReachable(cg, list);
      } else if (visit === VISIT_ADD) {
        // visit_add_to_container: what is not yet in the visited space joins the list, flipped into it.
        if (this.next(cg) !== 0 && !this.objects.immortalAt(child) && this.space(cg) !== this.visitedSpace) {
          this.setSpace(cg, this.visitedSpace);
          this.listMove(cg, list);
          this.added++;
        }
      } else if (this.isCollecting(cg)) {
        this.listMove(cg, list);
        this.clearPrevFlag(cg, PREV_MASK_COLLECTING);
      }
    }
  }

  /** move_unreachable: CPython's single pass with tentatively unreachable objects moved back when reached. */
  private moveUnreachable(young: number, unreachable: number): void {
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
  private visitReachable(g: number, reachable: number): void {
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

  private clearUnreachableMask(list: number): void {
    for (let g = this.next(list); g !== list; g = this.next(g)) this.clearUnreachable(g);
  }

  private clearUnreachable(g: number): void {
    const raw = this.nextRaw(g);
    if ((raw & this.unreachableMask) !== 0) this.setNextRaw(g, raw - this.unreachableMask);
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
      if (this.next(wrcb) === g) {
        if (this.incremental) this.setSpace(g, this.visitedSpace);
        this.listMove(g, old);
      } else {
        freed++;
      }
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
      if ((this.prevLow(g) & PREV_MASK_FINALIZED) === 0 && t.finalize !== undefined) {
        this.setPrevFlag(g, PREV_MASK_FINALIZED);
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
      this.clearPrevFlag(g, PREV_MASK_COLLECTING);
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
      this.clearPrevFlag(g, PREV_MASK_COLLECTING);
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
        this.clearPrevFlag(g, PREV_MASK_COLLECTING);
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
    const hi = this.u32[i + 1] as number;
    // Pointers, flags and ordinary gc_refs fit the low half.
    return hi === 0 ? (this.u32[i] as number) : (this.u32[i] as number) + hi * 0x1_0000_0000;
  }

  private setWord(at: number, v: number): void {
    const i = at >>> 2;
    if (v >>> 0 === v) {
      this.u32[i] = v;
      this.u32[i + 1] = 0;
      return;
    }
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
    // _gc_next holds a pointer and flag bits: the low half of its word.
    const v = this.u32[g >>> 2] as number;
    return v - (v & 3);
  }

  /** _PyGCHead_SET_NEXT: the pointer; 3.14 keeps the old-space bit. */
  private setNext(g: number, p: number): void {
    // A pointer and flag bits: the word's low half; the high half is zero.
    const i = g >>> 2;
    const u32 = this.u32;
    u32[i] = this.keptNextBits === 0 ? p : p + ((u32[i] as number) & this.keptNextBits);
    u32[i + 1] = 0;
  }

  /** gc_old_space. */
  private space(g: number): number {
    return this.word(g) & OLD_SPACE_1;
  }

  /** gc_set_old_space. */
  private setSpace(g: number, space: number): void {
    const v = this.word(g);
    this.setWord(g, v - (v & OLD_SPACE_1) + space);
  }

  /** gc_list_set_space: every object of the list into `space`; returns the list's size. */
  private setSpaceOfList(list: number, space: number): number {
    let n = 0;
    for (let g = this.next(list); g !== list; g = this.next(g)) {
      this.setSpace(g, space);
      n++;
    }
    return n;
  }

  /** GEN_HEAD: 3.14's generation 1 is the visited old space, 2 the pending one. */
  private genHead(generation: number): number {
    if (!this.incremental || generation === 0 || generation === PERMANENT) return this.head(generation);
    return this.head(1 + (generation === 1 ? this.visitedSpace : this.visitedSpace ^ 1));
  }

  private setPrevRaw(g: number, v: number): void {
    this.setWord(g + 8, v);
  }

  /** The low half of _gc_prev, where its flag bits are (the high half only ever holds large gc_refs). */
  private prevLow(g: number): number {
    return this.u32[(g + 8) >>> 2] as number;
  }

  /** Sets flag bits of _gc_prev, leaving the rest of the word as it is. */
  private setPrevFlag(g: number, mask: number): void {
    const i = (g + 8) >>> 2;
    this.u32[i] = ((this.u32[i] as number) | mask) >>> 0;
  }

  /** Clears flag bits of _gc_prev, leaving the rest of the word as it is. */
  private clearPrevFlag(g: number, mask: number): void {
    const i = (g + 8) >>> 2;
    this.u32[i] = ((this.u32[i] as number) & ~mask) >>> 0;
  }

  private prev(g: number): number {
    const i = (g + 8) >>> 2;
    const v = this.u32[i] as number;
    // A pointer fits the low half; only gc_refs may not (and have no pointer to give).
    if (this.u32[i + 1] !== 0) return Math.floor(this.word(g + 8) / 4) * 4;
    return v - (v & 3);
  }

  /** _PyGCHead_SET_PREV: the pointer, keeping the flag bits. */
  private setPrevPointer(g: number, p: number): void {
    const i = (g + 8) >>> 2;
    const u32 = this.u32;
    u32[i] = p + ((u32[i] as number) & 3);
    u32[i + 1] = 0;
  }

  private refs(g: number): number {
    const i = (g + 8) >>> 2;
    const hi = this.u32[i + 1] as number;
    return hi === 0 ? (this.u32[i] as number) >>> 2 : Math.floor(this.word(g + 8) / 4);
  }

  private setRefs(g: number, refs: number): void {
    const i = (g + 8) >>> 2;
    const v = ((this.u32[i] as number) & 3) + refs * 4;
    if (v >= 0 && v <= 0xffff_ffff) {
      this.u32[i] = v;
      this.u32[i + 1] = 0;
    } else {
      this.setWord(g + 8, v);
    }
  }

  private isCollecting(g: number): boolean {
    return ((this.u32[(g + 8) >>> 2] as number) & PREV_MASK_COLLECTING) !== 0;
  }

  private listInit(h: number): void {
    const i = h >>> 2;
    this.u32[i] = h;
    this.u32[i + 1] = 0;
    this.u32[i + 2] = h;
    this.u32[i + 3] = 0;
  }

  /** gc_list_append: at the tail, keeping the node's flag bits. */
  private listAppend(g: number, list: number): void {
    const last = this.prev(list);
    this.setNext(last, g);
    this.setPrevPointer(g, last);
    this.setNext(g, list);
    const i = (list + 8) >>> 2;
    this.u32[i] = g;
    this.u32[i + 1] = 0;
  }

  private unlink(g: number): void {
    const prev = this.prev(g);
    const next = this.next(g);
    this.setNext(prev, next);
    this.setPrevPointer(next, prev);
  }

  /** _PyObject_GC_UNTRACK (3.14 counts it). */
  private untrack(g: number): void {
    this.unlink(g);
    this.setNextRaw(g, 0);
    this.setPrevRaw(g, this.prevLow(g) & PREV_MASK_FINALIZED);
    if (this.incremental) {
      if ((this.counts[0] as number) > 0) this.counts[0] = (this.counts[0] as number) - 1;
      this.heapSize--;
    }
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
    this.setNext(toTail, fromHead);
    this.setPrevPointer(fromHead, toTail);
    this.setNext(fromTail, to);
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

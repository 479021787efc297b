/**
 * CPython 3.14.0–3.14.4's incremental collector (`Python/gc.c`, gh-108362):
 * a young list and two old "spaces", one visited and one pending, told apart
 * by bit 0 of `_gc_next` (the unreachable mark moves to bit 1). `collect(0)`
 * collects the young list into the visited space; `collect(1)` is one
 * increment: the first of a cycle only marks what is reachable from the roots
 * (interpreter globals, then the frame's locals), later ones collect the
 * young list plus enough of the pending space (each object with everything it
 * reaches) to cover the work owed; when the pending space is empty the spaces
 * swap and a new cycle starts. `collect(2)` collects everything. An
 * allocation over threshold 0 schedules one increment.
 *
 * As of 3.14.2, weak references to the trash are all cleared before
 * finalizers run; 3.14.3 also clears those finalizers create (gh-91636). Not
 * modelled: dict untracking, free lists.
 *
 * @module
 */

import type { Emitter } from "../events.js";
import type { CollectorView } from "../objects/collector-view.js";
import type { Profile } from "../profiles.js";
import { Collection, VISIT_ADD } from "./collection.js";
import type { GcEvents } from "./gc-events.js";
import { INCREMENT, PERMANENT, REACHABLE, SURVIVORS, UNREACHABLE } from "./gc-lists.js";

/** Bit 0 of _gc_next tells the old space (_PyGC_NEXT_MASK_OLD_SPACE_1). */
const OLD_SPACE_1 = 1;
// A cycle starts by marking from the roots, then collects increments.
const PHASE_MARK = 0;
const PHASE_COLLECT = 1;
// SCAN_RATE_DIVISOR: an increment scans heap_size / 10 / threshold1 objects beyond the new ones.
const SCAN_RATE_DIVISOR = 10;

/** The incremental collector. */
export class IncrementalCollection extends Collection {
  // gcstate->visited_space, phase, work_to_do.
  private visitedSpace = 0;
  private gcPhase = PHASE_MARK;
  private workToDo = 0;
  // visit_add_to_container's count.
  private added = 0;

  /** The fields snapshots copy, and the ones they leave. */
  static override readonly stateFields = [
    ...Collection.stateFields,
    "visitedSpace",
    "gcPhase",
    "workToDo",
    "heapSize",
    "added",
  ];
  static override readonly fixedFields = Collection.fixedFields;

  constructor(
    view: CollectorView,
    profile: Profile,
    events: Emitter<GcEvents>,
    /** gcstate->heap_size: the tracked objects, plus the interpreter's own ones outside the simulation. */
    private heapSize: number,
  ) {
    // The unreachable mark is bit 1 of _gc_next; setting the next pointer keeps the old-space bit.
    super(view, profile, events, 2, OLD_SPACE_1);
  }

  /** Nothing to count at allocation: 3.14 counts tracking instead. */
  protected link(): void {}

  /** _PyObject_GC_TRACK: at the young list's tail, in the pending space; counted, and may schedule an increment. */
  protected track(g: number): void {
    this.listAppend(g, this.head(0));
    this.setSpace(g, this.visitedSpace ^ 1);
    this.counts[0] = (this.counts[0] as number) + 1;
    this.heapSize++;
    const t0 = this.thresholds[0] as number;
    if ((this.counts[0] as number) > t0 && this.enabled && t0 !== 0 && !this.collecting) this.scheduled = true;
  }

  /** _PyObject_GC_UNTRACK, counted. */
  override untrack(g: number): void {
    super.untrack(g);
    if ((this.counts[0] as number) > 0) this.counts[0] = (this.counts[0] as number) - 1;
    this.heapSize--;
  }

  /** The object was untracked just before: nothing more to count. */
  protected released(): void {}

  /** _Py_RunGC: one increment, unless the gc was disabled meanwhile. */
  protected runScheduled(): void {
    this.scheduled = false;
    if (this.collecting || !this.enabled) return;
    this.collecting = true;
    try {
      this.collectWithCallback(1);
    } finally {
      this.collecting = false;
    }
  }

  /** gc_collect_main: 0 the young list, 1 an increment, 2 everything. */
  protected collectMain(generation: number): [number, number] {
    if (generation === 0) return this.collectYoung();
    if (generation === 1) return this.collectIncrement();
    return this.collectFull();
  }

  /** The young count, then the visited and pending spaces' young collections. */
  getCount(): [number, number, number] {
    const v = this.visitedSpace;
    return [this.counts[0] as number, this.counts[1 + v] as number, this.counts[2 - v] as number];
  }

  /** Everything tracked into the permanent generation, which counts as visited, so marking never enters it. */
  freeze(): void {
    const v = this.visitedSpace;
    this.setSpaceOfList(this.head(0), v);
    this.listMerge(this.head(0), this.head(PERMANENT));
    this.counts[0] = 0;
    this.setSpaceOfList(this.head(1 + (v ^ 1)), v);
    this.listMerge(this.head(1), this.head(PERMANENT));
    this.counts[1] = 0;
    this.listMerge(this.head(2), this.head(PERMANENT));
    this.counts[2] = 0;
  }

  /** The permanent generation back into the visited space. */
  unfreeze(): void {
    this.listMerge(this.head(PERMANENT), this.head(1 + this.visitedSpace));
  }

  /** Generation 1 is the visited old space, 2 the pending one. */
  genHead(generation: number): number {
    if (generation === 0 || generation === PERMANENT) return this.head(generation);
    return this.head(1 + (generation === 1 ? this.visitedSpace : this.visitedSpace ^ 1));
  }

  /** 3.14 untracks immortals. */
  protected setAsideImmortal(g: number): void {
    this.untrack(g);
  }

  /** Into the visited space, with the survivors. */
  protected survivorJoinsOld(g: number): void {
    this.setSpace(g, this.visitedSpace);
  }

  /** visit_add_to_container: what is not yet in the visited space joins the list, flipped into it. */
  protected visitAdd(cg: number, child: number, list: number): void {
    if (this.next(cg) !== 0 && !this.view.immortal(child) && this.space(cg) !== this.visitedSpace) {
      this.setSpace(cg, this.visitedSpace);
      this.listMove(cg, list);
      this.added++;
    }
  }

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
    this.candidates = this.deduceUnreachable(from, unreachable);
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
    if (this.events.hasListeners("gc:phase"))
      this.events.emit("gc:phase", { generation: 1, phase: "mark", objects: marked });
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
    if (!this.view.typeAt(op).container || this.view.immortal(op)) return 0;
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
      if (this.view.immortal(g + 16)) {
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
}

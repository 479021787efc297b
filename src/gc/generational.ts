/**
 * CPython's generational collector: `Modules/gcmodule.c` of 3.8–3.12,
 * `Python/gc.c` of 3.13, and 3.14 again from 3.14.5 (gh-148726 went back to
 * it). Three generations; a new container counts towards generation 0's
 * threshold, and the oldest generation over its threshold is collected
 * (generation 2 only once the long-lived objects pending reach a quarter of
 * those counted at the last full collection). 3.8–3.11 collect right where
 * the allocation crossed the threshold; 3.12+ schedule the collection for the
 * eval breaker, once the allocating call is complete. 3.15 (`generational-3.15`)
 * is 3.12's, with weak references cleared later (collection.ts).
 *
 * @module
 */

import type { Emitter } from "../events.js";
import type { CollectorView } from "../objects/collector-view.js";
import type { Profile } from "../profiles.js";
import { Collection } from "./collection.js";
import type { GcEvents } from "./gc-events.js";
import { NUM_GENERATIONS, PERMANENT, UNREACHABLE } from "./gc-lists.js";

/** The generational collector. */
export class GenerationalCollection extends Collection {
  // long_lived_total and long_lived_pending: the full-collection heuristic.
  private longLivedTotal = 0;
  private longLivedPending = 0;

  /** The fields snapshots copy, and the ones they leave. */
  static override readonly stateFields = [...Collection.stateFields, "longLivedTotal", "longLivedPending"];
  static override readonly fixedFields = Collection.fixedFields;

  constructor(view: CollectorView, profile: Profile, events: Emitter<GcEvents>) {
    // NEXT_MASK_UNREACHABLE is bit 0 of _gc_next; setting the next pointer keeps no flag bits.
    super(view, profile, events, 1, 0);
  }

  /** _PyObject_GC_Link: count a new container; 3.8–3.11 may collect right here, 3.12+ schedule it. */
  protected link(): void {
    this.counts[0] = (this.counts[0] as number) + 1;
    const t0 = this.thresholds[0] as number;
    if ((this.counts[0] as number) > t0 && this.enabled && t0 !== 0 && !this.collecting) {
      if (this.profile.gc === "generational-3.12" || this.profile.gc === "generational-3.15") {
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

  /** _PyObject_GC_TRACK: at the young list's tail. */
  protected track(g: number): void {
    this.listAppend(g, this.head(0));
  }

  /** PyObject_GC_Del: the gen-0 count goes down (if above 0). */
  protected released(): void {
    if ((this.counts[0] as number) > 0) this.counts[0] = (this.counts[0] as number) - 1;
  }

  /** _Py_RunGC (3.12+): the collection the allocation scheduled. */
  protected runScheduled(): void {
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

  /** gc_collect_main: generations 0..`generation` merged and collected; survivors move one generation up. */
  protected collectMain(generation: number): [number, number] {
    if (generation + 1 < NUM_GENERATIONS) this.counts[generation + 1] = (this.counts[generation + 1] as number) + 1;
    for (let i = 0; i <= generation; i++) this.counts[i] = 0;
    for (let i = 0; i < generation; i++) this.listMerge(this.head(i), this.head(generation));
    const young = this.head(generation);
    const old = generation < NUM_GENERATIONS - 1 ? this.head(generation + 1) : young;
    const unreachable = this.head(UNREACHABLE);
    this.candidates = this.deduceUnreachable(young, unreachable);
    this.phase(generation, "move_unreachable", unreachable);
    this.untrackTuples(young);
    if (young !== old) {
      if (generation === NUM_GENERATIONS - 2) this.longLivedPending += this.listSize(young);
      this.listMerge(young, old);
    } else {
      // Only full collections untrack dicts (bpo-14775: no quadratic build-up).
      this.untrackDicts(young);
      this.longLivedPending = 0;
      this.longLivedTotal = this.listSize(young);
    }
    const [collected, uncollectable] = this.handleUnreachable(generation, unreachable, old);
    return this.finish(generation, collected, uncollectable);
  }

  getCount(): [number, number, number] {
    return [this.counts[0] as number, this.counts[1] as number, this.counts[2] as number];
  }

  /** Every generation into the permanent one. */
  freeze(): void {
    for (let i = 0; i < NUM_GENERATIONS; i++) {
      this.listMerge(this.head(i), this.head(PERMANENT));
      this.counts[0] = 0;
    }
  }

  /** The permanent generation back into the oldest one. */
  unfreeze(): void {
    this.listMerge(this.head(PERMANENT), this.head(NUM_GENERATIONS - 1));
  }

  genHead(generation: number): number {
    return this.head(generation);
  }

  /** 3.12 and 3.13 keep immortals in the permanent generation. */
  protected setAsideImmortal(g: number): void {
    this.listMove(g, this.head(PERMANENT));
  }

  protected survivorJoinsOld(): void {}

  protected visitAdd(): void {
    throw new Error("internal: the generational collector does not mark from roots");
  }
}

/**
 * CycleCollector: CPython's cyclic garbage collector over a RefCounter's
 * objects, with the `gc` module's API. The collector itself is one of two
 * strategies, chosen by the profile: the generational one of 3.8–3.13 and
 * 3.14.5+ (generational.ts) or 3.14.0–3.14.4's incremental one
 * (incremental.ts), both built on the phases they share (collection.ts) and
 * on PyGC_Head lists in simulated memory (gc-lists.ts). This file checks
 * arguments and hands every call to the strategy.
 *
 * Types marked `tupleLike` are untracked as CPython untracks tuples; types
 * with a `legacyFinalizer` (tp_del) make themselves and what they reach
 * uncollectable, into `garbage`.
 *
 * @module
 */

import { InvalidAddressError } from "../errors.js";
import { Emitter } from "../events.js";
import { checkAddress, checkSize } from "../internal/arguments.js";
import { declareLayer } from "../internal/layer-state.js";
import { grown } from "../internal/typed-arrays.js";
import type { CollectorView } from "../objects/collector-view.js";
import { collectorViewOf, type RefCounter } from "../objects/ref-counter.js";
import type { Profile } from "../profiles.js";
import type { Collection } from "./collection.js";
import type { GcEvents, GcGenerationStats } from "./gc-events.js";
import { NUM_GENERATIONS, PERMANENT } from "./gc-lists.js";
import { GenerationalCollection } from "./generational.js";
import { IncrementalCollection } from "./incremental.js";

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
  private readonly view: CollectorView;
  private readonly strategy: Collection;

  constructor(options: CycleCollectorOptions) {
    super();
    const view = typeof options === "object" && options !== null ? collectorViewOf(options.objects) : undefined;
    if (view === undefined) {
      throw new TypeError(`options.objects must be a RefCounter, got ${String(options?.objects)}`);
    }
    this.objects = options.objects;
    this.view = view;
    this.profile = options.profile ?? options.objects.profile;
    const heapSize = options.heapSize === undefined ? 0 : checkSize(options.heapSize, "options.heapSize");
    // Refused before anything is allocated: a failed constructor leaves the heap as it was.
    if (view.hasCollector()) throw new TypeError("this RefCounter already has a CycleCollector");
    this.strategy =
      this.profile.gc === "incremental-3.14"
        ? new IncrementalCollection(view, this.profile, this, heapSize)
        : new GenerationalCollection(view, this.profile, this);
    const kind = this.strategy.constructor as typeof Collection;
    view.attach(this.strategy.hooks());
    declareLayer(this, {
      kind: "gc",
      below: options.objects,
      parts: [{ owner: this.strategy, state: kind.stateFields, fixed: kind.fixedFields }],
      busy: () => this.strategy.collecting,
    });
  }

  /** `gc.garbage`: objects kept instead of freed (with `saveAll`); each holds a reference. */
  get garbage(): number[] {
    return this.strategy.garbage;
  }

  /** DEBUG_SAVEALL: unreachable objects go to `garbage` instead of being cleared. */
  get saveAll(): boolean {
    return this.strategy.saveAll;
  }

  /** Turns DEBUG_SAVEALL on or off. */
  set saveAll(on: boolean) {
    this.strategy.saveAll = on;
  }

  /**
   * `gc.collect(generation)`: collects generations 0..`generation` and returns
   * the number of unreachable objects found (collected plus uncollectable), as
   * CPython does. 0 while a collection is already running.
   */
  collect(generation = NUM_GENERATIONS - 1): number {
    checkSize(generation, "generation", NUM_GENERATIONS - 1);
    return this.strategy.collect(generation);
  }

  /** `gc.enable()`. */
  enable(): void {
    this.strategy.enabled = true;
  }

  /** `gc.disable()`. */
  disable(): void {
    this.strategy.enabled = false;
  }

  /** `gc.isenabled()`. */
  isEnabled(): boolean {
    return this.strategy.enabled;
  }

  /** `gc.get_count()` (3.14: the young count, then the visited and pending spaces' young collections). */
  getCount(): [number, number, number] {
    return this.strategy.getCount();
  }

  /** `gc.get_threshold()`. */
  getThreshold(): [number, number, number] {
    const t = this.strategy.thresholds;
    return [t[0] as number, t[1] as number, t[2] as number];
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
      this.strategy.thresholds[i] = t;
    });
  }

  /** `gc.get_stats()`. */
  getStats(): GcGenerationStats[] {
    return this.strategy.stats.map((s) => ({ ...s }));
  }

  /** `gc.is_tracked(obj)`. */
  isTracked(address: number): boolean {
    this.checkObject(address);
    return this.view.typeAt(address).container && this.strategy.isTracked(address);
  }

  /** `gc.is_finalized(obj)` (3.9+). */
  isFinalized(address: number): boolean {
    return this.objects.isFinalized(address);
  }

  /** `gc.freeze()`: everything tracked moves to the permanent generation, ignored by collections. */
  freeze(): void {
    this.strategy.freeze();
  }

  /** `gc.unfreeze()`: the permanent generation goes back into the oldest one (3.14: the visited space). */
  unfreeze(): void {
    this.strategy.unfreeze();
  }

  /** `gc.get_freeze_count()`. */
  getFreezeCount(): number {
    return this.strategy.freezeCount();
  }

  /**
   * Tracked objects of `generation` (0–2, or 3 for the permanent one), in list
   * order. In 3.14, 1 is the visited old space and 2 the pending one.
   */
  objectsOf(generation: number): number[] {
    checkSize(generation, "generation", PERMANENT);
    return this.strategy.objectsOf(generation);
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
    const s = this.strategy;
    if (s.nRoots === s.rootAddress.length) {
      s.rootAddress = grown(s.rootAddress, s.nRoots * 2);
      s.rootStack = grown(s.rootStack, s.nRoots * 2);
    }
    this.objects.incref(address);
    s.rootAddress[s.nRoots] = address;
    s.rootStack[s.nRoots] = kind === "stack" ? 1 : 0;
    s.nRoots++;
  }

  /** Removes the most recently added root on `address` and releases its reference (which may free it). */
  removeRoot(address: number): void {
    checkAddress(address);
    const s = this.strategy;
    let i = s.nRoots - 1;
    while (i >= 0 && s.rootAddress[i] !== address) i--;
    if (i < 0) throw new InvalidAddressError(address, "not a root");
    s.rootAddress.copyWithin(i, i + 1, s.nRoots);
    s.rootStack.copyWithin(i, i + 1, s.nRoots);
    s.nRoots--;
    this.objects.decref(address);
  }

  /** The roots, in the order added. */
  roots(): Array<{
    /** The object the root references. */
    address: number;
    /** Whether an interpreter global or a frame's locals hold the reference. */
    kind: RootKind;
  }> {
    const s = this.strategy;
    const out: Array<{ address: number; kind: RootKind }> = [];
    for (let i = 0; i < s.nRoots; i++) {
      out.push({ address: s.rootAddress[i] as number, kind: s.rootStack[i] === 1 ? "stack" : "global" });
    }
    return out;
  }

  private checkObject(address: number): void {
    checkAddress(address);
    if (!this.view.isAlive(address)) throw new InvalidAddressError(address, "not a live object");
  }
}

/**
 * ObjectCore: the objects whole (memory, types, refcounts, list items, weak
 * references, deallocation: the files it builds on), and the cycle
 * collector's view of them: attaching a collector, tp_finalize as the gc
 * calls it, and tp_clear. A RefCounter is its checked public face; a
 * CycleCollector sees it through {@link CollectorView} only.
 *
 * @module
 */

import { reportError } from "../events.js";
import { noteUserCode } from "../internal/user-code.js";
import type { CollectorHooks, CollectorView } from "./collector-view.js";
import { Deallocator } from "./deallocator.js";
import { OB_ALLOCATED, OB_ITEM, OB_SIZE, type ObjectType } from "./object-type.js";

/** Every mechanism of the objects, and the collector's view of them. */
export class ObjectCore extends Deallocator implements CollectorView {
  /** The fields snapshots copy. */
  static readonly stateFields = [
    "typeList",
    "containerFlags",
    "slotOffsets",
    "fixedSlots",
    "leafFlags",
    "finalizerTypes",
    "weakrefsMade",
    "weakrefType",
    "tupleType",
    "callbacks",
    "live",
    "finalizedPlain",
    "nLive",
    "stackOp",
    "stackNext",
    "stackChain",
    "sp",
    "trashDepth",
    "trashHead",
    "frameObjects",
    "frameAbove",
    "nFrames",
    "leafDepth",
  ];
  /** The fields they leave: settings, the memory, the layers it is wired to. */
  static readonly fixedFields = [
    "allocator",
    "profile",
    "memory",
    "u32",
    "events",
    "gcHead",
    "collector",
    "minor",
    "immortals",
    "natives",
    "freeListClearer",
  ];
  /** What empties the built-ins' free lists (set by a Builtins over these objects). */
  freeListClearer: (() => void) | undefined;

  /** Whether a collector is attached (one per set of objects). */
  hasCollector(): boolean {
    return this.collector !== undefined;
  }

  /** clear_freelists, as a collection of the oldest generation calls it. */
  clearFreeLists(): void {
    this.freeListClearer?.();
  }

  /**
   * Frees a block a free list kept: PyObject_GC_Del (the gc counts a
   * container's block gone) or PyObject_Free.
   */
  freeKept(block: number, container: boolean): void {
    if (container) this.collector?.released();
    this.release(block);
  }

  /** Connects the cyclic gc: tracking at creation, untracking at deallocation, scheduled collections. */
  attach(hooks: CollectorHooks): void {
    if (this.collector !== undefined) throw new TypeError("this RefCounter already has a CycleCollector");
    this.collector = hooks;
  }

  /** tp_finalize as the gc calls it: the FINALIZED bit is the caller's; errors are held. */
  callFinalizer(address: number, t: ObjectType): void {
    if (t.finalize === undefined) return;
    if (this.events.hasListeners("object:finalize")) this.events.emit("object:finalize", { address, type: t.name });
    noteUserCode();
    try {
      t.finalize(address);
    } catch (e) {
      reportError(this.events, e);
    }
  }

  /**
   * tp_clear: slot types release their slots (forward, Py_CLEAR), list-like
   * ones their items (last first) and items block, weak references their
   * referent; tuple-like objects have no tp_clear.
   */
  clearObject(address: number, t: ObjectType): void {
    if (t === this.weakrefType) {
      this.clearWeakref(address);
      return;
    }
    const native = this.natives[t.id];
    if (native?.clear !== undefined) {
      native.clear(address);
      return;
    }
    if (t.varSized) return;
    if (t.listLike) {
      const items = this.readWord(address + OB_ITEM);
      if (items === 0) return;
      const n = this.slotCount(address, t);
      this.writeWord(address + OB_ITEM, 0);
      this.u32[(address + OB_SIZE) >>> 2] = 0;
      this.writeWord(address + OB_ALLOCATED, 0);
      for (let i = n - 1; i >= 0; i--) {
        const item = this.readWord(items + 8 * i);
        if (item !== 0) this.decref(item);
      }
      this.release(items);
      return;
    }
    const base = address + t.slotOffset;
    for (let i = 0; i < t.slots; i++) {
      const v = this.readWord(base + 8 * i);
      if (v === 0) continue;
      this.writeWord(base + 8 * i, 0);
      this.decref(v);
    }
  }
}

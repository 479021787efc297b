/**
 * Deallocation in CPython's order: the finalizer first (once per object, PEP
 * 442; it may resurrect), then weak references are cleared and their
 * callbacks called, then the references the object holds are released, then
 * its memory is freed.
 *
 * Chains of any length are freed without JavaScript recursion: an explicit
 * stack replays the C recursion, a frame per object being torn down, and
 * containers go through the trashcan exactly as CPython's cuts deep chains
 * (deposit when too deep: 3.8–3.12 by nesting, 3.13 by the C recursion
 * budget, 3.14+ by the bytes of C stack left; free the deposits LIFO once the
 * stack unwinds), so blocks are freed, and reused, in CPython's order. The
 * stack is three typed arrays, grown by doubling: no JavaScript object per
 * frame.
 *
 * @module
 */

import { reportError } from "../events.js";
import { grown } from "../internal/typed-arrays.js";
import { noteUserCode } from "../internal/user-code.js";
import type { Trashcan } from "../profiles.js";
import { OB_TYPE, type ObjectType } from "./object-type.js";
import { WeakRefLists } from "./weakref-lists.js";

// PyGC_Head's _gc_prev, before the object: a deposited object's link to the next deposit, and its flag bits.
const GC_PREV = -8;
const PREV_FLAG_BITS = 3;

// Kinds of frame on the dealloc stack (stackChain): an object's deallocation, the drain of the deposits
// (_PyTrash_thread_destroy_chain), a deposited finalizer frame letting go of its object (3.8–3.10).
const FRAME_OBJECT = 0;
const FRAME_DRAIN = 1;
const FRAME_HOLDER = 2;
// Flags of an object's frame, 3.14+: freed by the drain (a direct tp_dealloc call), and whether _Py_Dealloc found
// enough margin on entry to drain the deposits when it returns.
const DIRECT = 4;
const DRAIN_AFTER = 8;
// _Py_Dealloc: deposit under 2 units of margin, drain with 4 or more.
const DEPOSIT_BELOW = 2;
const DRAIN_FROM = 4;

/** Objects, with their deallocation. */
export abstract class Deallocator extends WeakRefLists {
  // The explicit dealloc stack: per frame the object, the next slot to release (-1 = not started), and
  // its kind and flags.
  protected stackOp = new Float64Array(64);
  protected stackNext = new Int32Array(64);
  protected stackChain = new Uint8Array(64);
  protected sp = 0;
  // The trashcan: nesting depth (3.8–3.12), budget used (3.13) or bytes of C stack used (3.14+), and the deposited
  // objects (tstate's delete_later: LIFO, linked through _gc_prev).
  protected trashDepth = 0;
  protected trashHead = 0;
  // Deposited finalizer frames (3.8–3.10), each with the object it holds and the deposit list's head when it went in:
  // it comes out when the list is back to that head, so frames and objects leave in the order they came.
  protected frameObjects = new Float64Array(8);
  protected frameAbove = new Float64Array(8);
  protected nFrames = 0;
  // A leaf's deallocation under way outside the stack (deallocLeaf): its listeners see a deallocation too.
  private leafDepth = 0;

  /** Whether a deallocation is under way (a finalizer or callback is running inside one). */
  isDeallocating(): boolean {
    return this.sp > 0 || this.trashDepth > 0 || this.nFrames > 0 || this.leafDepth > 0;
  }

  /**
   * Runs deallocations until the one started here, and everything it caused,
   * is done. Errors of listeners and finalizers (CPython prints "Exception
   * ignored in ..." and goes on) are held until then; the first is thrown.
   */
  protected dealloc(address: number): void {
    if (this.leafFlags[this.u32[(address + OB_TYPE) >>> 2] as number] === 1) {
      this.deallocLeaf(address);
      return;
    }
    const base = this.sp;
    const depth = this.trashDepth;
    const frames = this.nFrames;
    this.events.holdListenerErrors();
    this.allocator.holdListenerErrors?.();
    try {
      this.enter(address);
      while (this.sp > base) this.step();
    } catch (e) {
      // Not an error of user code (those are held and come below): a failure of the machinery itself, such as
      // no memory for the tuple of several weakrefs' callbacks. Leave no frame or hold behind it.
      this.sp = base;
      this.trashDepth = depth;
      this.nFrames = frames;
      this.allocator.releaseListenerErrors?.(true);
      this.events.releaseListenerErrors(true);
      throw e;
    }
    this.releaseHolds();
  }

  /** The end of a deallocation: the allocator's held listener errors, then the objects' (the first is thrown). */
  private releaseHolds(): void {
    try {
      this.allocator.releaseListenerErrors?.();
    } catch (e) {
      this.events.releaseListenerErrors(true);
      throw e;
    }
    this.events.releaseListenerErrors();
  }

  /** dealloc() of an object that holds nothing (an int, a str): its one step, in the same order, without a frame. */
  private deallocLeaf(address: number): void {
    this.events.holdListenerErrors();
    this.allocator.holdListenerErrors?.();
    this.leafDepth++;
    try {
      this.freeLeaf(address);
    } catch (e) {
      this.leafDepth--;
      this.allocator.releaseListenerErrors?.(true);
      this.events.releaseListenerErrors(true);
      throw e;
    }
    this.leafDepth--;
    this.releaseHolds();
  }

  /** The frame of a leaf object (leafFlags) as step() would run it: no references to drop, no trashcan level. */
  private freeLeaf(address: number): void {
    const t = this.typeList[(this.u32[(address + OB_TYPE) >>> 2] as number) - 1] as ObjectType;
    this.forget(address);
    const native = this.natives[t.id];
    const block = native === undefined ? address - t.preHeader : native.dispose(address);
    if (block !== 0) this.release(block);
    if (this.events.hasListeners("object:dealloc")) this.events.emit("object:dealloc", { address, type: t.name });
  }

  /**
   * Py_TRASHCAN_BEGIN (3.8–3.13) or _Py_Dealloc's check (3.14+), and the start
   * of tp_dealloc: deposit the object, or push its frame. `direct`: the drain
   * calls tp_dealloc itself, past _Py_Dealloc (3.14+).
   */
  private enter(address: number, direct = false): void {
    const t = this.typeList[(this.u32[(address + OB_TYPE) >>> 2] as number) - 1] as ObjectType;
    // tp_dealloc untracks first (and the trashcan only takes untracked objects).
    const gc = this.collector;
    if (gc !== undefined && t.container && gc.isTracked(address)) gc.untrack(address);
    const tc = this.profile.trashcan;
    let flags = FRAME_OBJECT;
    if (tc.kind === "stack") {
      // Every gc object, whatever its type: the check is _Py_Dealloc's, not tp_dealloc's.
      if (t.container && !direct) {
        const margin = Math.floor((tc.stackBytes - this.trashDepth) / tc.marginBytes);
        if (margin < DEPOSIT_BELOW) {
          this.deposit(address);
          return;
        }
        if (margin >= DRAIN_FROM) flags |= DRAIN_AFTER;
      }
      if (direct) flags |= DIRECT;
      this.trashDepth += this.frameBytes(t, flags);
    } else if (t.trashcan) {
      const full =
        tc.kind === "nesting" ? this.trashDepth >= tc.unwindLevel : tc.budget - this.trashDepth <= tc.headroom;
      if (full) {
        this.deposit(address);
        return;
      }
      this.trashDepth++;
    }
    this.push(address, -1, flags);
  }

  /** _PyTrash_thread_deposit_object: linked through _gc_prev's pointer bits, its flag bits kept. */
  private deposit(address: number): void {
    const i = (address + GC_PREV) >>> 2;
    this.u32[i] = ((this.u32[i] as number) & PREV_FLAG_BITS) | this.trashHead;
    this.u32[i + 1] = 0;
    this.trashHead = address;
  }

  private push(address: number, next: number, chain: number): void {
    if (this.sp === this.stackOp.length) {
      const n = this.sp * 2;
      this.stackOp = grown(this.stackOp, n);
      this.stackNext = grown(this.stackNext, n);
      this.stackChain = grown(this.stackChain, n);
    }
    this.stackOp[this.sp] = address;
    this.stackNext[this.sp] = next;
    this.stackChain[this.sp] = chain;
    this.sp++;
  }

  /** Advances the top frame by one step. */
  private step(): void {
    const top = this.sp - 1;
    const kind = (this.stackChain[top] as number) & 3;
    if (kind !== FRAME_OBJECT) {
      if (kind === FRAME_DRAIN) this.stepDrain();
      else this.stepHolder(top);
      return;
    }
    const address = this.stackOp[top] as number;
    const t = this.typeList[(this.u32[(address + OB_TYPE) >>> 2] as number) - 1] as ObjectType;
    let next = this.stackNext[top] as number;
    if (next === -1) {
      // The rare work before the references go (a finalizer, weak references) is elsewhere: this loop is hot.
      if (t.finalize !== undefined && !this.finalized(address, t) && this.finalizeInDealloc(address, t, top)) return;
      next = 0;
      this.stackNext[top] = 0;
      if (t === this.weakrefType) {
        this.clearWeakref(address);
      } else if (t.weakrefable && this.readWord(address + t.weaklistOffset) !== 0) {
        // Callbacks may start nested deallocations: they run on this stack above the frame, then it resumes.
        this.clearWeakRefs(address, t);
        return;
      }
    }
    const native = this.natives[t.id];
    const refs = native?.refAt === undefined ? undefined : native;
    const n = refs === undefined ? this.slotCount(address, t) : (refs.refCount as (a: number) => number)(address);
    const slots = this.slotBase(address, t);
    while (next < n) {
      const index = t.clearOrder === "forward" ? next : n - 1 - next;
      next++;
      const at =
        refs === undefined ? slots + 8 * index : (refs.refAt as (a: number, k: number) => number)(address, index);
      if (at === 0) continue;
      const child = this.readWord(at);
      if (child === 0) continue;
      this.writeWord(at, 0);
      if (this.immortal(child)) continue;
      const i = child >>> 2;
      const lo = this.u32[i] as number;
      if (lo === 0) this.u32[i + 1] = (this.u32[i + 1] as number) - 1;
      this.u32[i] = (lo - 1) >>> 0;
      const count = this.refcount(child);
      if (this.events.hasListeners("object:decref")) {
        this.events.emit("object:decref", { address: child, refcount: count });
      }
      if (count === 0) {
        this.stackNext[top] = next;
        if (this.leafFlags[this.u32[(child + OB_TYPE) >>> 2] as number] !== 1) {
          this.enter(child);
          return;
        }
        this.freeLeaf(child);
      }
    }
    // Everything released: free the memory (a list's items block first, then PyObject_GC_Del / PyObject_Free), or
    // keep the object on its type's free list.
    if (t.listLike && slots !== 0) this.release(slots);
    this.sp--;
    this.forget(address);
    const block =
      native === undefined ? (t.container ? address - this.gcHead : address) - t.preHeader : native.dispose(address);
    const gc = t.container ? this.collector : undefined;
    if (gc !== undefined) {
      if (gc.isTracked(address)) gc.untrack(address);
      if (block !== 0) gc.released();
    }
    if (block !== 0) this.release(block);
    if (this.events.hasListeners("object:dealloc")) this.events.emit("object:dealloc", { address, type: t.name });
    this.trashcanEnd(t, this.stackChain[top] as number);
  }

  /** A drain frame's step: _PyTrash_thread_destroy_chain, the most recent deposit deallocated, until none is left. */
  private stepDrain(): void {
    if (this.nFrames > 0 && this.frameAbove[this.nFrames - 1] === this.trashHead) {
      // A finalizer's frame: frame_dealloc goes through the trashcan too, then lets go of its object.
      this.nFrames--;
      this.trashDepth++;
      this.push(this.frameObjects[this.nFrames] as number, -1, FRAME_HOLDER);
      return;
    }
    if (this.trashHead === 0) {
      this.sp--;
      if (this.profile.trashcan.kind !== "stack") this.trashDepth--;
      return;
    }
    const op = this.trashHead;
    this.trashHead = ((this.u32[(op + GC_PREV) >>> 2] as number) & ~PREV_FLAG_BITS) >>> 0;
    this.enter(op, true);
  }

  /** A holder frame's step: the frame's locals let go of its object's last reference, then the frame goes. */
  private stepHolder(top: number): void {
    if (this.stackNext[top] === -1) {
      this.stackNext[top] = 0;
      this.decrefHeld(this.stackOp[top] as number);
    } else {
      this.sp--;
      this.trashDepth--;
    }
  }

  /**
   * PyObject_CallFinalizerFromDealloc, at the start of an object's frame: true
   * when the finalizer resurrected the object (its frame is gone).
   */
  private finalizeInDealloc(address: number, t: ObjectType, top: number): boolean {
    // A temporary reference while the finalizer runs.
    this.writeWord(address, 1);
    this.setFinalized(address, t);
    // subtype_dealloc tracks the object again while its finalizer runs; it stays tracked if resurrected.
    const gc = t.container ? this.collector : undefined;
    gc?.track(address);
    if (this.events.hasListeners("object:finalize")) {
      this.events.emit("object:finalize", { address, type: t.name });
    }
    noteUserCode();
    try {
      (t.finalize as (a: number) => void)(address);
    } catch (e) {
      reportError(this.events, e);
    }
    let left = this.refcount(address) - 1;
    const tc = this.profile.trashcan;
    if (tc.kind === "nesting" && tc.finalizerFrame === true && this.trashDepth >= tc.unwindLevel) {
      // The finalizer's frame is deposited, and with it the reference its `self` holds: the object lives on
      // until the deposits are freed.
      this.holdInFrame(address);
      left++;
    }
    this.writeWord(address, left);
    if (left === 0 && gc !== undefined && gc.isTracked(address)) gc.untrack(address);
    if (left > 0) {
      this.sp--;
      this.trashcanEnd(t, this.stackChain[top] as number);
      if (this.events.hasListeners("object:resurrect")) {
        this.events.emit("object:resurrect", { address, type: t.name, refcount: left });
      }
      return true;
    }
    return false;
  }

  /**
   * Frees a block of a dead object. An allocator that refuses (the debug hooks
   * finding the object wrote past its end) is reported once the deallocation
   * is complete, as CPython reports what its hooks find; the object is gone
   * all the same, and the deallocation goes on.
   */
  protected release(block: number): void {
    try {
      this.allocator.free(block);
    } catch (e) {
      reportError(this.events, e);
    }
  }

  /** Py_TRASHCAN_END (3.8–3.13) or the end of _Py_Dealloc (3.14+): leave the level; drain the deposits when shallow enough. */
  private trashcanEnd(t: ObjectType, flags: number): void {
    const tc = this.profile.trashcan;
    if (tc.kind === "stack") {
      this.trashDepth -= this.frameBytes(t, flags);
      if ((flags & DRAIN_AFTER) !== 0 && this.trashHead !== 0) this.push(0, 0, FRAME_DRAIN);
      return;
    }
    if (!t.trashcan) return;
    this.trashDepth--;
    const drain = tc.kind === "nesting" ? this.trashDepth <= 0 : tc.budget - this.trashDepth > 2 * tc.headroom;
    if ((this.trashHead !== 0 || this.nFrames > 0) && drain) {
      // The drain holds a level itself (3.8–3.12 raise the nesting, 3.13 spends a unit of budget).
      this.trashDepth++;
      this.push(0, 0, FRAME_DRAIN);
    }
  }

  /** Bytes of C stack a deallocation of type `t` takes (3.14+). */
  private frameBytes(t: ObjectType, flags: number): number {
    const tc = this.profile.trashcan as Extract<Trashcan, { kind: "stack" }>;
    return (t.listLike ? tc.listFrameBytes : tc.frameBytes) + ((flags & DIRECT) !== 0 ? tc.drainExtraBytes : 0);
  }

  /** Deposits a finalizer's frame holding `address` (3.8–3.10). */
  private holdInFrame(address: number): void {
    if (this.nFrames === this.frameObjects.length) {
      this.frameObjects = grown(this.frameObjects, this.nFrames * 2);
      this.frameAbove = grown(this.frameAbove, this.nFrames * 2);
    }
    this.frameObjects[this.nFrames] = address;
    this.frameAbove[this.nFrames] = this.trashHead;
    this.nFrames++;
  }

  /** Drops a held object's last reference, deallocating it (already finalized: no second `__del__`). */
  private decrefHeld(address: number): void {
    const left = this.refcount(address) - 1;
    this.writeWord(address, left);
    // The frame's reference is a reference like a slot's: listeners see it go.
    if (this.events.hasListeners("object:decref")) this.events.emit("object:decref", { address, refcount: left });
    if (left === 0) this.enter(address);
  }
}

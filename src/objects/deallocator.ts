/**
 * Deallocation in CPython's order: the finalizer first (once per object, PEP
 * 442; it may resurrect), then weak references are cleared and their
 * callbacks called, then the references the object holds are released, then
 * its memory is freed.
 *
 * Chains of any length are freed without JavaScript recursion: an explicit
 * stack replays the C recursion, a frame per object being torn down, and
 * containers go through the trashcan exactly as CPython's cuts deep chains
 * (deposit at the unwind level, free the deposits LIFO once the stack
 * unwinds), so blocks are freed, and reused, in CPython's order. The stack is
 * three typed arrays, grown by doubling: no JavaScript object per frame.
 *
 * @module
 */

import { reportError } from "../events.js";
import { grown } from "../internal/typed-arrays.js";
import { OB_TYPE, type ObjectType } from "./object-type.js";
import { WeakRefLists } from "./weakref-lists.js";

// PyGC_Head's _gc_prev, before the object: a deposited object's link to the next deposit, and its flag bits.
const GC_PREV = -8;
const PREV_FLAG_BITS = 3;

/** Objects, with their deallocation. */
export abstract class Deallocator extends WeakRefLists {
  // The explicit dealloc stack: per frame the object, the next slot to release (-1 = not started), and
  // whether it is a trashcan chain-drain frame.
  protected stackOp = new Float64Array(64);
  protected stackNext = new Int32Array(64);
  protected stackChain = new Uint8Array(64);
  protected sp = 0;
  // The trashcan: nesting depth (3.8–3.12) or remaining budget (3.13+), and the deposited objects (LIFO via _gc_prev).
  protected trashDepth = 0;
  protected trashHead = 0;

  /** Whether a deallocation is under way (a finalizer or callback is running inside one). */
  isDeallocating(): boolean {
    return this.sp > 0 || this.trashDepth > 0;
  }

  /**
   * Runs deallocations until the one started here, and everything it caused,
   * is done. Errors of listeners and finalizers (CPython prints "Exception
   * ignored in ..." and goes on) are held until then; the first is thrown.
   */
  protected dealloc(address: number): void {
    const base = this.sp;
    const depth = this.trashDepth;
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
      this.allocator.releaseListenerErrors?.(true);
      this.events.releaseListenerErrors(true);
      throw e;
    }
    try {
      this.allocator.releaseListenerErrors?.();
    } catch (e) {
      this.events.releaseListenerErrors(true);
      throw e;
    }
    this.events.releaseListenerErrors();
  }

  /** Py_TRASHCAN_BEGIN and the start of tp_dealloc: deposit the object, or push its frame. */
  private enter(address: number): void {
    const t = this.typeList[(this.u32[(address + OB_TYPE) >>> 2] as number) - 1] as ObjectType;
    // tp_dealloc untracks first (and the trashcan only takes untracked objects).
    const gc = this.collector;
    if (gc !== undefined && t.container && gc.isTracked(address)) gc.untrack(address);
    if (t.trashcan) {
      const tc = this.profile.trashcan;
      const full =
        tc.kind === "nesting" ? this.trashDepth >= tc.unwindLevel : tc.budget - this.trashDepth <= tc.headroom;
      if (full) {
        // Deposit: linked through _gc_prev's pointer bits, its flag bits kept.
        const i = (address + GC_PREV) >>> 2;
        this.u32[i] = ((this.u32[i] as number) & PREV_FLAG_BITS) | this.trashHead;
        this.u32[i + 1] = 0;
        this.trashHead = address;
        return;
      }
      this.trashDepth++;
    }
    this.push(address, -1, 0);
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
    if (this.stackChain[top] === 1) {
      // _PyTrash_thread_destroy_chain: deallocate the most recent deposit, until none is left.
      if (this.trashHead === 0) {
        this.sp--;
        this.trashDepth--;
        return;
      }
      const op = this.trashHead;
      this.trashHead = ((this.u32[(op + GC_PREV) >>> 2] as number) & ~PREV_FLAG_BITS) >>> 0;
      this.enter(op);
      return;
    }
    const address = this.stackOp[top] as number;
    const t = this.typeList[(this.u32[(address + OB_TYPE) >>> 2] as number) - 1] as ObjectType;
    let next = this.stackNext[top] as number;
    if (next === -1) {
      if (t.finalize !== undefined && !this.finalized(address, t)) {
        // PyObject_CallFinalizerFromDealloc: a temporary reference while the finalizer runs.
        this.writeWord(address, 1);
        this.setFinalized(address, t);
        // subtype_dealloc tracks the object again while its finalizer runs; it stays tracked if resurrected.
        const gc = t.container ? this.collector : undefined;
        gc?.track(address);
        if (this.events.hasListeners("object:finalize")) {
          this.events.emit("object:finalize", { address, type: t.name });
        }
        try {
          t.finalize(address);
        } catch (e) {
          reportError(this.events, e);
        }
        const left = this.refcount(address) - 1;
        this.writeWord(address, left);
        if (left === 0 && gc !== undefined && gc.isTracked(address)) gc.untrack(address);
        if (left > 0) {
          this.sp--;
          this.trashcanEnd(t);
          if (this.events.hasListeners("object:resurrect")) {
            this.events.emit("object:resurrect", { address, type: t.name, refcount: left });
          }
          return;
        }
      }
      next = 0;
      this.stackNext[top] = 0;
      if (t === this.weakrefType) {
        this.clearWeakref(address);
      } else if (t.weaklistOffset >= 0 && this.readWord(address + t.weaklistOffset) !== 0) {
        // Callbacks may start nested deallocations: they run on this stack above the frame, then it resumes.
        this.clearWeakRefs(address, t);
        return;
      }
    }
    const n = this.slotCount(address, t);
    const slots = this.slotBase(address, t);
    while (next < n) {
      const index = t.clearOrder === "forward" ? next : n - 1 - next;
      next++;
      const at = slots + 8 * index;
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
        this.enter(child);
        return;
      }
    }
    // Everything released: free the memory (a list's items block first, then PyObject_GC_Del / PyObject_Free).
    if (t.listLike && slots !== 0) this.release(slots);
    this.sp--;
    this.forget(address);
    const gc = t.container ? this.collector : undefined;
    if (gc !== undefined) {
      if (gc.isTracked(address)) gc.untrack(address);
      gc.released();
    }
    this.release(t.container ? address - this.gcHead : address);
    if (this.events.hasListeners("object:dealloc")) this.events.emit("object:dealloc", { address, type: t.name });
    this.trashcanEnd(t);
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

  /** Py_TRASHCAN_END: leave the level; at the top, drain the deposits. */
  private trashcanEnd(t: ObjectType): void {
    if (!t.trashcan) return;
    this.trashDepth--;
    const tc = this.profile.trashcan;
    const drain = tc.kind === "nesting" ? this.trashDepth <= 0 : tc.budget - this.trashDepth > 2 * tc.headroom;
    if (this.trashHead !== 0 && drain) {
      this.trashDepth++;
      this.push(0, 0, 1);
    }
  }
}

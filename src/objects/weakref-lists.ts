/**
 * Weak references, as CPython's `Objects/weakrefobject.c` keeps them: each
 * referent's weaklist word heads a doubly linked list of its weak reference
 * objects (the callback-less "basic" reference first), and a dying referent
 * clears them all before any callback runs (`PyObject_ClearWeakRefs`,
 * gathering several into a tuple first, as CPython does). The callbacks are
 * JavaScript functions, outside simulated memory: `wr_callback` holds 1 where
 * one is set.
 *
 * @module
 */

import { reportError } from "../events.js";
import { noteUserCode } from "../internal/user-code.js";
import { ListItems } from "./list-items.js";
import { OB_TYPE, type ObjectType } from "./object-type.js";

// PyWeakReference (64-bit): after the header, wr_object, wr_callback, hash, wr_prev, wr_next, vectorcall.
const WR_OBJECT = 16;
const WR_CALLBACK = 24;
const WR_HASH = 32;
const WR_PREV = 40;
/** wr_next: the next weak reference to the same object. */
export const WR_NEXT = 48;

/** Objects, with weak references to them. */
export abstract class WeakRefLists extends ListItems {
  /** The callbacks of weak references that have one, by the weak reference's address. */
  protected readonly callbacks = new Map<number, (weakref: number) => void>();

  /**
   * A weak reference to `target` (of a weakrefable type, refcount above 0),
   * owned by the caller; without a callback, the existing basic reference
   * when there is one (increfed), as `weakref.ref(o)` does.
   */
  weakref(target: number, t: ObjectType, callback: ((weakref: number) => void) | undefined): number {
    const listAt = target + t.weaklistOffset;
    const head = this.readWord(listAt);
    const basic = head !== 0 && this.readWord(head + WR_CALLBACK) === 0 ? head : 0;
    if (callback === undefined && basic !== 0) {
      this.incref(basic);
      return basic;
    }
    const wr = this.newObject(this.weakrefType, this.weakrefType.slots);
    this.weakrefsMade++;
    this.writeWord(wr + WR_OBJECT, target);
    // hash = -1: not yet hashed.
    this.u32[(wr + WR_HASH) >>> 2] = 0xffff_ffff;
    this.u32[((wr + WR_HASH) >>> 2) + 1] = 0xffff_ffff;
    if (callback !== undefined) {
      this.writeWord(wr + WR_CALLBACK, 1);
      this.callbacks.set(wr, callback);
    }
    if (callback === undefined || basic === 0) {
      // insert_head
      this.writeWord(wr + WR_NEXT, head);
      if (head !== 0) this.writeWord(head + WR_PREV, wr);
      this.writeWord(listAt, wr);
    } else {
      // insert_after the basic reference
      const next = this.readWord(basic + WR_NEXT);
      this.writeWord(wr + WR_PREV, basic);
      this.writeWord(wr + WR_NEXT, next);
      if (next !== 0) this.writeWord(next + WR_PREV, wr);
      this.writeWord(basic + WR_NEXT, wr);
    }
    return wr;
  }

  /** The referent of a weak reference, 0 once it died. */
  weakrefTarget(weakref: number): number {
    return this.readWord(weakref + WR_OBJECT);
  }

  /** The weak references to `target`, in their list's order. */
  weakrefsOf(target: number, t: ObjectType): number[] {
    const out: number[] = [];
    if (!t.weakrefable) return out;
    for (let wr = this.readWord(target + t.weaklistOffset); wr !== 0; wr = this.readWord(wr + WR_NEXT)) out.push(wr);
    return out;
  }

  /** The first weak reference to `target` (0 when none). */
  firstWeakref(target: number, t: ObjectType): number {
    return t.weakrefable ? this.readWord(target + t.weaklistOffset) : 0;
  }

  /** Whether the weak reference has a callback. */
  hasCallback(weakref: number): boolean {
    return this.callbacks.has(weakref);
  }

  /** Calls a weak reference's callback as the gc's handle_weakrefs does (errors held). */
  callWeakrefCallback(weakref: number): void {
    const callback = this.callbacks.get(weakref);
    if (callback !== undefined) this.callCallback(callback, weakref);
  }

  /** _PyWeakref_ClearRef: unlink and forget the referent, keep the callback. */
  clearWeakrefKeepCallback(weakref: number): void {
    const callback = this.callbacks.get(weakref);
    this.clearWeakref(weakref);
    if (callback !== undefined) {
      this.callbacks.set(weakref, callback);
      this.writeWord(weakref + WR_CALLBACK, 1);
    }
  }

  /** clear_weakref: unlink `wr` from its target's list, forget its target and callback. */
  protected clearWeakref(wr: number): void {
    const target = this.readWord(wr + WR_OBJECT);
    if (target !== 0) {
      const t = this.typeList[(this.u32[(target + OB_TYPE) >>> 2] as number) - 1] as ObjectType;
      const listAt = target + t.weaklistOffset;
      const prev = this.readWord(wr + WR_PREV);
      const next = this.readWord(wr + WR_NEXT);
      if (this.readWord(listAt) === wr) this.writeWord(listAt, next);
      if (prev !== 0) this.writeWord(prev + WR_NEXT, next);
      if (next !== 0) this.writeWord(next + WR_PREV, prev);
      this.writeWord(wr + WR_PREV, 0);
      this.writeWord(wr + WR_NEXT, 0);
      this.writeWord(wr + WR_OBJECT, 0);
    }
    this.writeWord(wr + WR_CALLBACK, 0);
    this.callbacks.delete(wr);
  }

  /** PyObject_ClearWeakRefs: the target is dying; clear its weak references, then call their callbacks. */
  protected clearWeakRefs(target: number, t: ObjectType): void {
    const listAt = target + t.weaklistOffset;
    // The callback-less (basic) reference first.
    let head = this.readWord(listAt);
    if (head !== 0 && this.readWord(head + WR_CALLBACK) === 0) {
      this.clearWeakref(head);
      head = this.readWord(listAt);
      if (head !== 0 && this.readWord(head + WR_CALLBACK) === 0) this.clearWeakref(head);
    }
    let current = this.readWord(listAt);
    if (current === 0) return;
    let count = 0;
    for (let w = current; w !== 0; w = this.readWord(w + WR_NEXT)) count++;
    if (count === 1) {
      const callback = this.callbacks.get(current);
      this.clearWeakref(current);
      if (callback !== undefined && this.refcount(current) > 0) this.callCallback(callback, current);
      return;
    }
    // Several: CPython gathers them in a tuple (weakref, callback) pairs, clears them all, then calls back.
    const tuple = this.newObject(this.tupleType, count * 2);
    const pending: Array<(weakref: number) => void> = [];
    for (let i = 0; i < count; i++) {
      const next = this.readWord(current + WR_NEXT);
      const callback = this.callbacks.get(current);
      if (this.refcount(current) > 0) {
        this.incref(current);
        this.writeWord(tuple + this.tupleType.slotOffset + 16 * i, current);
        if (callback !== undefined) pending[i] = callback;
      }
      this.clearWeakref(current);
      current = next;
    }
    for (let i = 0; i < count; i++) {
      const callback = pending[i];
      if (callback !== undefined) {
        this.callCallback(callback, this.readWord(tuple + this.tupleType.slotOffset + 16 * i));
      }
    }
    this.decref(tuple);
  }

  /** Runs a callback; its error is CPython's "Exception ignored in": held, the first one thrown at the end. */
  protected callCallback(callback: (weakref: number) => void, weakref: number): void {
    noteUserCode();
    try {
      callback(weakref);
    } catch (e) {
      reportError(this.events, e);
    }
  }
}

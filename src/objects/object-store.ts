/**
 * The objects' memory: CPython's object header (`ob_refcnt`, `ob_type`, and
 * for containers a PyGC_Head before it) in blocks of the allocator, the
 * types, the set of live objects, and reference counting's two primitives.
 * Deallocation, weak references and list items build on this, one mechanism
 * per file (list-items.ts, weakref-lists.ts, deallocator.ts); object-core.ts
 * puts them together and is what RefCounter and the cycle collector hold.
 *
 * Nothing here checks its arguments: RefCounter does, before it calls in.
 *
 * @module
 */

import { PymemError } from "../errors.js";
import type { Emitter } from "../events.js";
import { clearGranule, growGranules, setGranule, testGranule } from "../internal/granule-bitmap.js";
import { releaseMinor } from "../internal/release.js";
import { grown } from "../internal/typed-arrays.js";
import { fillWords, readWord, writeWord } from "../internal/words.js";
import type { ObjectAllocator } from "../object-allocator.js";
import type { Profile } from "../profiles.js";
import type { Memory } from "../raw/memory.js";
import type { CollectorHooks, TypeTables } from "./collector-view.js";
import type { NativeHooks } from "./native-type.js";
import type { ObjectEvents } from "./object-events.js";
import {
  instanceBytes,
  makeType,
  OB_ALLOCATED,
  OB_ITEM,
  OB_SIZE,
  OB_TYPE,
  type ObjectType,
  type TypeSpec,
} from "./object-type.js";

// PyGC_Head's _gc_prev, before the object: bit 0 is FINALIZED.
const GC_PREV = -8;
const PREV_MASK_FINALIZED = 1;

/** Object memory, types, the live set and refcounts. */
export abstract class ObjectStore {
  /** Where objects live. */
  readonly allocator: ObjectAllocator;
  /** The profile: layout sizes, immortality and trashcan rules. */
  readonly profile: Profile;
  /** The simulated memory. */
  readonly memory: Memory;
  /** Its 32-bit words. */
  readonly u32: Uint32Array;
  /** Where events go: the RefCounter's emitter. */
  protected readonly events: Emitter<ObjectEvents>;
  /** Bytes of PyGC_Head before a container. */
  protected readonly gcHead: number;
  /** The CPython 3 release the profile models (0: a custom one), for the rules that changed between releases. */
  readonly minor: number;
  // Whether the profile has immortal objects (3.12+): tested on every incref and decref.
  private readonly immortals: boolean;
  /** By type id: what a type of a layer above (the built-ins) does with a dead object's memory. */
  protected natives: (NativeHooks | undefined)[] = [];
  /** The types, by id - 1. */
  protected readonly typeList: ObjectType[] = [];
  // By type id: 1 for containers; where the slots start (-1: a list-like's items block); how many (-1: ob_size).
  protected containerFlags = new Uint8Array(16);
  protected slotOffsets = new Int32Array(16);
  protected fixedSlots = new Int32Array(16);
  // By type id: 1 when a dead object holds no references and needs no finalizer, weakref clearing or trashcan:
  // its deallocation is one step, without the dealloc stack.
  protected leafFlags = new Uint8Array(16);
  /** The type of weak reference objects (CPython's `weakref.ReferenceType`). */
  readonly weakrefType: ObjectType;
  /** The internal tuple PyObject_ClearWeakRefs builds when several weakrefs die at once. */
  protected readonly tupleType: ObjectType;
  // Live object addresses; finalized non-container objects (containers keep the bit in _gc_prev).
  protected live: Uint32Array = new Uint32Array(0);
  protected finalizedPlain: Uint32Array = new Uint32Array(0);
  // Types defined with a finalizer, and weak references made, so far: while 0, the gc's passes over them find nothing.
  finalizerTypes = 0;
  weakrefsMade = 0;
  /** Live objects. */
  nLive = 0;
  /** The attached cycle collector's hooks. */
  protected collector: CollectorHooks | undefined;

  constructor(allocator: ObjectAllocator, profile: Profile, events: Emitter<ObjectEvents>) {
    this.allocator = allocator;
    this.profile = profile;
    this.events = events;
    this.memory = allocator.raw.memory;
    this.u32 = this.memory.u32;
    this.gcHead = profile.gcHeadSize;
    this.minor = releaseMinor(profile.python);
    this.immortals = profile.immortalRefcount !== null;
    this.weakrefType = this.defineType({ name: "weakref", container: true, dataBytes: 48, trashcan: false });
    this.tupleType = this.defineType({
      name: "tuple",
      container: true,
      varSized: true,
      clearOrder: "reverse",
      tupleLike: true,
      // 3.14+ cache the hash in the tuple, before the items.
      headerBytes: this.minor === 0 || this.minor >= 14 ? 8 : 0,
    });
  }

  /** Deallocates an object whose refcount reached zero (deallocator.ts). */
  protected abstract dealloc(address: number): void;

  /** Defines a type whose dead objects' memory `hooks` dispose of (the built-ins: free lists, extra blocks). */
  defineNativeType(spec: TypeSpec, hooks: NativeHooks): ObjectType {
    const t = this.defineType(spec);
    this.natives[t.id] = hooks;
    // References outside the slots: the collector's loops ask the hooks (slot offset -2).
    if (hooks.refAt !== undefined) {
      this.slotOffsets[t.id] = -2;
      this.leafFlags[t.id] = 0;
    }
    return t;
  }

  /** Whether the type's references live outside slots, where its hooks say. */
  hasOwnRefs(t: ObjectType): boolean {
    return this.natives[t.id]?.refAt !== undefined;
  }

  /** tp_traverse's view of a type with references outside slots (hasOwnRefs): how many places may hold one. */
  traverseCount(address: number, t: ObjectType): number {
    const h = this.natives[t.id] as NativeHooks;
    return (h.traverseCount ?? (h.refCount as (a: number) => number))(address);
  }

  /** Where the `k`th place tp_traverse visits is (a word's address), 0 when it holds none (hasOwnRefs types). */
  traverseAt(address: number, t: ObjectType, k: number): number {
    const h = this.natives[t.id] as NativeHooks;
    return (h.traverseAt ?? (h.refAt as (a: number, k: number) => number))(address, k);
  }

  /** Whether a full collection untracks the object (a dict holding only atomic values, 3.8–3.13). */
  untrackInFull(address: number, t: ObjectType): boolean {
    const h = this.natives[t.id];
    return h?.untrackInFull?.(address) === true;
  }

  /** Tracks a container made untracked (a dict, once it holds something the gc may track). */
  trackNow(address: number): void {
    this.collector?.track(address);
  }

  /** Untracks a container the gc tracks (a frozenset found to hold only atomic items, 3.15). */
  untrackNow(address: number): void {
    const gc = this.collector;
    if (gc?.isTracked(address)) gc.untrack(address);
  }

  /** Whether the gc tracks the container. */
  isTracked(address: number): boolean {
    return this.collector?.isTracked(address) ?? false;
  }

  /** Gives an existing type (the built-in tuple) the hooks of a layer above. */
  setNativeHooks(t: ObjectType, hooks: NativeHooks): void {
    this.natives[t.id] = hooks;
    if (hooks.refAt !== undefined) this.leafFlags[t.id] = 0;
  }

  /** Defines a type and files it in the tables. */
  defineType(spec: TypeSpec): ObjectType {
    const t = makeType(this.typeList.length + 1, spec);
    this.typeList.push(t);
    if (t.id >= this.containerFlags.length) {
      this.containerFlags = grown(this.containerFlags, t.id * 2);
      this.slotOffsets = grown(this.slotOffsets, t.id * 2);
      this.fixedSlots = grown(this.fixedSlots, t.id * 2);
      this.leafFlags = grown(this.leafFlags, t.id * 2);
    }
    this.containerFlags[t.id] = t.container ? 1 : 0;
    this.slotOffsets[t.id] = t.listLike ? -1 : t.slotOffset;
    this.fixedSlots[t.id] = t.varSized || t.listLike ? -1 : t.slots;
    const refs = t.varSized || t.listLike || t.slots > 0;
    const leaf = !refs && !t.container && !t.weakrefable && !t.trashcan && t.finalize === undefined;
    this.leafFlags[t.id] = leaf && !t.legacyFinalizer ? 1 : 0;
    if (t.finalize !== undefined) this.finalizerTypes++;
    return t;
  }

  /** The types defined so far, in definition order. */
  types(): ObjectType[] {
    return [...this.typeList];
  }

  /** The type defined by the user (not the built-in weakref and tuple) under `name`, if any. */
  userTypeNamed(name: string): ObjectType | undefined {
    const builtIn = [this.weakrefType.id, this.tupleType.id];
    return this.typeList.find((t) => t.name === name && !builtIn.includes(t.id));
  }

  /** Whether `t` is a type of these objects (the same frozen record). */
  hasType(t: ObjectType): boolean {
    return typeof t === "object" && t !== null && this.typeList[t.id - 1] === t;
  }

  /** The type of a live object. */
  typeAt(address: number): ObjectType {
    return this.typeList[(this.u32[(address + OB_TYPE) >>> 2] as number) - 1] as ObjectType;
  }

  /** The tables by type id; valid until the next defineType. */
  typeTables(): TypeTables {
    return { containerFlags: this.containerFlags, slotOffsets: this.slotOffsets, fixedSlots: this.fixedSlots };
  }

  /** Whether a live object is a container (gc-aware). */
  isContainerAt(address: number): boolean {
    return this.containerFlags[this.u32[(address + OB_TYPE) >>> 2] as number] === 1;
  }

  /** Whether `address` is a live object. */
  isAlive(address: number): boolean {
    return testGranule(this.live, address);
  }

  /** Whether `v` is a live object that can take a new reference (refcount not 0): the argument checks' common case. */
  isReferenceable(v: number): boolean {
    if (!testGranule(this.live, v)) return false;
    const i = v >>> 2;
    return ((this.u32[i] as number) | (this.u32[i + 1] as number)) !== 0;
  }

  /** Whether `v` is a live object of type `t`: a type check's common case. */
  isLiveOf(v: number, t: ObjectType): boolean {
    return testGranule(this.live, v) && this.typeList[(this.u32[(v + OB_TYPE) >>> 2] as number) - 1] === t;
  }

  /** The 64-bit word at `at`. */
  readWord(at: number): number {
    return readWord(this.u32, at);
  }

  /** Stores `value` as the 64-bit word at `at`. */
  writeWord(at: number, value: number): void {
    writeWord(this.u32, at, value);
  }

  /** ob_refcnt. */
  refcount(address: number): number {
    return readWord(this.u32, address);
  }

  /** Whether immortal: 3.12+, when the low 32 bits of the refcount, read as int32, are negative. */
  immortal(address: number): boolean {
    return this.immortals && ((this.u32[address >>> 2] as number) | 0) < 0;
  }

  /** Py_INCREF. */
  incref(address: number): void {
    if (this.immortal(address)) return;
    const i = address >>> 2;
    const lo = ((this.u32[i] as number) + 1) >>> 0;
    this.u32[i] = lo;
    if (lo === 0) this.u32[i + 1] = (this.u32[i + 1] as number) + 1;
    if (this.events.hasListeners("object:incref")) {
      this.events.emit("object:incref", { address, refcount: this.refcount(address) });
    }
  }

  /** Py_DECREF: at zero the object is deallocated. */
  decref(address: number): void {
    if (this.immortal(address)) return;
    const i = address >>> 2;
    const lo = this.u32[i] as number;
    if (lo === 0) {
      const hi = this.u32[i + 1] as number;
      if (hi === 0) throw new PymemError(`refcount of ${address} would go negative`);
      this.u32[i + 1] = hi - 1;
    }
    this.u32[i] = (lo - 1) >>> 0;
    const count = this.refcount(address);
    if (this.events.hasListeners("object:decref")) this.events.emit("object:decref", { address, refcount: count });
    if (count === 0) this.dealloc(address);
  }

  /** Where an object's slots start: inline, or a list-like's items block. */
  slotBase(address: number, t: ObjectType): number {
    return t.listLike ? readWord(this.u32, address + OB_ITEM) : address + t.slotOffset;
  }

  /** How many slots an object has. */
  slotCount(address: number, t: ObjectType): number {
    return t.varSized || t.listLike ? (this.u32[(address + OB_SIZE) >>> 2] as number) : t.slots;
  }

  /** Whether the object's finalizer has run. */
  finalized(address: number, t: ObjectType): boolean {
    if (t.container) return ((this.u32[(address + GC_PREV) >>> 2] as number) & PREV_MASK_FINALIZED) !== 0;
    return testGranule(this.finalizedPlain, address);
  }

  /** Marks the object finalized. */
  protected setFinalized(address: number, t: ObjectType): void {
    if (t.container) {
      const i = (address + GC_PREV) >>> 2;
      this.u32[i] = (this.u32[i] as number) | PREV_MASK_FINALIZED;
    } else {
      this.finalizedPlain = growGranules(this.finalizedPlain, address + 16);
      setGranule(this.finalizedPlain, address);
    }
  }

  /** Holds the errors of the objects' listeners and of the allocator's until {@link releaseErrors}. */
  holdErrors(): void {
    this.events.holdListenerErrors();
    this.allocator.holdListenerErrors?.();
  }

  /** Releases them; the first is thrown (the allocator's first), unless `discard`. */
  releaseErrors(discard = false): void {
    try {
      this.allocator.releaseListenerErrors?.(discard);
    } catch (e) {
      this.events.releaseListenerErrors(true);
      throw e;
    }
    this.events.releaseListenerErrors(discard);
  }

  /**
   * A new object of `t` with `n` slots and refcount 1, untracked and zeroed;
   * tracked by the collector once complete, which may then collect. `bytes`
   * is what is asked of the allocator (default: the type's instance size);
   * `reuse`, a block a free list kept, is taken instead of asking (no
   * allocation, so the gc counts none, as CPython's free lists skip
   * _PyObject_GC_Link); `untracked`: it stays untracked (a new dict).
   */
  newObject(t: ObjectType, n: number, bytes = instanceBytes(t, n, this.gcHead), reuse = 0, untracked = false): number {
    // The allocator's listeners wait until the object is initialised.
    this.allocator.holdListenerErrors?.();
    let block = reuse;
    if (reuse === 0) {
      try {
        block = this.allocator.malloc(bytes);
      } catch (e) {
        this.allocator.releaseListenerErrors?.(true);
        throw e;
      }
    }
    const address = (t.container ? block + this.gcHead : block) + t.preHeader;
    // A fresh object is untracked, unfinalized and holds nothing.
    // Small objects by words (a block is 16-byte aligned and its size rounded up to 16); fill() costs more.
    if (bytes <= 256) {
      fillWords(this.u32, block >>> 2, (block + bytes + 3) >>> 2, 0);
    } else {
      this.memory.u8.fill(0, block, block + bytes);
    }
    // The rare paths that may throw (a collection's finalizers, no memory for a list's items) are methods of
    // their own, which release the hold themselves: the common path stays small enough to inline.
    if (t.container && this.collector !== undefined && reuse === 0) this.link(block);
    const i = address >>> 2;
    this.u32[i] = 1;
    this.u32[i + 2] = t.id;
    if (t.varSized) this.u32[(address + OB_SIZE) >>> 2] = n;
    if (address >>> 9 >= this.live.length) this.live = growGranules(this.live, address + 16);
    setGranule(this.live, address);
    this.nLive++;
    if (t.listLike && n > 0) this.allocItems(address, block, n);
    if (t.container && this.collector !== undefined && !untracked) this.track(address);
    if (this.events.hasListeners("object:alloc")) this.emitAlloc(address, t, bytes);
    else this.allocator.releaseListenerErrors?.();
    return address;
  }

  /** The object:alloc event of a new object, then the allocator's held errors (the first is thrown). */
  private emitAlloc(address: number, t: ObjectType, bytes: number): void {
    try {
      this.events.emit("object:alloc", { address, type: t.name, size: bytes });
    } finally {
      this.allocator.releaseListenerErrors?.();
    }
  }

  /**
   * An object in memory no allocator handed out (a static object of the
   * interpreter, such as a small int), untracked, with refcount `refcount`:
   * the caller has written its fields.
   */
  placeStatic(t: ObjectType, address: number, refcount: number): void {
    this.writeWord(address, refcount);
    this.u32[(address + OB_TYPE) >>> 2] = t.id;
    if (address >>> 9 >= this.live.length) this.live = growGranules(this.live, address + 16);
    setGranule(this.live, address);
    this.nLive++;
  }

  /** Undoes {@link placeStatic} of an object nothing references yet (its memory is the caller's to release). */
  unplaceStatic(address: number): void {
    this.forget(address);
  }

  /** _PyObject_GC_Link for the new object's block; 3.8–3.11 may collect here, and a finalizer's error undoes the block. */
  private link(block: number): void {
    try {
      (this.collector as CollectorHooks).link();
    } catch (e) {
      this.allocator.free(block);
      this.allocator.releaseListenerErrors?.(true);
      throw e;
    }
  }

  /** PyList_New's items block, zeroed; without memory for it, the new object is undone. */
  private allocItems(address: number, block: number, n: number): void {
    let items: number;
    try {
      items = this.allocator.calloc(n, 8);
    } catch (e) {
      clearGranule(this.live, address);
      this.nLive--;
      this.allocator.free(block);
      this.allocator.releaseListenerErrors?.(true);
      throw e;
    }
    writeWord(this.u32, address + OB_ITEM, items);
    writeWord(this.u32, address + OB_ALLOCATED, n);
    this.u32[(address + OB_SIZE) >>> 2] = n;
  }

  /**
   * _PyObject_GC_TRACK, then the safe point where a collection scheduled
   * meanwhile (3.12+) runs: the object is made, so what its finalizers raise
   * comes out of new() after it.
   */
  private track(address: number): void {
    const gc = this.collector as CollectorHooks;
    gc.track(address);
    try {
      gc.safePoint();
    } catch (e) {
      this.allocator.releaseListenerErrors?.(true);
      throw e;
    }
  }

  /** An object a realloc moved (a str grown in place): it lives at `to` now, with everything it held. */
  moveObject(from: number, to: number): void {
    clearGranule(this.live, from);
    if (to >>> 9 >= this.live.length) this.live = growGranules(this.live, to + 16);
    setGranule(this.live, to);
  }

  /** Forgets a freed object: it is no longer live. */
  protected forget(address: number): void {
    clearGranule(this.live, address);
    this.nLive--;
  }
}

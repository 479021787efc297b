/**
 * RefCounter: CPython's objects and reference counting over an allocator's
 * memory. Objects live in blocks of the allocator (pymalloc by default), with
 * `ob_refcnt` and `ob_type` at the object's address and, for containers, a
 * PyGC_Head just before it.
 *
 * Deallocation follows CPython's order: the finalizer first (once per object,
 * PEP 442; it may resurrect), then weak references are cleared and their
 * callbacks called, then the references the object holds are released, then
 * its memory is freed. Chains of any length are freed without JS recursion: an
 * explicit stack replays the C recursion, and containers go through the
 * trashcan exactly as CPython's cuts deep chains (deposit at the unwind level,
 * free the deposits LIFO once the stack unwinds), so blocks are freed, and
 * reused, in CPython's order.
 *
 * @module
 */

import { checkAddress, checkSize } from "../arguments.js";
import { InvalidAddressError, PymemError } from "../errors.js";
import { Emitter } from "../events.js";
import { defaultProfile, type Profile } from "../profiles.js";
import { BlockAllocator } from "../pymalloc/block-allocator.js";
import { clearGranule, growGranules, setGranule, testGranule } from "../raw/granule-bitmap.js";
import type { Memory } from "../raw/memory.js";
import { RawAllocator } from "../raw/raw-allocator.js";
import { grown } from "../typed-arrays.js";
import {
  instanceBytes,
  listCapacity,
  MAX_SLOTS,
  makeType,
  OB_ALLOCATED,
  OB_ITEM,
  OB_SIZE,
  OB_TYPE,
  type ObjectType,
  type TypeSpec,
} from "./object-type.js";

/** An allocator objects can live in: malloc/free and the memory its addresses index. */
export type ObjectAllocator = BlockAllocator | RawAllocator;

/** Options for {@link RefCounter}. */
export interface RefCounterOptions {
  /** Where objects live (default: a new BlockAllocator). */
  allocator?: ObjectAllocator;
  /** The profile (default: the allocator's, else the default profile). */
  profile?: Profile;
}

/** @internal What a cycle collector attached to a RefCounter is told (CPython's gc hooks in the object layer). */
export interface CollectorHooks {
  /** _PyObject_GC_Link: a container's block was just allocated (gen-0 count, maybe an automatic collection). */
  link(): void;
  /** _PyObject_GC_TRACK: append to the youngest generation (3.14: counted there). */
  track(address: number): void;
  /** The allocating call is complete: a collection scheduled meanwhile may run (the eval breaker). */
  safePoint(): void;
  /** _PyObject_GC_UNTRACK. */
  untrack(address: number): void;
  /** Whether `_gc_next` is set. */
  isTracked(address: number): boolean;
  /** PyObject_GC_Del: the gen-0 count goes down (if above 0). */
  released(): void;
}

/** Events of {@link RefCounter}. */
export interface ObjectEvents {
  /** An object was created with refcount 1. */
  "object:alloc": {
    /** The object's address (past the PyGC_Head for containers). */
    address: number;
    /** Its type's name. */
    type: string;
    /** Bytes requested for the object's block: PyGC_Head included, a list-like's items block excluded. */
    size: number;
  };
  /** An object's memory was freed. */
  "object:dealloc": {
    /** The freed object's address. */
    address: number;
    /** Its type's name. */
    type: string;
  };
  /** An object's finalizer is about to run. */
  "object:finalize": {
    /** The object being finalized. */
    address: number;
    /** Its type's name. */
    type: string;
  };
  /** A finalizer left the object referenced: it lives on, finalized. */
  "object:resurrect": {
    /** The resurrected object's address. */
    address: number;
    /** Its type's name. */
    type: string;
    /** References the finalizer left it with (ob_refcnt, above 0). */
    refcount: number;
  };
  /** A reference was added (immortal objects excepted). */
  "object:incref": {
    /** The object's address. */
    address: number;
    /** Its ob_refcnt after the increment. */
    refcount: number;
  };
  /** A reference was dropped (immortal objects excepted). */
  "object:decref": {
    /** The object's address. */
    address: number;
    /** Its ob_refcnt after the decrement; 0 means deallocation follows. */
    refcount: number;
  };
}

// PyGC_Head words, before the object: _gc_next at -16 (0 = untracked), _gc_prev at -8 (bit 0: FINALIZED).
const GC_PREV = -8;
const PREV_MASK_FINALIZED = 1;
const PREV_FLAG_BITS = 3;
// PyWeakReference (64-bit): after the header, wr_object, wr_callback, hash, wr_prev, wr_next, vectorcall.
const WR_OBJECT = 16;
const WR_CALLBACK = 24;
const WR_HASH = 32;
const WR_PREV = 40;
const WR_NEXT = 48;

/**
 * Objects and reference counting.
 *
 * @example
 * ```ts
 * import { RefCounter } from "pymem";
 *
 * const objects = new RefCounter();
 * const Node = objects.defineType({ name: "Node", slots: 1, container: true });
 * const a = objects.new(Node);
 * const b = objects.new(Node);
 * objects.setSlot(a, 0, b); // a holds b
 * objects.decref(b); // only a holds b now
 * console.log(objects.refcount(b)); // 1
 * objects.decref(a); // frees a, then b
 * console.log(objects.isAlive(b)); // false
 * ```
 */
export class RefCounter extends Emitter<ObjectEvents> {
  /** The allocator objects live in. */
  readonly allocator: ObjectAllocator;
  /** The profile: layout sizes, immortality and trashcan rules. */
  readonly profile: Profile;

  private readonly memory: Memory;
  private readonly u32: Uint32Array;
  private readonly gcHead: number;
  private readonly typeList: ObjectType[] = [];
  // By type id: 1 for containers (tp_traverse's test, without loading the type); where the slots start
  // (-1: a list-like's items block) and how many there are (-1: ob_size says).
  private containerFlags = new Uint8Array(16);
  private slotOffsets = new Int32Array(16);
  private fixedSlots = new Int32Array(16);
  /** The type of weak reference objects (CPython's `weakref.ReferenceType`). */
  readonly weakrefType: ObjectType;
  // The internal tuple PyObject_ClearWeakRefs builds when several weakrefs die at once.
  private readonly tupleType: ObjectType;
  // Weak references' callbacks are JS functions, outside simulated memory; wr_callback holds 1 when one is set.
  private readonly callbacks = new Map<number, (weakref: number) => void>();
  // Checked: live object addresses; finalized non-container objects (containers keep the bit in _gc_prev).
  private live: Uint32Array = new Uint32Array(0);
  private finalizedPlain: Uint32Array = new Uint32Array(0);
  private nLive = 0;

  // The explicit dealloc stack: per frame the object, the next slot to release (-1 = not started), and
  // whether it is a trashcan chain-drain frame.
  private stackOp = new Float64Array(64);
  private stackNext = new Int32Array(64);
  private stackChain = new Uint8Array(64);
  private sp = 0;
  private collector: CollectorHooks | undefined;
  // The trashcan: nesting depth (3.8–3.12) or remaining budget (3.13+), and the deposited objects (LIFO via _gc_prev).
  private trashDepth = 0;
  private trashHead = 0;

  constructor(options: RefCounterOptions = {}) {
    super();
    if (typeof options !== "object" || options === null) {
      throw new TypeError(`options must be an object, got ${String(options)}`);
    }
    const a = options.allocator ?? new BlockAllocator();
    if (!(a instanceof BlockAllocator) && !(a instanceof RawAllocator)) {
      throw new TypeError("options.allocator must be a BlockAllocator or a RawAllocator");
    }
    this.allocator = a;
    this.profile = options.profile ?? (a instanceof BlockAllocator ? a.profile : defaultProfile);
    this.memory = a instanceof BlockAllocator ? a.raw.memory : a.memory;
    this.u32 = this.memory.u32;
    this.gcHead = this.profile.gcHeadSize;
    a.layersAbove++;
    this.weakrefType = this.defineType({ name: "weakref", container: true, dataBytes: 48, trashcan: false });
    this.tupleType = this.defineType({
      name: "tuple",
      container: true,
      varSized: true,
      clearOrder: "reverse",
      tupleLike: true,
    });
  }

  /** Defines a type; its instances are made with {@link RefCounter.new}. */
  defineType(spec: TypeSpec): ObjectType {
    const t = makeType(this.typeList.length + 1, spec);
    this.typeList.push(t);
    if (t.id >= this.containerFlags.length) {
      this.containerFlags = grown(this.containerFlags, t.id * 2);
      this.slotOffsets = grown(this.slotOffsets, t.id * 2);
      this.fixedSlots = grown(this.fixedSlots, t.id * 2);
    }
    this.containerFlags[t.id] = t.container ? 1 : 0;
    this.slotOffsets[t.id] = t.listLike ? -1 : t.slotOffset;
    this.fixedSlots[t.id] = t.varSized || t.listLike ? -1 : t.slots;
    return t;
  }

  /** The type stored in an object's `ob_type`. */
  typeOf(address: number): ObjectType {
    this.checkObject(address);
    return this.typeList[(this.u32[(address + OB_TYPE) >>> 2] as number) - 1] as ObjectType;
  }

  /**
   * A new object of `type` with refcount 1, owned by the caller; its slots are
   * empty (0). Var-sized types take `options?.size` slots.
   */
  new(type: ObjectType, options?: { size?: number }): number {
    const t = this.checkType(type);
    let n = t.slots;
    if (t.varSized || t.listLike) {
      n = checkSize(options?.size ?? t.slots, "size", MAX_SLOTS);
    } else if (options?.size !== undefined && options?.size !== t.slots) {
      throw new RangeError(`type ${t.name} has a fixed ${t.slots} slots; size ${String(options?.size)} is not allowed`);
    }
    const bytes = instanceBytes(t, n, this.gcHead);
    // The allocator's listeners wait until the object is initialised.
    this.allocator.holdListenerErrors();
    let block: number;
    try {
      block = this.allocator.malloc(bytes);
    } catch (e) {
      this.allocator.releaseListenerErrors(true);
      throw e;
    }
    const address = t.container ? block + this.gcHead : block;
    // A fresh object is untracked, unfinalized and holds nothing.
    // Small objects by words (a block is 16-byte aligned and its size rounded up to 16); fill() costs more.
    if (bytes <= 256) {
      const u32 = this.u32;
      for (let w = block >>> 2, end = (block + bytes + 3) >>> 2; w < end; w++) u32[w] = 0;
    } else {
      this.memory.u8.fill(0, block, block + bytes);
    }
    if (t.container && this.collector !== undefined) this.collector.link();
    const i = address >>> 2;
    this.u32[i] = 1;
    this.u32[i + 2] = t.id;
    if (t.varSized) this.u32[(address + OB_SIZE) >>> 2] = n;
    if (address >>> 9 >= this.live.length) this.live = growGranules(this.live, address + 16);
    setGranule(this.live, address);
    this.nLive++;
    if (t.listLike && n > 0) {
      // PyList_New: the object first, then its items block, zeroed.
      let items: number;
      try {
        items = this.allocator.calloc(n, 8);
      } catch (e) {
        clearGranule(this.live, address);
        this.nLive--;
        this.allocator.free(block);
        this.allocator.releaseListenerErrors(true);
        throw e;
      }
      this.writeWord(address + OB_ITEM, items);
      this.writeWord(address + OB_ALLOCATED, n);
      this.u32[(address + OB_SIZE) >>> 2] = n;
    }
    if (t.container && this.collector !== undefined) {
      this.collector.track(address);
      this.collector.safePoint();
    }
    try {
      if (this.hasListeners("object:alloc")) this.emit("object:alloc", { address, type: t.name, size: bytes });
    } finally {
      this.allocator.releaseListenerErrors();
    }
    return address;
  }

  /** Number of slots of the object. */
  size(address: number): number {
    return this.slotCount(address, this.typeOf(address));
  }

  /** The object in slot `index`, or 0. */
  getSlot(address: number, index: number): number {
    const t = this.typeOf(address);
    this.checkIndex(address, t, index);
    return this.readWord(this.slotBase(address, t) + 8 * index);
  }

  /**
   * list.append: grows a list-like object by one slot (list_resize's
   * over-allocation, reallocating its items block) and stores `value` there.
   */
  append(list: number, value: number): void {
    const t = this.typeOf(list);
    if (!t.listLike) throw new TypeError(`append needs a list-like object, got a ${t.name}`);
    this.checkObject(value, "value");
    if (this.readRefcount(value) === 0)
      throw new InvalidAddressError(value, "the object is being deallocated (refcount 0)");
    const n = this.slotCount(list, t);
    this.resizeItems(list, n, n + 1);
    this.increfUnchecked(value);
    this.writeWord(this.readWord(list + OB_ITEM) + 8 * n, value);
  }

  /**
   * list.pop(): removes the last slot of a list-like object and returns what it
   * held; the reference passes to the caller (decref it when done), as in CPython.
   */
  pop(list: number): number {
    const t = this.typeOf(list);
    if (!t.listLike) throw new TypeError(`pop needs a list-like object, got a ${t.name}`);
    const n = this.slotCount(list, t);
    if (n === 0) throw new RangeError("pop from an empty list-like object");
    const value = this.readWord(this.readWord(list + OB_ITEM) + 8 * (n - 1));
    // If the items block cannot be reallocated, the list keeps the value (CPython returns NULL then).
    this.resizeItems(list, n, n - 1);
    return value;
  }

  /** How many slots a list-like object's items block holds (`allocated`). */
  capacity(list: number): number {
    const t = this.typeOf(list);
    if (!t.listLike) throw new TypeError(`capacity needs a list-like object, got a ${t.name}`);
    return this.readWord(list + OB_ALLOCATED);
  }

  /** list_resize: keep the items block, or reallocate it to the new capacity. */
  private resizeItems(list: number, size: number, newSize: number): void {
    const allocated = this.readWord(list + OB_ALLOCATED);
    const capacity = listCapacity(size, allocated, newSize, this.profile.python);
    if (capacity >= 0) {
      const items = this.allocator.realloc(this.readWord(list + OB_ITEM), capacity * 8);
      this.writeWord(list + OB_ITEM, items);
      this.writeWord(list + OB_ALLOCATED, capacity);
    }
    this.u32[(list + OB_SIZE) >>> 2] = newSize;
  }

  private slotBase(address: number, t: ObjectType): number {
    return t.listLike ? this.readWord(address + OB_ITEM) : address + t.slotOffset;
  }

  /**
   * Stores `value` (an object, or 0 to clear) in slot `index`: the new value is
   * increfed before the old one is decrefed, as CPython's Py_SETREF does, so
   * storing the same object is safe. The old value may be deallocated.
   */
  setSlot(address: number, index: number, value: number): void {
    const t = this.typeOf(address);
    this.checkIndex(address, t, index);
    if (value !== 0) {
      this.checkObject(value, "value");
      if (this.readRefcount(value) === 0)
        throw new InvalidAddressError(value, "the object is being deallocated (refcount 0)");
    }
    const at = this.slotBase(address, t) + 8 * index;
    const old = this.readWord(at);
    if (value !== 0) this.increfUnchecked(value);
    this.writeWord(at, value);
    if (old !== 0) this.decrefUnchecked(old);
  }

  /** Adds a reference. Immortal objects (3.12+) are left alone. */
  incref(address: number): void {
    this.checkObject(address);
    if (this.readRefcount(address) === 0) {
      throw new InvalidAddressError(
        address,
        "the object is being deallocated (refcount 0) and cannot be revived by incref",
      );
    }
    this.increfUnchecked(address);
  }

  /**
   * Drops a reference; at zero the object is deallocated (finalizer, weak
   * references, the references it holds, its memory).
   * @throws InvalidAddressError for an address that is not a live object
   */
  decref(address: number): void {
    this.checkObject(address);
    if (this.readRefcount(address) === 0) {
      throw new InvalidAddressError(address, "the object is being deallocated (refcount 0): decref would go negative");
    }
    this.decrefUnchecked(address);
  }

  /** The refcount as CPython reports it (`sys.getrefcount` minus its own argument). */
  refcount(address: number): number {
    this.checkObject(address);
    return this.readRefcount(address);
  }

  /** Whether `address` is a live object of this RefCounter. */
  isAlive(address: number): boolean {
    return Number.isInteger(address) && address > 0 && testGranule(this.live, address);
  }

  /** Live objects. */
  get liveObjects(): number {
    return this.nLive;
  }

  /** Whether the object is immortal (PEP 683, 3.12+). */
  isImmortal(address: number): boolean {
    this.checkObject(address);
    return this.immortal(address);
  }

  /**
   * Makes the object immortal, as CPython 3.12+ does for its static objects:
   * its refcount becomes the profile's immortal value and incref/decref leave
   * it alone. It is never deallocated.
   * @throws TypeError under a profile before 3.12
   */
  immortalize(address: number): void {
    this.checkObject(address);
    const value = this.profile.immortalRefcount;
    if (value === null) {
      throw new TypeError(`${this.profile.name} has no immortal objects (PEP 683 arrived in 3.12)`);
    }
    this.writeWord(address, value);
  }

  /** Whether the object's finalizer has run (`gc.is_finalized`). */
  isFinalized(address: number): boolean {
    const t = this.typeOf(address);
    return this.finalized(address, t);
  }

  /**
   * A weak reference to `target` (whose type is weakrefable), owned by the
   * caller. Without a callback, an existing callback-less weak reference is
   * returned (increfed), as `weakref.ref(o)` does. When the target dies, every
   * weak reference to it is cleared, then the callbacks run, newest
   * callback-bearing reference first, each given its weak reference.
   */
  weakref(target: number, callback?: (weakref: number) => void): number {
    const t = this.typeOf(target);
    if (t.weaklistOffset < 0) throw new TypeError(`cannot create weak reference to '${t.name}' object`);
    if (callback !== undefined && typeof callback !== "function") {
      throw new TypeError(`callback must be a function, got ${typeof callback}`);
    }
    if (this.readRefcount(target) === 0) throw new InvalidAddressError(target, "the object is being deallocated");
    const listAt = target + t.weaklistOffset;
    const head = this.readWord(listAt);
    const basic = head !== 0 && this.readWord(head + WR_CALLBACK) === 0 ? head : 0;
    if (callback === undefined && basic !== 0) {
      this.increfUnchecked(basic);
      return basic;
    }
    const wr = this.new(this.weakrefType);
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

  /** The object a weak reference points to, or 0 once it died (calling the weakref). */
  weakrefTarget(weakref: number): number {
    this.checkObject(weakref, "weakref");
    if ((this.u32[(weakref + OB_TYPE) >>> 2] as number) !== this.weakrefType.id) {
      throw new TypeError(`${weakref} is a ${this.typeOf(weakref).name} object, not a weakref`);
    }
    return this.readWord(weakref + WR_OBJECT);
  }

  /** Weak references to `target`, in their list's order. */
  weakrefsOf(target: number): number[] {
    const t = this.typeOf(target);
    const out: number[] = [];
    if (t.weaklistOffset < 0) return out;
    for (let wr = this.readWord(target + t.weaklistOffset); wr !== 0; wr = this.readWord(wr + WR_NEXT)) out.push(wr);
    return out;
  }

  // ------------------------------------------------ for the cycle collector

  /** @internal Whether a cycle collector is attached (one per RefCounter). */
  hasCollector(): boolean {
    return this.collector !== undefined;
  }

  /** @internal Connects the cyclic gc: tracking at creation, untracking at deallocation, scheduled collections. */
  attachCollector(hooks: CollectorHooks): void {
    if (this.collector !== undefined) throw new TypeError("this RefCounter already has a CycleCollector");
    this.collector = hooks;
  }

  /**
   * @internal The tables by type id (container flag, slot offset or -1 for
   * items, fixed slot count or -1 for ob_size) for loops that must not call
   * per object. Valid until the next defineType.
   */
  typeTables(): { containerFlags: Uint8Array; slotOffsets: Int32Array; fixedSlots: Int32Array } {
    return { containerFlags: this.containerFlags, slotOffsets: this.slotOffsets, fixedSlots: this.fixedSlots };
  }

  /** @internal Whether a live object is a container (gc-aware), unchecked. */
  isContainerAt(address: number): boolean {
    return this.containerFlags[this.u32[(address + OB_TYPE) >>> 2] as number] === 1;
  }

  /** @internal Whether a deallocation is under way (a finalizer or callback is running inside one). */
  isDeallocating(): boolean {
    return this.sp > 0 || this.trashDepth > 0;
  }

  /** The types defined so far, in definition order (the built-in weakref and tuple types first). */
  types(): ObjectType[] {
    return [...this.typeList];
  }

  /** @internal The type of a live object, unchecked. */
  typeAt(address: number): ObjectType {
    return this.typeList[(this.u32[(address + OB_TYPE) >>> 2] as number) - 1] as ObjectType;
  }

  /** @internal Where an object's slots are, and how many: tp_traverse's view. */
  slotBaseOf(address: number, t: ObjectType): number {
    return this.slotBase(address, t);
  }

  /** @internal */
  slotCountOf(address: number, t: ObjectType): number {
    return this.slotCount(address, t);
  }

  /** @internal The refcount, unchecked. */
  refcountOf(address: number): number {
    return this.readRefcount(address);
  }

  /** @internal Py_INCREF without checks. */
  increfRaw(address: number): void {
    this.increfUnchecked(address);
  }

  /** @internal Py_DECREF without checks (may deallocate). */
  decrefRaw(address: number): void {
    this.decrefUnchecked(address);
  }

  /** @internal Whether immortal (3.12+). */
  immortalAt(address: number): boolean {
    return this.immortal(address);
  }

  /** @internal tp_finalize as the gc calls it: the FINALIZED bit is the caller's; errors are held. */
  callFinalizer(address: number, t: ObjectType): void {
    if (t.finalize === undefined) return;
    if (this.hasListeners("object:finalize")) this.emit("object:finalize", { address, type: t.name });
    try {
      t.finalize(address);
    } catch (e) {
      this.fail(e);
    }
  }

  /**
   * @internal tp_clear: slot types release their slots (forward, Py_CLEAR),
   * list-like ones their items (last first) and items block, weak references
   * their referent; tuple-like objects have no tp_clear.
   */
  clearObject(address: number, t: ObjectType): void {
    if (t === this.weakrefType) {
      this.clearWeakref(address);
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
        if (item !== 0) this.decrefUnchecked(item);
      }
      this.allocator.free(items);
      return;
    }
    const base = address + t.slotOffset;
    for (let i = 0; i < t.slots; i++) {
      const v = this.readWord(base + 8 * i);
      if (v === 0) continue;
      this.writeWord(base + 8 * i, 0);
      this.decrefUnchecked(v);
    }
  }

  /** @internal _PyWeakref_ClearRef: unlink and forget the referent, keep the callback. */
  clearWeakrefKeepCallback(wr: number): void {
    const callback = this.callbacks.get(wr);
    this.clearWeakref(wr);
    if (callback !== undefined) {
      this.callbacks.set(wr, callback);
      this.writeWord(wr + WR_CALLBACK, 1);
    }
  }

  /** @internal The first weak reference to `target` (0 when none). */
  firstWeakref(target: number, t: ObjectType): number {
    return t.weaklistOffset < 0 ? 0 : this.readWord(target + t.weaklistOffset);
  }

  /** @internal The weak reference after `wr` in its referent's list (0 at the end). */
  nextWeakref(wr: number): number {
    return this.readWord(wr + WR_NEXT);
  }

  /** @internal Whether the weak reference has a callback. */
  hasCallback(wr: number): boolean {
    return this.callbacks.has(wr);
  }

  /** @internal Calls a weak reference's callback as handle_weakrefs does (errors held). */
  callWeakrefCallback(wr: number): void {
    const callback = this.callbacks.get(wr);
    if (callback !== undefined) this.callCallback(callback, wr);
  }

  /** @internal Holds listener and callback errors across a collection. */
  holdErrors(): void {
    this.holdListenerErrors();
    this.allocator.holdListenerErrors();
  }

  /** @internal Releases them; the first is thrown, unless `discard`. */
  releaseErrors(discard = false): void {
    try {
      this.allocator.releaseListenerErrors(discard);
    } catch (e) {
      this.releaseListenerErrors(true);
      throw e;
    }
    this.releaseListenerErrors(discard);
  }

  // ---------------------------------------------------------------- internals

  /** clear_weakref: unlink `wr` from its target's list, forget its target and callback. */
  private clearWeakref(wr: number): void {
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
  private clearWeakRefs(target: number, t: ObjectType): void {
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
      if (callback !== undefined && this.readRefcount(current) > 0) this.callCallback(callback, current);
      return;
    }
    // Several: CPython gathers them in a tuple (weakref, callback) pairs, clears them all, then calls back.
    const tuple = this.new(this.tupleType, { size: count * 2 });
    const pending: Array<(weakref: number) => void> = [];
    for (let i = 0; i < count; i++) {
      const next = this.readWord(current + WR_NEXT);
      const callback = this.callbacks.get(current);
      if (this.readRefcount(current) > 0) {
        this.increfUnchecked(current);
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
    this.decrefUnchecked(tuple);
  }

  private callCallback(callback: (weakref: number) => void, weakref: number): void {
    try {
      callback(weakref);
    } catch (e) {
      this.fail(e);
    }
  }

  private readWord(at: number): number {
    const i = at >>> 2;
    const hi = this.u32[i + 1] as number;
    // Addresses and ordinary refcounts fit the low half.
    return hi === 0 ? (this.u32[i] as number) : (this.u32[i] as number) + hi * 0x1_0000_0000;
  }

  private writeWord(at: number, value: number): void {
    const i = at >>> 2;
    if (value >>> 0 === value) {
      this.u32[i] = value;
      this.u32[i + 1] = 0;
      return;
    }
    this.u32[i] = value >>> 0;
    this.u32[i + 1] = Math.floor(value / 0x1_0000_0000);
  }

  private readRefcount(address: number): number {
    return this.readWord(address);
  }

  private immortal(address: number): boolean {
    // 3.12+: immortal when the low 32 bits, read as int32, are negative.
    return this.profile.immortalRefcount !== null && ((this.u32[address >>> 2] as number) | 0) < 0;
  }

  private increfUnchecked(address: number): void {
    if (this.immortal(address)) return;
    const i = address >>> 2;
    const lo = ((this.u32[i] as number) + 1) >>> 0;
    this.u32[i] = lo;
    if (lo === 0) this.u32[i + 1] = (this.u32[i + 1] as number) + 1;
    if (this.hasListeners("object:incref"))
      this.emit("object:incref", { address, refcount: this.readRefcount(address) });
  }

  private decrefUnchecked(address: number): void {
    if (this.immortal(address)) return;
    const i = address >>> 2;
    const lo = this.u32[i] as number;
    if (lo === 0) {
      const hi = this.u32[i + 1] as number;
      if (hi === 0) throw new PymemError(`refcount of ${address} would go negative`);
      this.u32[i + 1] = hi - 1;
    }
    this.u32[i] = (lo - 1) >>> 0;
    const count = this.readRefcount(address);
    if (this.hasListeners("object:decref")) this.emit("object:decref", { address, refcount: count });
    if (count === 0) this.dealloc(address);
  }

  private slotCount(address: number, t: ObjectType): number {
    return t.varSized || t.listLike ? (this.u32[(address + OB_SIZE) >>> 2] as number) : t.slots;
  }

  private finalized(address: number, t: ObjectType): boolean {
    if (t.container) return ((this.u32[(address + GC_PREV) >>> 2] as number) & PREV_MASK_FINALIZED) !== 0;
    return testGranule(this.finalizedPlain, address);
  }

  private setFinalized(address: number, t: ObjectType): void {
    if (t.container) {
      const i = (address + GC_PREV) >>> 2;
      this.u32[i] = (this.u32[i] as number) | PREV_MASK_FINALIZED;
    } else {
      this.finalizedPlain = growGranules(this.finalizedPlain, address + 16);
      setGranule(this.finalizedPlain, address);
    }
  }

  /**
   * Runs deallocations until the one started here, and everything it caused,
   * is done. Errors of listeners and finalizers (CPython prints "Exception
   * ignored in ..." and goes on) are held until then; the first is thrown.
   */
  private dealloc(address: number): void {
    const base = this.sp;
    this.holdListenerErrors();
    this.allocator.holdListenerErrors();
    this.enter(address);
    while (this.sp > base) this.step();
    try {
      this.allocator.releaseListenerErrors();
    } catch (e) {
      this.releaseListenerErrors(true);
      throw e;
    }
    this.releaseListenerErrors();
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
        if (this.hasListeners("object:finalize")) this.emit("object:finalize", { address, type: t.name });
        try {
          t.finalize(address);
        } catch (e) {
          this.fail(e);
        }
        const left = this.readRefcount(address) - 1;
        this.writeWord(address, left);
        if (left === 0 && gc !== undefined && gc.isTracked(address)) gc.untrack(address);
        if (left > 0) {
          this.sp--;
          this.trashcanEnd(t);
          if (this.hasListeners("object:resurrect")) {
            this.emit("object:resurrect", { address, type: t.name, refcount: left });
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
      const count = this.readRefcount(child);
      if (this.hasListeners("object:decref")) this.emit("object:decref", { address: child, refcount: count });
      if (count === 0) {
        this.stackNext[top] = next;
        this.enter(child);
        return;
      }
    }
    // Everything released: free the memory (a list's items block first, then PyObject_GC_Del / PyObject_Free).
    if (t.listLike && slots !== 0) this.allocator.free(slots);
    this.sp--;
    clearGranule(this.live, address);
    this.nLive--;
    const gc = t.container ? this.collector : undefined;
    if (gc !== undefined) {
      if (gc.isTracked(address)) gc.untrack(address);
      gc.released();
    }
    this.allocator.free(t.container ? address - this.gcHead : address);
    if (this.hasListeners("object:dealloc")) this.emit("object:dealloc", { address, type: t.name });
    this.trashcanEnd(t);
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

  private checkType(type: ObjectType): ObjectType {
    const t = typeof type === "object" && type !== null ? this.typeList[type.id - 1] : undefined;
    if (t === undefined || t !== type) {
      throw new TypeError(
        `not a type defined by this RefCounter: ${String((type as { name?: unknown })?.name ?? type)}`,
      );
    }
    return t;
  }

  private checkObject(address: number, what = "address"): void {
    checkAddress(address, what);
    if (!testGranule(this.live, address)) {
      throw new InvalidAddressError(address, "not a live object of this RefCounter (never created, or freed)");
    }
  }

  private checkIndex(address: number, t: ObjectType, index: number): void {
    const n = this.slotCount(address, t);
    if (!Number.isInteger(index) || index < 0 || index >= n) {
      throw new RangeError(`slot index ${String(index)} out of range for ${t.name} object with ${n} slots`);
    }
  }
}

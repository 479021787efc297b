/**
 * RefCounter: CPython's objects and reference counting over an allocator's
 * memory, the public face of the objects. Objects live in blocks of the
 * allocator (pymalloc by default), with `ob_refcnt` and `ob_type` at the
 * object's address and, for containers, a PyGC_Head just before it.
 *
 * Every method checks its arguments, then hands the work to the objects'
 * core (object-core.ts and the files it builds on: the store, list items,
 * weak references, deallocation), which the cycle collector reaches through
 * an internal view of its own (collector-view.ts), without these checks.
 *
 * @module
 */

import { InvalidAddressError } from "../errors.js";
import { Emitter } from "../events.js";
import { checkAddress, checkSize } from "../internal/arguments.js";
import { declareLayer } from "../internal/layer-state.js";
import { checkObjectAllocator, type ObjectAllocator } from "../object-allocator.js";
import { defaultProfile, type Profile } from "../profiles.js";
import { BlockAllocator } from "../pymalloc/block-allocator.js";
import type { CollectorView } from "./collector-view.js";
import { ObjectCore } from "./object-core.js";
import type { ObjectEvents } from "./object-events.js";
import { MAX_SLOTS, type ObjectType, type TypeSpec } from "./object-type.js";

/** Options for {@link RefCounter}. */
export interface RefCounterOptions {
  /** Where objects live (default: a new BlockAllocator): pymalloc, the raw allocator, or any {@link ObjectAllocator}. */
  allocator?: ObjectAllocator;
  /** The profile (default: the allocator's, else the default profile). */
  profile?: Profile;
}

// The cycle collector's way in, without making the core part of the class's public face.
let coreOf: (objects: RefCounter) => ObjectCore;

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
  static {
    coreOf = (objects) => objects.core;
  }

  /** The allocator objects live in. */
  readonly allocator: ObjectAllocator;
  /** The profile: layout sizes, immortality and trashcan rules. */
  readonly profile: Profile;
  private readonly core: ObjectCore;

  constructor(options: RefCounterOptions = {}) {
    super();
    if (typeof options !== "object" || options === null) {
      throw new TypeError(`options must be an object, got ${String(options)}`);
    }
    const a = options.allocator ?? new BlockAllocator();
    checkObjectAllocator(a, "options.allocator");
    this.allocator = a;
    this.profile = options.profile ?? a.profile ?? defaultProfile;
    this.core = new ObjectCore(a, this.profile, this);
    declareLayer(this, {
      kind: "objects",
      below: a,
      parts: [{ owner: this.core, state: ObjectCore.stateFields, fixed: ObjectCore.fixedFields }],
      busy: () => this.core.isDeallocating(),
    });
  }

  /** The type of weak reference objects (CPython's `weakref.ReferenceType`). */
  get weakrefType(): ObjectType {
    return this.core.weakrefType;
  }

  /**
   * Defines a type; its instances are made with {@link RefCounter.new}. Its
   * name must differ from those of the types defined before it on this
   * RefCounter: names identify types (a snapshot's finalizers are supplied by
   * type name). The built-in `weakref` and `tuple` types do not count.
   * @throws TypeError for a bad spec, or a name already defined here (nothing is defined then)
   */
  defineType(spec: TypeSpec): ObjectType {
    const name = typeof spec === "object" && spec !== null ? spec.name : undefined;
    if (typeof name === "string" && this.core.userTypeNamed(name) !== undefined) {
      throw new TypeError(
        `a type named ${JSON.stringify(name)} is already defined on this RefCounter: ` +
          "type names must be unique (they identify types, as a snapshot's finalizers do)",
      );
    }
    return this.core.defineType(spec);
  }

  /** The types defined so far, in definition order (the built-in weakref and tuple types first). */
  types(): ObjectType[] {
    return this.core.types();
  }

  /** The type stored in an object's `ob_type`. */
  typeOf(address: number): ObjectType {
    this.checkObject(address);
    return this.core.typeAt(address);
  }

  /**
   * A new object of `type` with refcount 1, owned by the caller; its slots are
   * empty (0). Var-sized types take `options?.size` slots.
   */
  new(type: ObjectType, options?: { size?: number }): number {
    if (!this.core.hasType(type)) {
      throw new TypeError(
        `not a type defined by this RefCounter: ${String((type as { name?: unknown })?.name ?? type)}`,
      );
    }
    let n = type.slots;
    if (type.varSized || type.listLike) {
      n = checkSize(options?.size ?? type.slots, "size", MAX_SLOTS);
    } else if (options?.size !== undefined && options?.size !== type.slots) {
      throw new RangeError(
        `type ${type.name} has a fixed ${type.slots} slots; size ${String(options?.size)} is not allowed`,
      );
    }
    const address = this.core.newObject(type, n);
    // A weak reference object made bare still has the gc's weak reference passes look at it.
    if (type === this.core.weakrefType) this.core.weakrefsMade++;
    return address;
  }

  /** Number of slots of the object. */
  size(address: number): number {
    return this.core.slotCount(address, this.typeOf(address));
  }

  /** The object in slot `index`, or 0. */
  getSlot(address: number, index: number): number {
    const t = this.typeOf(address);
    this.checkIndex(address, t, index);
    return this.core.readWord(this.core.slotBase(address, t) + 8 * index);
  }

  /**
   * Stores `value` (an object, or 0 to clear) in slot `index`: the new value is
   * increfed before the old one is decrefed, as CPython's Py_SETREF does, so
   * storing the same object is safe. The old value may be deallocated.
   */
  setSlot(address: number, index: number, value: number): void {
    const core = this.core;
    const t = this.typeOf(address);
    this.checkIndex(address, t, index);
    if (value !== 0) this.checkReferable(value, "value");
    const at = core.slotBase(address, t) + 8 * index;
    const old = core.readWord(at);
    if (value !== 0) core.incref(value);
    core.writeWord(at, value);
    if (old !== 0) core.decref(old);
  }

  /**
   * list.append: grows a list-like object by one slot (list_resize's
   * over-allocation, reallocating its items block) and stores `value` there.
   */
  append(list: number, value: number): void {
    const t = this.typeOf(list);
    if (!t.listLike) throw new TypeError(`append needs a list-like object, got a ${t.name}`);
    this.checkReferable(value, "value");
    this.core.append(list, value);
  }

  /**
   * list.extend with a list or tuple of `values`: one resize of the items
   * block for all of them (CPython's rule for the release), then each stored
   * with a new reference.
   */
  extend(list: number, values: readonly number[]): void {
    const t = this.typeOf(list);
    if (!t.listLike) throw new TypeError(`extend needs a list-like object, got a ${t.name}`);
    if (!Array.isArray(values)) throw new TypeError(`values must be an array of objects, got ${String(values)}`);
    for (let i = 0; i < values.length; i++) {
      // The value's name is built only for the error.
      const v = values[i] as number;
      if (!this.core.isAlive(v) || this.core.refcount(v) === 0) this.checkReferable(v, `values[${i}]`);
    }
    this.core.extend(list, values);
  }

  /**
   * list.pop(): removes the last slot of a list-like object and returns what it
   * held; the reference passes to the caller (decref it when done), as in CPython.
   */
  pop(list: number): number {
    const t = this.typeOf(list);
    if (!t.listLike) throw new TypeError(`pop needs a list-like object, got a ${t.name}`);
    if (this.core.slotCount(list, t) === 0) throw new RangeError("pop from an empty list-like object");
    return this.core.pop(list);
  }

  /** How many slots a list-like object's items block holds (`allocated`). */
  capacity(list: number): number {
    const t = this.typeOf(list);
    if (!t.listLike) throw new TypeError(`capacity needs a list-like object, got a ${t.name}`);
    return this.core.capacity(list);
  }

  /** Adds a reference. Immortal objects (3.12+) are left alone. */
  incref(address: number): void {
    this.checkObject(address);
    if (this.core.refcount(address) === 0) {
      throw new InvalidAddressError(
        address,
        "the object is being deallocated (refcount 0) and cannot be revived by incref",
      );
    }
    this.core.incref(address);
  }

  /**
   * Drops a reference; at zero the object is deallocated (finalizer, weak
   * references, the references it holds, its memory).
   * @throws InvalidAddressError for an address that is not a live object
   */
  decref(address: number): void {
    this.checkObject(address);
    if (this.core.refcount(address) === 0) {
      throw new InvalidAddressError(address, "the object is being deallocated (refcount 0): decref would go negative");
    }
    this.core.decref(address);
  }

  /** The refcount as CPython reports it (`sys.getrefcount` minus its own argument). */
  refcount(address: number): number {
    this.checkObject(address);
    return this.core.refcount(address);
  }

  /** Whether `address` is a live object of this RefCounter. */
  isAlive(address: number): boolean {
    return this.core.isAlive(address);
  }

  /** Live objects. */
  get liveObjects(): number {
    return this.core.nLive;
  }

  /** Whether the object is immortal (PEP 683, 3.12+). */
  isImmortal(address: number): boolean {
    this.checkObject(address);
    return this.core.immortal(address);
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
    this.core.writeWord(address, value);
  }

  /** Whether the object's finalizer has run (`gc.is_finalized`). */
  isFinalized(address: number): boolean {
    const t = this.typeOf(address);
    return this.core.finalized(address, t);
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
    if (!t.weakrefable) throw new TypeError(`cannot create weak reference to '${t.name}' object`);
    if (callback !== undefined && typeof callback !== "function") {
      throw new TypeError(`callback must be a function, got ${typeof callback}`);
    }
    if (this.core.refcount(target) === 0) throw new InvalidAddressError(target, "the object is being deallocated");
    return this.core.weakref(target, t, callback);
  }

  /** The object a weak reference points to, or 0 once it died (calling the weakref). */
  weakrefTarget(weakref: number): number {
    this.checkObject(weakref, "weakref");
    const t = this.core.typeAt(weakref);
    if (t !== this.core.weakrefType) throw new TypeError(`${weakref} is a ${t.name} object, not a weakref`);
    return this.core.weakrefTarget(weakref);
  }

  /** Weak references to `target`, in their list's order. */
  weakrefsOf(target: number): number[] {
    return this.core.weakrefsOf(target, this.typeOf(target));
  }

  private checkObject(address: number, what = "address"): void {
    checkAddress(address, what);
    if (!this.core.isAlive(address)) {
      throw new InvalidAddressError(address, "not a live object of this RefCounter (never created, or freed)");
    }
  }

  /** A live object that can take a new reference: not one being deallocated. */
  private checkReferable(address: number, what: string): void {
    this.checkObject(address, what);
    if (this.core.refcount(address) === 0) {
      throw new InvalidAddressError(address, "the object is being deallocated (refcount 0)");
    }
  }

  private checkIndex(address: number, t: ObjectType, index: number): void {
    const n = this.core.slotCount(address, t);
    if (!Number.isInteger(index) || index < 0 || index >= n) {
      throw new RangeError(`slot index ${String(index)} out of range for ${t.name} object with ${n} slots`);
    }
  }
}

/** The objects' core, for a layer built on them (the built-ins), or undefined when `objects` is not a RefCounter. */
export function objectCoreOf(objects: unknown): ObjectCore | undefined {
  return objects instanceof RefCounter ? coreOf(objects) : undefined;
}

/** The objects' core as the cycle collector sees it, or undefined when `objects` is not a RefCounter. */
export function collectorViewOf(objects: unknown): CollectorView | undefined {
  return objects instanceof RefCounter ? coreOf(objects) : undefined;
}

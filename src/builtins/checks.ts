/**
 * The checks of the built-ins' arguments: the common case in one test, the
 * error (typed, naming the bad value) built only when it fails.
 *
 * @module
 */

import { InvalidAddressError } from "../errors.js";
import { checkAddress } from "../internal/arguments.js";
import type { ObjectCore } from "../objects/object-core.js";
import type { ObjectType } from "../objects/object-type.js";
import type { RefCounter } from "../objects/ref-counter.js";

/** Argument checks of one Builtins. */
export class BuiltinChecks {
  private readonly core: ObjectCore;
  private readonly objects: RefCounter;
  private readonly isClass: (t: ObjectType) => boolean;

  constructor(core: ObjectCore, objects: RefCounter, isClass: (t: ObjectType) => boolean) {
    this.core = core;
    this.objects = objects;
    this.isClass = isClass;
  }

  items(items: readonly number[]): void {
    if (!Array.isArray(items)) throw new TypeError(`items must be an array of objects, got ${String(items)}`);
    for (let i = 0; i < items.length; i++) {
      // The item's name is built only for the error: a string per item would cost more than the check.
      const v = items[i] as number;
      if (!this.isObject(v)) this.object(v, `items[${i}]`);
    }
  }

  /**
   * [key, value] pairs of live objects, every key hashable: their hashes (low
   * and high halves), worked out before anything is made.
   */
  entries(
    entries: ReadonlyArray<readonly [number, number]>,
    hash: (key: number) => number,
    high: () => number,
  ): [Float64Array, Float64Array] {
    if (!Array.isArray(entries))
      throw new TypeError(`entries must be an array of [key, value], got ${String(entries)}`);
    const lo = new Float64Array(entries.length);
    const hi = new Float64Array(entries.length);
    // A plain loop: forEach would pass over a sparse array's holes.
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i];
      if (!Array.isArray(e) || e.length !== 2) throw new TypeError(`entries[${i}] must be a [key, value] pair`);
      this.object(e[0], `entries[${i}][0]`);
      this.object(e[1], `entries[${i}][1]`);
      lo[i] = hash(e[0]);
      hi[i] = high();
    }
    return [lo, hi];
  }

  /** Whether `v` is a live object that can take a new reference. */
  isObject(v: number): boolean {
    return this.core.isReferenceable(v);
  }

  /** A live object that can take a new reference (`what` names it in the error). */
  object(v: number, what: string): void {
    if (this.isObject(v)) return;
    if (!Number.isInteger(v) || v <= 0) checkAddress(v, what);
    throw new InvalidAddressError(v, `${what} is not a live object of these objects`);
  }

  /** A class made by {@link Builtins.newClass} and not dropped. */
  cls(cls: ObjectType): void {
    if (!this.isClass(cls)) {
      throw new TypeError(`not a class of these built-ins: ${String((cls as { name?: unknown })?.name ?? cls)}`);
    }
  }

  /** An instance of a class and an attribute name (`plain`: not one of the descriptors every instance has). */
  attr(obj: number, name: string, plain = false): void {
    // A live object's type without a second look at the address (typeOf checks it, and throws what is wrong).
    const t = this.core.isAlive(obj) ? this.core.typeAt(obj) : this.objects.typeOf(obj);
    if (!this.isClass(t)) throw new TypeError(`expected an instance of a class, got a ${t.name} at ${obj}`);
    if (typeof name !== "string" || name.length === 0) {
      throw new TypeError(`attribute name must be a non-empty string, got ${JSON.stringify(name)}`);
    }
    if (plain && (name === "__dict__" || name === "__weakref__" || name === "__class__")) {
      throw new TypeError(
        `attribute ${JSON.stringify(name)} is a descriptor of the type, not modelled as an attribute`,
      );
    }
  }

  type(address: number, t: ObjectType, what = t.name): void {
    // The common case in one test; anything else goes through typeOf, which names what is wrong with the address.
    if (this.core.isLiveOf(address, t)) return;
    const actual = this.objects.typeOf(address);
    if (actual !== t) throw new TypeError(`expected a ${what} object, got a ${actual.name} at ${address}`);
  }
}

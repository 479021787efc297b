/**
 * Instances of user classes, as CPython makes them for `class A: pass` (an
 * object subclass with a `__dict__` and a `__weakref__`) and
 * `class B: __slots__ = ("x", "y")` (member slots in the object, no dict, a
 * weaklist only when `"__weakref__"` is among the slots), in each release's
 * layout:
 *
 * - 3.8–3.10: a dict slot and a weaklist slot in the object. The class keeps
 *   shared keys (ht_cached_keys, 8 slots, made with the class); the first
 *   store makes a split dict over them, with a values array of its own. A
 *   store that would leave the keys' order, a deletion, or a full table
 *   combines the dict; when the dict was the keys' only other user, its new
 *   table becomes the class's shared keys (make_keys_shared), else the class
 *   drops them for good, and any deletion drops them too.
 * - 3.11: the values array's pointer and the dict's before the gc head
 *   (Py_TPFLAGS_MANAGED_DICT), the weaklist in the object; the array is made
 *   with the object, sized by the class's shared keys (64 slots, at most 30
 *   entries: each new instance lowers what is left by one while above one).
 *   Asking for `__dict__`, or a key the shared keys cannot take, makes a
 *   split dict over the array.
 * - 3.12: as 3.11, with one word for either the values or the dict, and the
 *   weaklist before the gc head too.
 * - 3.13+: the values inside the object (inline values), so its size depends
 *   on the class's shared keys when it is made; a dict made for `__dict__`
 *   shares them until the object dies, when they are copied out.
 *
 * Instances are gc objects tracked from birth. Per-class state lives in one
 * small record per class; an instance is only simulated memory.
 *
 * @module
 */

import type { ObjectCore } from "../objects/object-core.js";
import type { ObjectType } from "../objects/object-type.js";
import type { BuiltinRules } from "./builtin-rules.js";
import type { DictTables } from "./dict-tables.js";
import type { SplitValues } from "./split-values.js";

/** Options of a class (what its body declares). */
export interface ClassOptions {
  /**
   * `__slots__`: the names of member slots, in order; `"__weakref__"` among
   * them gives instances a weaklist. Without it the class has a `__dict__`
   * and a `__weakref__`.
   */
  slots?: readonly string[];
  /**
   * `__del__` (tp_finalize, PEP 442): called with an instance's address once,
   * before it is freed: from its deallocation, or by the gc for an instance
   * in unreachable cycles. It may resurrect the instance by taking a
   * reference to it ({@link RefCounter.incref}, the address kept). A Python
   * `__del__` that runs no code of its own allocates nothing (3.8–3.10 keep
   * its frame for the next call), so the allocator calls are the same.
   */
  finalize?: (address: number) => void;
}

/** What {@link Builtins.classInfo} says of a class. */
export interface ClassDescription {
  /** Member slot names (without `"__weakref__"`), in order; empty for a class with a `__dict__`. */
  readonly slots: readonly string[];
  /** Instances have a `__dict__` (the class declares no `__slots__`). */
  readonly hasDict: boolean;
  /** Instances can be weakly referenced. */
  readonly weakref: boolean;
  /** tp_basicsize: the bytes of an instance after any pre-header and gc head, inline values aside. */
  readonly basicSize: number;
  /** The class's shared keys (`ht_cached_keys`), 0 when it has none (3.8–3.10 drop them). */
  readonly sharedKeys: number;
  /** Live instances. */
  readonly instances: number;
}

/** What pymem keeps of a class: one record per class, none per instance. */
interface ClassInfo {
  readonly type: ObjectType;
  /** Member slot names (without `__weakref__`), in order. */
  readonly slots: readonly string[];
  /** Instances have a `__dict__` (no `__slots__`). */
  readonly hasDict: boolean;
  /** tp_basicsize. */
  readonly basicSize: number;
  /** Where the dict word (3.12: dict or values; 3.13+: the managed dict) is, from the object. */
  readonly dictAt: number;
  /** ht_cached_keys (0: none; 3.8–3.10 drop them for good). */
  cachedKeys: number;
  /** Live instances. */
  live: number;
  /** Dropped with {@link Instances.dropClass}: no instance can be made. */
  dropped: boolean;
}

// 3.11: the values pointer, then the dict pointer, before the gc head.
const VALUES_311 = -32;
const MANAGED_DICT = -24;
const MANAGED_WEAKREF = -32;
// 3.13+: the inline values after the object header.
const INLINE_VALUES = 16;

/** A Python identifier, as `__slots__` takes them. */
const IDENTIFIER = /^[\p{L}\p{Nl}_][\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}]*$/u;

/** An attribute name: its str, hash halves, and its index in the shared keys it was last found in. */
interface AttrName {
  s: number;
  lo: number;
  hi: number;
  keys: number;
  ix: number;
}

/** The classes and instances of one Builtins. */
export class Instances {
  private readonly core: ObjectCore;
  private readonly dicts: DictTables;
  private readonly values: SplitValues;
  private readonly layout: BuiltinRules["instanceLayout"];
  // Dicts tracked once they hold something the gc may track (up to 3.13).
  private readonly lazyTracking: boolean;
  /** By type id: the class's record. */
  private readonly classes: (ClassInfo | undefined)[] = [];
  /**
   * Attribute names, interned: a static str each, with its hash's halves (hashed once), and where it last
   * was in a class's shared keys (`keys`, 0 for none; 3.11+ only add keys to them, so an index found stays
   * true while the keys live), as CPython's STORE_ATTR caches the index instead of looking it up again.
   */
  private readonly names = new Map<string, AttrName>();
  // The entry of the name name() last gave.
  private lastName: AttrName = { s: 0, lo: 0, hi: 0, keys: 0, ix: -1 };
  private readonly intern: (name: string) => number;
  private readonly text: (key: number) => string | undefined;
  private readonly hashOf: (str: number) => number;
  private readonly hashHigh: () => number;

  constructor(
    core: ObjectCore,
    rules: BuiltinRules,
    dicts: DictTables,
    strs: {
      /** A static (interned) str of `name`, owned by the caller for good. */
      intern: (name: string) => number;
      /** The text of a str, undefined for another object. */
      text: (key: number) => string | undefined;
      /** A str's hash: the low 32 bits, the high ones from hashHigh(). */
      hash: (str: number) => number;
      hashHigh: () => number;
    },
  ) {
    this.core = core;
    this.dicts = dicts;
    this.values = dicts.values;
    this.layout = rules.instanceLayout;
    this.lazyTracking = rules.minor <= 13;
    this.intern = strs.intern;
    this.text = strs.text;
    this.hashOf = strs.hash;
    this.hashHigh = strs.hashHigh;
  }

  // --- classes ------------------------------------------------------------------

  /**
   * A class (type_new): its type, with the layout its instances get, and
   * (with a `__dict__`) its shared keys. Validates everything first.
   */
  newClass(name: string, options: ClassOptions | undefined): ObjectType {
    if (typeof name !== "string" || name.length === 0) {
      throw new TypeError(`class name must be a non-empty string, got ${JSON.stringify(name)}`);
    }
    if (options !== undefined && (typeof options !== "object" || options === null)) {
      throw new TypeError(`class options must be an object, got ${String(options)}`);
    }
    const declared = options?.slots;
    let slots: string[] = [];
    let weakref = declared === undefined;
    if (declared !== undefined) {
      if (!Array.isArray(declared)) throw new TypeError(`slots must be an array of names, got ${String(declared)}`);
      const seen = new Set<string>();
      for (const s of declared as unknown[]) {
        if (typeof s !== "string" || !IDENTIFIER.test(s)) {
          throw new TypeError(`__slots__ must be identifiers, got ${JSON.stringify(s)}`);
        }
        if (seen.has(s)) throw new TypeError(`__slots__ names ${JSON.stringify(s)} twice`);
        if (s === "__dict__") {
          throw new TypeError(`a "__dict__" slot is not modelled: declare no __slots__ for instances with a __dict__`);
        }
        seen.add(s);
      }
      weakref = seen.has("__weakref__");
      slots = [...seen].filter((s) => s !== "__weakref__");
    }
    const finalize = options?.finalize;
    if (finalize !== undefined && typeof finalize !== "function") {
      throw new TypeError(`finalize must be a function, got ${String(finalize)}`);
    }
    const hasDict = declared === undefined;
    const n = slots.length;
    let basicSize = 16 + 8 * n;
    let preHeader = 0;
    let weaklistAt: number | undefined;
    let dictAt = 0;
    const layout = this.layout;
    if (hasDict && layout === "dict") {
      dictAt = basicSize;
      weaklistAt = basicSize + 8;
      basicSize += 16;
    } else if (hasDict && layout === "values") {
      preHeader = 16;
      dictAt = MANAGED_DICT;
      weaklistAt = basicSize;
      basicSize += 8;
    } else if (hasDict || (weakref && layout !== "dict" && layout !== "values")) {
      // 3.12+: the dict (or values) word and the weaklist before the gc head.
      preHeader = 16;
      dictAt = hasDict ? MANAGED_DICT : 0;
      weaklistAt = MANAGED_WEAKREF;
    } else if (weakref) {
      weaklistAt = basicSize;
      basicSize += 8;
    }
    const type = this.core.defineNativeType(
      {
        name,
        container: true,
        weakrefable: weakref,
        ...(weaklistAt === undefined ? {} : { weaklistOffset: weaklistAt }),
        preHeaderBytes: preHeader,
        dataBytes: basicSize - 16,
        ...(finalize === undefined ? {} : { finalize }),
      },
      {
        dispose: (a) => this.dispose(a),
        refCount: (a) => this.refCount(a),
        refAt: (a, k) => this.refAt(a, k),
        traverseCount: (a) => this.traverseCount(a),
        traverseAt: (a, k) => this.traverseAt(a, k),
        clear: (a) => this.clear(a),
      },
    );
    const cachedKeys = hasDict ? this.dicts.newSharedKeys() : 0;
    this.classes[type.id] = { type, slots, hasDict, basicSize, dictAt, cachedKeys, live: 0, dropped: false };
    return type;
  }

  /** The class record of a type made by {@link newClass} and not dropped, or undefined. */
  private classOf(t: ObjectType): ClassInfo | undefined {
    const c = this.classes[t.id];
    return c !== undefined && c.type === t && !c.dropped ? c : undefined;
  }

  /** Live instances of a class. */
  liveInstances(t: ObjectType): number {
    return this.classOf(t)?.live ?? 0;
  }

  /**
   * The class goes (type_dealloc, once nothing refers to it): it lets go of
   * its shared keys, which are freed when no dict holds them. The caller has
   * checked that no instance is left.
   */
  dropClass(t: ObjectType): void {
    const c = this.classOf(t) as ClassInfo;
    c.dropped = true;
    if (c.cachedKeys !== 0) this.dropCachedKeys(c, 0);
    // Its keys may be freed and their block reused for another class's: no index found in them holds.
    for (const n of this.names.values()) n.keys = 0;
  }

  /** Whether `t` is a class made here. */
  isClass(t: unknown): boolean {
    return typeof t === "object" && t !== null && this.classOf(t as ObjectType) !== undefined;
  }

  /** The record of the class of live object `a` (an instance). */
  private infoAt(a: number): ClassInfo {
    return this.classes[this.core.u32[(a + 8) >>> 2] as number] as ClassInfo;
  }

  /** What the class is now: its slots, its shared keys, its live instances. */
  describe(t: ObjectType): ClassDescription {
    const c = this.classOf(t) as ClassInfo;
    return {
      slots: c.slots,
      hasDict: c.hasDict,
      weakref: t.weakrefable,
      basicSize: c.basicSize,
      sharedKeys: c.cachedKeys,
      instances: c.live,
    };
  }

  // --- instances ------------------------------------------------------------------

  /** `cls()` (object_new): the object, and 3.11–3.12 its values array, 3.13+ its inline values. */
  instance(t: ObjectType): number {
    const c = this.classOf(t) as ClassInfo;
    const core = this.core;
    const fixed = core.profile.gcHeadSize + t.preHeader + c.basicSize;
    const k = c.cachedKeys;
    if (!c.hasDict || this.layout === "dict") return this.made(c, core.newObject(t, 0, fixed));
    if (this.layout === "inline") {
      // Sized by the shared keys as they are now, then they leave one entry less to the next instance.
      const a = this.made(c, core.newObject(t, 0, fixed + this.values.bytes(this.dicts.sharedCapacity(k))));
      this.shrinkShared(k);
      this.values.initInline(a + INLINE_VALUES, this.dicts.sharedCapacity(k));
      return a;
    }
    const a = this.made(c, core.newObject(t, 0, fixed));
    this.shrinkShared(k);
    try {
      this.setValues(a, this.values.alloc(this.dicts.sharedCapacity(k)));
    } catch (e) {
      // _PyObject_InitializeDict failed: the object goes.
      core.decref(a);
      throw e;
    }
    return a;
  }

  /** Counts a new instance. */
  private made(c: ClassInfo, a: number): number {
    c.live++;
    return a;
  }

  /** Each new instance lowers what the shared keys have left by one, while more than one is left (3.11+). */
  private shrinkShared(k: number): void {
    const left = this.dicts.keysUsable(k);
    if (left > 1) this.dicts.setKeysUsable(k, left - 1);
  }

  /** The values array the instance's attributes are in (3.11+), 0 when they are in a dict. */
  private valuesOf(a: number): number {
    if (this.layout === "values") return this.core.readWord(a + VALUES_311);
    if (this.layout === "dict-or-values") {
      const w = this.core.readWord(a + MANAGED_DICT);
      // 3.12 tags the values pointer (minus one): an odd word.
      return w % 2 === 1 ? w + 1 : 0;
    }
    if (this.layout === "inline") return this.values.valid(a + INLINE_VALUES) ? a + INLINE_VALUES : 0;
    return 0;
  }

  private setValues(a: number, v: number): void {
    if (this.layout === "values") this.core.writeWord(a + VALUES_311, v);
    else this.core.writeWord(a + MANAGED_DICT, v === 0 ? 0 : v - 1);
  }

  /** The instance's dict, 0 when it has none (yet). */
  private dictOf(a: number, c: ClassInfo): number {
    if (!c.hasDict) return 0;
    const w = this.core.readWord(a + c.dictAt);
    return this.layout === "dict-or-values" && w % 2 === 1 ? 0 : w;
  }

  private setDict(a: number, c: ClassInfo, d: number): void {
    this.core.writeWord(a + c.dictAt, d);
  }

  /** An interned name's str and hash halves (`hi` in {@link hi}). */
  private name(name: string): number {
    let n = this.names.get(name);
    if (n === undefined) {
      const s = this.intern(name);
      n = { s, lo: this.hashOf(s), hi: this.hashHigh(), keys: 0, ix: -1 };
      this.names.set(name, n);
    }
    this.lastName = n;
    this.lo = n.lo;
    this.hi = n.hi;
    return n.s;
  }

  // The last name's hash halves.
  private lo = 0;
  private hi = 0;

  /** The member slot index of `name`, or -1. */
  private slotIndex(c: ClassInfo, name: string): number {
    return c.slots.indexOf(name);
  }

  /** `o.name` looked up in the instance (a borrowed reference), 0 when it has none; no side effect. */
  getAttr(a: number, name: string): number {
    const c = this.infoAt(a);
    const slot = this.slotIndex(c, name);
    if (slot >= 0) return this.core.readWord(a + 16 + 8 * slot);
    if (!c.hasDict) return 0;
    // A name never stored through an instance is not interned here: found by its text, without making its str.
    if (!this.names.has(name)) return this.findByText(a, c, name);
    const s = this.name(name);
    const v = this.valuesOf(a);
    if (v !== 0) {
      const ix = this.dicts.find(c.cachedKeys, s, this.lo, this.hi);
      return ix < 0 ? 0 : this.values.get(v, ix);
    }
    const d = this.dictOf(a, c);
    return d === 0 ? 0 : this.dicts.getItem(d, s, this.lo, this.hi);
  }

  /** The attribute whose key is a str of text `name` (a key a dict's setItem put there), or 0; changes nothing. */
  private findByText(a: number, c: ClassInfo, name: string): number {
    const v = this.valuesOf(a);
    if (v !== 0) {
      for (let i = 0, n = this.dicts.nentries(c.cachedKeys); i < n; i++) {
        const value = this.values.get(v, i);
        if (value !== 0 && this.text(this.dicts.sharedKeyAt(c.cachedKeys, i)) === name) return value;
      }
      return 0;
    }
    const d = this.dictOf(a, c);
    if (d === 0) return 0;
    for (const key of this.dicts.keys(d)) {
      if (this.text(key) === name) return this.dicts.getItem(d, key, this.hashOf(key), this.hashHigh());
    }
    return 0;
  }

  /**
   * `o.name = value` (PyObject_GenericSetAttr), or `del o.name` for value 0
   * (the caller has checked the attribute is there): a member slot, else the
   * release's path into the values or the dict. False, with nothing done,
   * for a name the instance has no place for (a `__slots__` class's other names).
   */
  setAttr(a: number, name: string, value: number): boolean {
    const core = this.core;
    const c = this.infoAt(a);
    const slot = this.slotIndex(c, name);
    if (slot >= 0) {
      const at = a + 16 + 8 * slot;
      const old = core.readWord(at);
      if (value !== 0) core.incref(value);
      core.writeWord(at, value);
      if (old !== 0) core.decref(old);
      return true;
    }
    if (!c.hasDict) return false;
    const s = this.name(name);
    const v = this.valuesOf(a);
    if (this.layout === "dict") this.storeInDict310(a, c, s, value);
    else if (v !== 0) this.storeInValues(a, c, v, s, value);
    else this.storeInDict(this.dictOf(a, c), s, value);
    return true;
  }

  /** PyDict_SetItem or PyDict_DelItem on the instance's dict. */
  private storeInDict(d: number, s: number, value: number): void {
    if (value === 0) this.dicts.delItem(d, s, this.lo, this.hi);
    else this.dicts.setItem(d, s, value, this.lo, this.hi);
  }

  /**
   * _PyObjectDict_SetItem (3.8–3.10): the dict made at the first store (over
   * the class's shared keys while it has them), then the store; when it
   * combined a dict that shared the class's keys, the class takes the new
   * table as its shared keys if no other dict had the old ones, else drops
   * them; a deletion drops them.
   */
  private storeInDict310(a: number, c: ClassInfo, s: number, value: number): void {
    const dicts = this.dicts;
    let d = this.dictOf(a, c);
    const cached = c.cachedKeys;
    if (d === 0) {
      d = cached === 0 ? dicts.newDict() : this.newSharedDict(cached);
      this.setDict(a, c, d);
    }
    if (cached === 0) {
      this.storeInDict(d, s, value);
      return;
    }
    if (value === 0) {
      dicts.delItem(d, s, this.lo, this.hi);
      if (c.cachedKeys !== 0) this.dropCachedKeys(c, 0);
      return;
    }
    const wasShared = dicts.keysOf(d) === cached;
    dicts.setItem(d, s, value, this.lo, this.hi);
    if (wasShared && c.cachedKeys !== 0 && c.cachedKeys !== dicts.keysOf(d)) {
      this.dropCachedKeys(c, dicts.keysRefcnt(c.cachedKeys) === 1 ? dicts.shareKeys(d) : 0);
    }
  }

  /** The class lets go of its shared keys, for `next` (0: none). */
  private dropCachedKeys(c: ClassInfo, next: number): void {
    const old = c.cachedKeys;
    c.cachedKeys = next;
    this.dicts.decrefKeys(old);
  }

  /** new_dict_with_shared_keys (3.8–3.10): a values array of the keys' usable size, then the dict. */
  private newSharedDict(k: number): number {
    this.dicts.increfKeys(k);
    const v = this.values.alloc(this.dicts.sharedCapacity(k));
    return this.dicts.newSplitDict(k, v, 0);
  }

  /**
   * _PyObject_StoreInstanceAttribute (3.11+): the name's index in the
   * shared keys (added while they have room), and the value stored in the
   * array; for a name they cannot take, a dict is made over the values and
   * the store goes there (which combines it).
   */
  private storeInValues(a: number, c: ClassInfo, v: number, s: number, value: number): void {
    const core = this.core;
    const k = c.cachedKeys;
    const n = this.lastName;
    const ix = n.keys === k ? n.ix : this.dicts.insertSharedKey(k, s, this.lo, this.hi);
    if (ix >= 0 && n.keys !== k) {
      n.keys = k;
      n.ix = ix;
    }
    const inline = this.layout === "inline";
    let d = inline ? this.dictOf(a, c) : 0;
    if (ix < 0) {
      if (d === 0) {
        d = this.materialize(k, v);
        if (!inline) this.setValues(a, 0);
        this.storeInDict(d, s, value);
        this.setDict(a, c, d);
      } else this.storeInDict(d, s, value);
      return;
    }
    const old = this.values.get(v, ix);
    // 3.13+: a dict over the values is tracked once they hold something the gc may track.
    if (d !== 0 && value !== 0 && this.lazyTracking) this.dicts.maintainTracking(d, s, value);
    if (value !== 0) core.incref(value);
    this.values.set(v, ix, value);
    if (old === 0) {
      this.values.addToOrder(v, ix);
      if (d !== 0) this.dicts.setUsed(d, this.dicts.used(d) + 1);
      return;
    }
    if (value === 0) {
      this.values.deleteFromOrder(v, ix);
      if (d !== 0) this.dicts.setUsed(d, this.dicts.used(d) - 1);
    }
    core.decref(old);
  }

  /**
   * make_dict_from_instance_attributes (3.11+): a split dict over the
   * instance's values and the class's shared keys, tracked when a value may
   * be.
   */
  private materialize(k: number, v: number): number {
    const core = this.core;
    this.dicts.increfKeys(k);
    let used = 0;
    let track = false;
    for (let i = 0, n = this.dicts.sharedCapacity(k); i < n; i++) {
      const value = this.values.get(v, i);
      if (value === 0) continue;
      used++;
      if (!track && core.isContainerAt(value)) {
        track = core.typeAt(value).tupleLike ? core.isTracked(value) : true;
      }
    }
    const d = this.dicts.newSplitDict(k, v, used);
    if (track && !core.isTracked(d)) core.trackNow(d);
    return d;
  }

  /**
   * `o.__dict__` (PyObject_GenericGetDict): a new reference to the
   * instance's dict, made when it has none: over the shared keys (3.8–3.10,
   * with a values array of its own; 3.11+ over the instance's values), or
   * empty when the class dropped them.
   */
  instanceDict(a: number): number {
    const c = this.infoAt(a);
    let d = this.dictOf(a, c);
    if (d === 0) {
      const v = this.valuesOf(a);
      if (v !== 0) {
        d = this.materialize(c.cachedKeys, v);
        if (this.layout !== "inline") this.setValues(a, 0);
      } else if (this.layout === "dict" && c.cachedKeys !== 0) d = this.newSharedDict(c.cachedKeys);
      else d = this.dicts.newDict();
      this.setDict(a, c, d);
    }
    this.core.incref(d);
    return d;
  }

  /** Whether instances of the object's class have a `__dict__`. */
  hasDict(a: number): boolean {
    return this.infoAt(a).hasDict;
  }

  /** `sys.getsizeof`: the basic size, the gc head and the pre-header (never the inline values). */
  sizeof(a: number): number {
    const t = this.core.typeAt(a);
    return this.core.profile.gcHeadSize + t.preHeader + this.infoAt(a).basicSize;
  }

  // --- what the objects ask of an instance's type -------------------------------------

  /** References after the member slots: the dict, or the values (3.11+; 3.13+ inline: all their capacity). */
  private attrRefs(a: number, c: ClassInfo): number {
    if (!c.hasDict) return 0;
    if (this.layout === "inline") {
      return this.dictOf(a, c) === 0 && this.values.valid(a + INLINE_VALUES)
        ? this.values.capacity(a + INLINE_VALUES)
        : 1;
    }
    const v = this.valuesOf(a);
    return v === 0 ? 1 : this.dicts.nentries(c.cachedKeys);
  }

  /** subtype_dealloc's references: the member slots in order, then the dict or the values. */
  private refCount(a: number): number {
    const c = this.infoAt(a);
    return c.slots.length + this.attrRefs(a, c);
  }

  /**
   * Where the `k`th reference is. 3.13+: a dict still over the inline values
   * gets a copy of them first (_PyDict_DetachFromObject), when its turn comes.
   */
  private refAt(a: number, k: number): number {
    const c = this.infoAt(a);
    const n = c.slots.length;
    if (k < n) return a + 16 + 8 * k;
    if (this.layout === "inline") {
      const d = this.dictOf(a, c);
      if (d !== 0) {
        this.detach(a, d);
        return a + c.dictAt;
      }
      return this.values.valid(a + INLINE_VALUES) ? this.values.slot(a + INLINE_VALUES, k - n) : a + c.dictAt;
    }
    const v = this.valuesOf(a);
    return v === 0 ? a + c.dictAt : this.values.slot(v, k - n);
  }

  /** _PyDict_DetachFromObject (3.13+): a dict over the object's inline values gets a copy of them; they go invalid. */
  private detach(a: number, d: number): void {
    const inline = a + INLINE_VALUES;
    if (this.dicts.valuesOf(d) !== inline) return;
    const w = this.values.copy(inline);
    this.dicts.setValues(d, w);
    this.values.invalidate(inline);
  }

  /**
   * subtype_traverse's places: the member slots, then the values and the
   * dict. 3.13+ (3.13.18; 3.13.0 skipped the dict while the inline values were
   * valid, and needed a second collection for some cycles) visit the inline
   * values while valid, then the dict.
   */
  private traverseCount(a: number): number {
    const c = this.infoAt(a);
    if (this.layout === "inline" && c.hasDict) {
      const inline = a + INLINE_VALUES;
      return c.slots.length + (this.values.valid(inline) ? this.values.capacity(inline) : 0) + 1;
    }
    return this.refCount(a);
  }

  private traverseAt(a: number, k: number): number {
    const c = this.infoAt(a);
    const n = c.slots.length;
    if (k < n) return a + 16 + 8 * k;
    if (this.layout === "inline") {
      const inline = a + INLINE_VALUES;
      const values = this.values.valid(inline) ? this.values.capacity(inline) : 0;
      return k - n < values ? this.values.slot(inline, k - n) : a + c.dictAt;
    }
    const v = this.valuesOf(a);
    return v === 0 ? a + c.dictAt : this.values.slot(v, k - n);
  }

  /**
   * subtype_clear, as the gc calls it on garbage: the member slots, then the
   * values' references (3.11–3.12: the array stays until the object goes)
   * or the dict; 3.13+ as PyObject_ClearManagedDict.
   */
  private clear(a: number): void {
    const core = this.core;
    const c = this.infoAt(a);
    for (let i = 0; i < c.slots.length; i++) this.clearWord(a + 16 + 8 * i);
    if (!c.hasDict) return;
    const d = this.dictOf(a, c);
    if (this.layout === "inline") {
      const inline = a + INLINE_VALUES;
      if (d !== 0) {
        this.setDict(a, c, 0);
        this.detach(a, d);
        core.decref(d);
      } else if (this.values.valid(inline)) {
        this.values.invalidate(inline);
        for (let i = 0, n = this.values.capacity(inline); i < n; i++) this.clearWord(this.values.slot(inline, i));
      }
      return;
    }
    const v = this.valuesOf(a);
    if (v !== 0) {
      for (let i = 0, n = this.dicts.nentries(c.cachedKeys); i < n; i++) this.clearWord(this.values.slot(v, i));
    } else this.clearWord(a + c.dictAt);
  }

  /** Py_CLEAR of the word at `at`. */
  private clearWord(at: number): void {
    const o = this.core.readWord(at);
    if (o === 0) return;
    this.core.writeWord(at, 0);
    this.core.decref(o);
  }

  /** The end of subtype_dealloc: 3.11–3.12 free the values array (its references are released); the object's block. */
  private dispose(a: number): number {
    const c = this.infoAt(a);
    c.live--;
    if (c.hasDict && (this.layout === "values" || this.layout === "dict-or-values")) {
      const v = this.valuesOf(a);
      if (v !== 0) {
        this.setValues(a, 0);
        this.values.free(v);
      }
    }
    return a - this.core.profile.gcHeadSize - c.type.preHeader;
  }
}

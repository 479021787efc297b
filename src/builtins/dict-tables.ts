/**
 * Dicts as CPython keeps them: a 48-byte object (`ma_used`, the version
 * tag, `ma_keys`, `ma_values`) and a keys object of its own (combined
 * tables), from the shared empty keys until the first insertion. Insertion
 * appends to the entries and resizes when no usable entry is left, to fit
 * `used × 3`; deletion leaves a dummy and never shrinks; 3.11+ keep
 * str-only tables in 16-byte entries and convert them at the first other
 * key. Dict objects and 8-slot keys objects have free lists (3.11+: only
 * str-only ones). A dict is made untracked and tracked by the gc once it
 * holds something the gc may track (MAINTAIN_TRACKING).
 *
 * Split tables (PEP 412), the `__dict__` of instances: the keys object is
 * a class's shared keys (counted by `dk_refcnt`), the values an array of the
 * dict's own (split-values.ts). A new str key goes into the shared keys while
 * they have room; otherwise, or for a key of another type, the dict is
 * resized into a combined table of its own. 3.8–3.10 also combine it when its
 * values would leave the keys' order, and on any deletion.
 *
 * @module
 */

import type { ObjectCore } from "../objects/object-core.js";
import type { ObjectType } from "../objects/object-type.js";
import type { BuiltinRules } from "./builtin-rules.js";
import { DictKeys, DKIX_DUMMY, LOOKUP_SPLIT } from "./dict-keys.js";
import { DICT_MINSIZE, indexBytes, keysBytes, tableSize, usableFraction } from "./dict-layout.js";
import type { FreeList } from "./free-list.js";
import type { SplitValues } from "./split-values.js";
import type { ValueReader } from "./values.js";

// PyDictObject's fields after the header.
const MA_USED = 16;
const MA_KEYS = 32;
const MA_VALUES = 40;
/** sizeof(PyDictObject). */
export const DICT_BASIC = 48;
// dict_new_presized's cap: a table of 2^17 slots at most.
const MAX_PRESIZE = 2 ** 17;

/** The dict machinery of one Builtins. */
export class DictTables extends DictKeys {
  private readonly dictType: () => ObjectType;
  private readonly dicts: FreeList;
  /** Split tables' values arrays. */
  readonly values: SplitValues;
  // 3.8–3.13 track a dict only once it holds something the gc may track, and untrack it in full collections.
  private readonly lazyTracking: boolean;

  constructor(
    core: ObjectCore,
    rules: BuiltinRules,
    reader: ValueReader,
    types: {
      dict: () => ObjectType;
      isStr: (address: number) => boolean;
      /** A key's hash: the low 32 bits, the high ones from hashHigh(). */
      hash: (address: number) => number;
      hashHigh: () => number;
    },
    freeLists: { dicts: FreeList; keys: FreeList },
    emptyKeys: number,
    values: SplitValues,
  ) {
    super(core, rules, reader, types, freeLists.keys, emptyKeys);
    this.values = values;
    this.dictType = types.dict;
    this.dicts = freeLists.dicts;
    this.lazyTracking = rules.minor <= 13;
  }

  // --- split tables -------------------------------------------------------------

  /**
   * new_dict over a split table: keys `k` (the caller's reference to them
   * passes to the dict) and values `v` holding `used` values; from the dict
   * free list when it holds one; untracked up to 3.13.
   */
  newSplitDict(k: number, v: number, used: number): number {
    const d = this.newDict();
    const core = this.core;
    core.writeWord(d + MA_KEYS, k);
    core.writeWord(d + MA_VALUES, v);
    core.writeWord(d + MA_USED, used);
    return d;
  }

  /** ma_keys. */
  keysOf(d: number): number {
    return this.core.readWord(d + MA_KEYS);
  }

  /** ma_values: the values of a split table, 0 for a combined one. */
  valuesOf(d: number): number {
    return this.core.readWord(d + MA_VALUES);
  }

  /** Sets ma_values (3.13+: a copy of inline values, when the object lets go of its dict). */
  setValues(d: number, v: number): void {
    this.core.writeWord(d + MA_VALUES, v);
  }

  /** Sets ma_used. */
  setUsed(d: number, n: number): void {
    this.core.writeWord(d + MA_USED, n);
  }

  /**
   * make_keys_shared (3.8–3.10): the dict's own table, str keys only, turns
   * into shared keys: its values move to a new array. Returns the keys with a
   * new reference for the class, or 0 for a table holding other keys.
   */
  shareKeys(d: number): number {
    const core = this.core;
    let k = core.readWord(d + MA_KEYS);
    if (this.valuesOf(d) !== 0) {
      this.increfKeys(k);
      return k;
    }
    if (!this.unicode(k)) return 0;
    // Deleted entries: a table without them first (same size).
    if (this.nentries(k) !== this.used(d)) {
      this.resize(d, this.size(k), true, true);
      k = core.readWord(d + MA_KEYS);
    }
    const n = usableFraction(this.size(k));
    const v = this.values.alloc(n);
    const keyAt = this.keyOffset(k);
    for (let i = 0; i < n; i++) {
      const e = this.entry(k, i) + keyAt + 8;
      this.values.set(v, i, core.readWord(e));
      core.writeWord(e, 0);
    }
    core.writeWord(k + 16, LOOKUP_SPLIT);
    core.writeWord(d + MA_VALUES, v);
    this.increfKeys(k);
    return k;
  }

  /**
   * insertdict on a split table, the key's and value's references already
   * taken. True when done; false when the table was made combined instead
   * and `key` is to be appended there (a new key).
   */
  private splitInsert(d: number, k: number, key: number, lo: number, hi: number, value: number): boolean {
    const core = this.core;
    const v = core.readWord(d + MA_VALUES);
    const ix = this.lookup(k, key, lo, hi);
    const old = ix >= 0 ? this.values.get(v, ix) : 0;
    const used = this.used(d);
    // 3.8–3.10: the values must stay dense and in the keys' order, else the table is combined.
    if (this.old && ((ix >= 0 && old === 0 && used !== ix) || (ix < 0 && used !== this.nentries(k)))) {
      this.resize(d, used * 3, true);
      return false;
    }
    if (ix < 0) {
      if (this.usable(k) <= 0) {
        this.resize(d, used * 3, true);
        return false;
      }
      // A new key of the shared keys: every dict sharing them sees it.
      const n = this.nentries(k);
      this.append(k, key, lo, hi, 0);
      this.values.set(v, n, value);
      if (!this.old) this.values.addToOrder(v, n);
      core.writeWord(d + MA_USED, used + 1);
      return true;
    }
    if (old !== value) {
      this.values.set(v, ix, value);
      if (old === 0) {
        if (!this.old) this.values.addToOrder(v, ix);
        core.writeWord(d + MA_USED, used + 1);
      }
    }
    if (old !== 0) core.decref(old);
    core.decref(key);
    return true;
  }

  // --- the dict ---------------------------------------------------------------

  /** PyDict_New: from the free list when it holds one, sharing the empty keys; untracked until 3.13. */
  newDict(keys = this.emptyKeys): number {
    const core = this.core;
    const reuse = this.dicts.pop();
    const gcHead = core.profile.gcHeadSize;
    const block = reuse === 0 ? 0 : reuse - gcHead;
    const d = core.newObject(this.dictType(), 0, gcHead + DICT_BASIC, block, this.lazyTracking);
    core.writeWord(d + MA_KEYS, keys);
    return d;
  }

  /**
   * dict_new_presized (_PyDict_NewPresized up to 3.10): for more than five
   * entries, a keys object sized for all of them, made before the dict; else
   * PyDict_New. `unicode`: every key is a str (3.11+ then make a str-only table).
   */
  newPresized(n: number, unicode: boolean): number {
    if (n <= usableFraction(DICT_MINSIZE)) return this.newDict();
    // Past 2^17 slots' worth the table is capped; it grows by resizing as any other.
    const size = n > usableFraction(MAX_PRESIZE) ? MAX_PRESIZE : tableSize((n * 3 + 1) >> 1, this.rules.minor);
    return this.newDict(this.newKeys(size, this.old || unicode));
  }

  /**
   * _PyDict_FromItems (BUILD_MAP): a dict presized for `entries`, each set in
   * order, their hashes given. More than `scratchMax` keys and values (3.14+)
   * are first copied to an array of their own, freed once the dict is built.
   */
  fromItems(
    entries: ReadonlyArray<readonly [number, number]>,
    lo: Float64Array,
    hi: Float64Array,
    scratchMax: number,
  ): number {
    const n = entries.length;
    const scratch = scratchMax > 0 && 2 * n > scratchMax ? this.core.allocator.malloc((2 * n + 1) * 8) : 0;
    const unicode = entries.every(([k]) => this.isStr(k));
    const d = this.newPresized(n, unicode);
    for (let i = 0; i < n; i++) {
      const [key, value] = entries[i] as readonly [number, number];
      this.setItem(d, key, value, lo[i] as number, hi[i] as number);
    }
    if (scratch !== 0) this.core.allocator.free(scratch);
    return d;
  }

  /** ma_used. */
  used(d: number): number {
    return this.core.readWord(d + MA_USED);
  }

  /**
   * dictresize: a new table of at least `minsize` slots' worth, the live
   * entries copied in order, the old table freed (or kept). `unicode`: whether
   * a str-only table may stay so.
   */
  private resize(d: number, minsize: number, unicode: boolean, exact = false): void {
    const core = this.core;
    const old = core.readWord(d + MA_KEYS);
    const k = this.newKeys(exact ? minsize : tableSize(minsize, this.rules.minor), unicode && this.unicode(old));
    const keyAt = this.keyOffset(old);
    const v = core.readWord(d + MA_VALUES);
    if (v !== 0) {
      // Split to combined: the entries in insertion order, each key with a reference of its own, the values moved.
      for (let i = 0, n = this.used(d); i < n; i++) {
        const ix = this.old ? i : this.values.orderAt(v, i);
        const key = core.readWord(this.entry(old, ix) + keyAt);
        const lo = this.entryHash(old, ix);
        core.incref(key);
        this.append(k, key, lo, this.entryHigh, this.values.get(v, ix));
      }
      core.writeWord(d + MA_KEYS, k);
      this.decrefKeys(old);
      core.writeWord(d + MA_VALUES, 0);
      // 3.13+: inline values stay in their object, no longer valid.
      if (this.values.embedded(v)) this.values.invalidate(v);
      else this.values.free(v);
      return;
    }
    for (let i = 0, n = this.nentries(old); i < n; i++) {
      const e = this.entry(old, i);
      const value = core.readWord(e + keyAt + 8);
      if (value === 0) continue;
      const key = core.readWord(e + keyAt);
      const lo = this.entryHash(old, i);
      this.append(k, key, lo, this.entryHigh, value);
    }
    core.writeWord(d + MA_KEYS, k);
    this.freeKeys(old);
  }

  /** MAINTAIN_TRACKING: an untracked dict is tracked once it holds something the gc may track. */
  maintainTracking(d: number, key: number, value: number): void {
    const core = this.core;
    if (core.isTracked(d)) return;
    if (this.mayBeTracked(key) || this.mayBeTracked(value)) core.trackNow(d);
  }

  /** _PyObject_GC_MAY_BE_TRACKED: a container, and for a tuple a tracked one. */
  private mayBeTracked(o: number): boolean {
    const core = this.core;
    if (!core.isContainerAt(o)) return false;
    return core.typeAt(o).tupleLike ? core.isTracked(o) : true;
  }

  /** insertdict: `d[key] = value`, new references to both taken; the key's hash split in halves. */
  setItem(d: number, key: number, value: number, lo: number, hi: number): void {
    const core = this.core;
    core.incref(key);
    core.incref(value);
    if (this.lazyTracking) this.maintainTracking(d, key, value);
    let k = core.readWord(d + MA_KEYS);
    if (k === this.emptyKeys) {
      // insert_to_emptydict: a fresh 8-slot table (3.11+: str-only when the key is a str).
      const str = this.isStr(key);
      k = this.newKeys(DICT_MINSIZE, str);
      core.writeWord(d + MA_KEYS, k);
      core.writeWord(d + MA_VALUES, 0);
      this.appendFirst(k, key, lo, hi, value, !this.old && str);
      core.writeWord(d + MA_USED, 1);
      return;
    }
    if (!this.old && this.unicode(k) && !this.isStr(key)) {
      // A key other than a str: the table becomes a general one.
      this.resize(d, this.used(d) * 3, false);
      k = core.readWord(d + MA_KEYS);
    }
    if (core.readWord(d + MA_VALUES) !== 0) {
      // 3.8–3.10: a split table takes str keys only.
      if (this.old && !this.isStr(key)) this.resize(d, this.used(d) * 3, true);
      else if (this.splitInsert(d, k, key, lo, hi, value)) return;
      k = core.readWord(d + MA_KEYS);
    }
    const ix = this.lookup(k, key, lo, hi);
    if (ix >= 0) {
      const at = this.entry(k, ix) + this.keyOffset(k) + 8;
      const old = core.readWord(at);
      core.writeWord(at, value);
      core.decref(old);
      core.decref(key);
      return;
    }
    if (this.usable(k) <= 0) {
      this.resize(d, this.used(d) * 3, true);
      k = core.readWord(d + MA_KEYS);
    }
    this.append(k, key, lo, hi, value);
    core.writeWord(d + MA_USED, this.used(d) + 1);
  }

  /** The value stored under `key` (borrowed), or 0. */
  getItem(d: number, key: number, lo: number, hi: number): number {
    const k = this.core.readWord(d + MA_KEYS);
    if (k === this.emptyKeys) return 0;
    const ix = this.lookup(k, key, lo, hi);
    if (ix < 0) return 0;
    const v = this.core.readWord(d + MA_VALUES);
    if (v !== 0) return this.values.get(v, ix);
    return this.core.readWord(this.entry(k, ix) + this.keyOffset(k) + 8);
  }

  /** delitem_common: a dummy in the index, the entry emptied, then the key and the value released. False when absent. */
  delItem(d: number, key: number, lo: number, hi: number): boolean {
    const core = this.core;
    let k = core.readWord(d + MA_KEYS);
    if (k === this.emptyKeys) return false;
    let ix = this.lookup(k, key, lo, hi);
    if (ix < 0) return false;
    const v = core.readWord(d + MA_VALUES);
    if (v !== 0) {
      const old = this.values.get(v, ix);
      if (old === 0) return false;
      if (!this.old) {
        // The value leaves the array and the insertion order; the key stays in the shared keys.
        core.writeWord(d + MA_USED, this.used(d) - 1);
        this.values.set(v, ix, 0);
        this.values.deleteFromOrder(v, ix);
        core.decref(old);
        return true;
      }
      // 3.8–3.10: a split table takes no deletion; it is combined first, at the same size.
      this.resize(d, this.size(k), true, true);
      k = core.readWord(d + MA_KEYS);
      ix = this.lookup(k, key, lo, hi);
    }
    core.writeWord(d + MA_USED, this.used(d) - 1);
    this.setIndex(k, this.slot, indexBytes(this.size(k)), DKIX_DUMMY);
    const e = this.entry(k, ix) + this.keyOffset(k);
    const oldKey = core.readWord(e);
    const oldValue = core.readWord(e + 8);
    core.writeWord(e, 0);
    core.writeWord(e + 8, 0);
    core.decref(oldKey);
    core.decref(oldValue);
    return true;
  }

  /** The keys in insertion order (deleted entries skipped), as dict iteration visits them. */
  keys(d: number): number[] {
    const core = this.core;
    const k = core.readWord(d + MA_KEYS);
    const keyAt = this.keyOffset(k);
    const out: number[] = [];
    const v = core.readWord(d + MA_VALUES);
    if (v !== 0) {
      for (let i = 0, n = this.used(d); i < n; i++) {
        out.push(core.readWord(this.entry(k, this.old ? i : this.values.orderAt(v, i)) + keyAt));
      }
      return out;
    }
    for (let i = 0, n = this.nentries(k); i < n; i++) {
      const e = this.entry(k, i) + keyAt;
      if (core.readWord(e + 8) !== 0) out.push(core.readWord(e));
    }
    return out;
  }

  /**
   * dict.__sizeof__ plus the gc head: the object, a split table's values
   * (as many as its keys' usable entries, 3.11+: as shared_keys_usable_size
   * says now), and the keys object when the dict alone holds it.
   */
  sizeof(d: number): number {
    const k = this.core.readWord(d + MA_KEYS);
    const values = this.core.readWord(d + MA_VALUES) === 0 ? 0 : 8 * this.sharedCapacity(k);
    const own =
      k === this.emptyKeys || this.refcnt(k) !== 1 ? 0 : keysBytes(this.size(k), this.header, this.entryBytes(k));
    return this.core.profile.gcHeadSize + DICT_BASIC + values + own;
  }

  // --- what the objects ask of a dict's type --------------------------------

  /**
   * References: a key and a value per entry, in free_keys_object's order; a
   * split table's values (its keys are the class's), none for values inline
   * in an object.
   */
  refCount(d: number): number {
    const k = this.core.readWord(d + MA_KEYS);
    const v = this.core.readWord(d + MA_VALUES);
    if (v !== 0) return this.values.embedded(v) ? 0 : this.nentries(k);
    return this.nentries(k) * 2;
  }

  /** Where the `n`th reference is: entry n / 2's key, then its value; a split table's `n`th value. */
  refAt(d: number, n: number): number {
    const k = this.core.readWord(d + MA_KEYS);
    const v = this.core.readWord(d + MA_VALUES);
    if (v !== 0) return this.values.slot(v, n);
    return this.entry(k, n >> 1) + this.keyOffset(k) + 8 * (n & 1);
  }

  /** dict_traverse's places: as refCount (3.13+ skip values inline in an object, which their object visits). */
  traverseCount(d: number): number {
    return this.refCount(d);
  }

  /** dict_traverse's order: each live entry's value, then its key; a split table's values. */
  traverseAt(d: number, n: number): number {
    const k = this.core.readWord(d + MA_KEYS);
    const v = this.core.readWord(d + MA_VALUES);
    if (v !== 0) return this.values.slot(v, n);
    const e = this.entry(k, n >> 1) + this.keyOffset(k);
    if (this.core.readWord(e + 8) === 0) return 0;
    return (n & 1) === 0 ? e + 8 : e;
  }

  /** _PyDict_MaybeUntrack's test (3.8–3.13): no live entry's value or key may be tracked. */
  untrackInFull(d: number): boolean {
    if (!this.lazyTracking) return false;
    const core = this.core;
    const k = core.readWord(d + MA_KEYS);
    const v = core.readWord(d + MA_VALUES);
    if (v !== 0) {
      for (let i = 0, n = this.nentries(k); i < n; i++) {
        const value = this.values.get(v, i);
        if (value !== 0 && this.mayBeTracked(value)) return false;
      }
      return true;
    }
    const keyAt = this.keyOffset(k);
    for (let i = 0, n = this.nentries(k); i < n; i++) {
      const e = this.entry(k, i) + keyAt;
      const value = core.readWord(e + 8);
      if (value === 0) continue;
      if (this.mayBeTracked(value) || this.mayBeTracked(core.readWord(e))) return false;
    }
    return true;
  }

  /** dict_tp_clear (PyDict_Clear): back to the empty keys, then the old entries released and their table freed. */
  clear(d: number): void {
    const core = this.core;
    const k = core.readWord(d + MA_KEYS);
    if (k === this.emptyKeys) return;
    const v = core.readWord(d + MA_VALUES);
    if (v !== 0) {
      this.clearSplit(d, k, v);
      return;
    }
    core.writeWord(d + MA_KEYS, this.emptyKeys);
    core.writeWord(d + MA_USED, 0);
    this.decrefKeys(k);
  }

  /**
   * PyDict_Clear of a split table: back to the empty keys, the values
   * released and their array freed, the shared keys let go of; values
   * inline in an object (3.13+) are emptied where they are.
   */
  private clearSplit(d: number, k: number, v: number): void {
    const core = this.core;
    const embedded = this.values.embedded(v);
    if (!embedded) {
      core.writeWord(d + MA_KEYS, this.emptyKeys);
      core.writeWord(d + MA_VALUES, 0);
    }
    core.writeWord(d + MA_USED, 0);
    for (let i = 0, n = this.nentries(k); i < n; i++) {
      const value = this.values.get(v, i);
      if (value === 0) continue;
      this.values.set(v, i, 0);
      core.decref(value);
    }
    if (embedded) {
      this.values.clearOrder(v);
      return;
    }
    this.values.free(v);
    this.decrefKeys(k);
  }

  /**
   * The end of dict_dealloc: the keys object freed (its entries already
   * released), or a split table's values array freed and its shared keys let
   * go of; the dict kept or freed.
   */
  dispose(d: number): number {
    const k = this.core.readWord(d + MA_KEYS);
    const v = this.core.readWord(d + MA_VALUES);
    if (v !== 0) {
      if (!this.values.embedded(v)) this.values.free(v);
      this.decrefKeys(k);
    } else if (k !== this.emptyKeys) this.freeKeys(k);
    return this.dicts.push(d) ? 0 : d - this.core.profile.gcHeadSize;
  }
}

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
 * @module
 */

import type { ObjectCore } from "../objects/object-core.js";
import type { ObjectType } from "../objects/object-type.js";
import type { BuiltinRules } from "./builtin-rules.js";
import { DICT_MINSIZE, indexBytes, keysBytes, tableSize, usableFraction } from "./dict-layout.js";
import type { FreeList } from "./free-list.js";
import { type ValueReader, valuesEqual } from "./values.js";

// PyDictObject's fields after the header.
const MA_USED = 16;
const MA_KEYS = 32;
const MA_VALUES = 40;
/** sizeof(PyDictObject). */
export const DICT_BASIC = 48;
// An index slot: empty, or a deleted entry.
const DKIX_EMPTY = -1;
const DKIX_DUMMY = -2;
// dk_kind (3.11+).
const KIND_GENERAL = 0;
const KIND_UNICODE = 1;
// 3.8–3.10's dk_lookup, as a marker: which lookup function the table uses.
const LOOKUP_GENERAL = 1;
const LOOKUP_UNICODE = 2;

/** The dict machinery of one Builtins. */
export class DictTables {
  private readonly core: ObjectCore;
  private readonly rules: BuiltinRules;
  private readonly reader: ValueReader;
  private readonly dictType: () => ObjectType;
  private readonly isStr: (address: number) => boolean;
  private readonly hash: (address: number) => number;
  private readonly hashHigh: () => number;
  private readonly dicts: FreeList;
  private readonly keysFree: FreeList;
  /** Py_EMPTY_KEYS: the static keys every new dict shares. */
  readonly emptyKeys: number;
  // 3.8–3.10: a 40-byte header (dk_refcnt, dk_size, dk_lookup, dk_usable, dk_nentries), 24-byte entries; 3.11+: 32
  // bytes (dk_refcnt, log2 sizes, kind, version, dk_usable, dk_nentries), entries of 16 bytes in str-only tables.
  private readonly header: number;
  private readonly old: boolean;
  // 3.8–3.13 track a dict only once it holds something the gc may track, and untrack it in full collections.
  private readonly lazyTracking: boolean;
  // Where the last lookup found the key's index slot, or the empty slot it ended at.
  private slot = 0;

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
  ) {
    this.core = core;
    this.rules = rules;
    this.reader = reader;
    this.dictType = types.dict;
    this.isStr = types.isStr;
    this.hash = types.hash;
    this.hashHigh = types.hashHigh;
    this.dicts = freeLists.dicts;
    this.keysFree = freeLists.keys;
    this.old = rules.minor <= 10;
    this.lazyTracking = rules.minor <= 13;
    this.header = this.old ? 40 : 32;
    this.emptyKeys = emptyKeys;
    this.initKeys(emptyKeys, 1, !this.old);
  }

  // --- the keys object's fields ---------------------------------------------

  private size(k: number): number {
    return this.old ? this.core.readWord(k + 8) : 1 << (this.core.memory.u8[k + 8] as number);
  }

  private usable(k: number): number {
    return this.core.readWord(k + (this.old ? 24 : 16));
  }

  private setUsable(k: number, n: number): void {
    this.core.writeWord(k + (this.old ? 24 : 16), n);
  }

  /** dk_nentries: entries used so far, deleted ones included. */
  nentries(k: number): number {
    return this.core.readWord(k + (this.old ? 32 : 24));
  }

  private setNentries(k: number, n: number): void {
    this.core.writeWord(k + (this.old ? 32 : 24), n);
  }

  private unicode(k: number): boolean {
    return this.old ? this.core.readWord(k + 16) === LOOKUP_UNICODE : this.core.memory.u8[k + 10] === KIND_UNICODE;
  }

  private entryBytes(k: number): number {
    return !this.old && this.unicode(k) ? 16 : 24;
  }

  // The layout of the keys object last looked at (its address; 0 for none): worked out once, not per entry. A keys
  // object's layout is fixed from new_keys_object until it is freed, when the memo is dropped.
  private memoKeys = 0;
  private memoEntries = 0;
  private memoEntryBytes = 24;
  private memoKeyAt = 8;

  private remember(k: number): void {
    const size = this.size(k);
    const unicode = !this.old && this.unicode(k);
    this.memoKeys = k;
    this.memoEntries = k + this.header + size * indexBytes(size);
    this.memoEntryBytes = unicode ? 16 : 24;
    this.memoKeyAt = unicode ? 0 : 8;
  }

  /** The address of entry `i`. */
  entry(k: number, i: number): number {
    if (k !== this.memoKeys) this.remember(k);
    return this.memoEntries + i * this.memoEntryBytes;
  }

  /** Where an entry's key is, from the entry. */
  keyOffset(k: number): number {
    if (k !== this.memoKeys) this.remember(k);
    return this.memoKeyAt;
  }

  private getIndex(k: number, i: number, width: number): number {
    const at = k + this.header + i * width;
    const u8 = this.core.memory.u8;
    if (width === 1) return ((u8[at] as number) << 24) >> 24;
    if (width === 2) return (((u8[at] as number) | ((u8[at + 1] as number) << 8)) << 16) >> 16;
    return (this.core.u32[at >>> 2] as number) | 0;
  }

  private setIndex(k: number, i: number, width: number, ix: number): void {
    const at = k + this.header + i * width;
    const u8 = this.core.memory.u8;
    if (width === 1) u8[at] = ix & 0xff;
    else if (width === 2) {
      u8[at] = ix & 0xff;
      u8[at + 1] = (ix >> 8) & 0xff;
    } else {
      this.core.u32[at >>> 2] = ix >>> 0;
      if (width === 8) this.core.u32[(at >>> 2) + 1] = ix < 0 ? 0xffffffff : 0;
    }
  }

  /** Writes a keys object's header and empties its index (new_keys_object). */
  private initKeys(k: number, size: number, unicode: boolean): void {
    const core = this.core;
    if (k === this.memoKeys) this.memoKeys = 0;
    const usable = usableFraction(size);
    core.writeWord(k, 1);
    if (this.old) {
      core.writeWord(k + 8, size);
      core.writeWord(k + 16, unicode ? LOOKUP_UNICODE : LOOKUP_GENERAL);
    } else {
      const u8 = core.memory.u8;
      u8[k + 8] = 31 - Math.clz32(size);
      u8[k + 9] = 31 - Math.clz32(size * indexBytes(size));
      u8[k + 10] = unicode ? KIND_UNICODE : KIND_GENERAL;
    }
    this.setUsable(k, usable);
    this.setNentries(k, 0);
    core.memory.u8.fill(0xff, k + this.header, k + this.header + size * indexBytes(size));
  }

  /** new_keys_object: a table of `size` slots, from the keys free list when it is an 8-slot one it may keep. */
  private newKeys(size: number, unicode: boolean): number {
    const keepable = size === DICT_MINSIZE && (this.old || unicode);
    let k = keepable ? this.keysFree.pop() : 0;
    if (k === 0) {
      const bytes = keysBytes(size, this.header, this.old || !unicode ? 24 : 16);
      k = this.core.allocator.malloc(bytes);
      this.core.memory.u8.fill(0, k, k + bytes);
    }
    this.initKeys(k, size, unicode);
    return k;
  }

  /** free_keys_object's end: an emptied keys object goes to the free list (8 slots; 3.11+ str-only) or is freed. */
  private freeKeys(k: number): void {
    if (k === this.memoKeys) this.memoKeys = 0;
    const keepable = this.size(k) === DICT_MINSIZE && (this.old || this.unicode(k));
    if (keepable && this.keysFree.push(k)) return;
    this.core.allocator.free(k);
  }

  // --- the dict ---------------------------------------------------------------

  /** PyDict_New: from the free list when it holds one, sharing the empty keys; untracked until 3.13. */
  newDict(): number {
    const core = this.core;
    const reuse = this.dicts.pop();
    const gcHead = core.profile.gcHeadSize;
    const block = reuse === 0 ? 0 : reuse - gcHead;
    const d = core.newObject(this.dictType(), 0, gcHead + DICT_BASIC, block, this.lazyTracking);
    core.writeWord(d + MA_KEYS, this.emptyKeys);
    return d;
  }

  /** ma_used. */
  used(d: number): number {
    return this.core.readWord(d + MA_USED);
  }

  /** Finds `key`: its entry's index, or -1; `slot` is left at its index slot (or the empty one the probe ended at). */
  private lookup(k: number, key: number, lo: number, hi: number): number {
    const size = this.size(k);
    const width = indexBytes(size);
    const mask = size - 1;
    const keyAt = this.keyOffset(k);
    let i = lo & mask;
    let plo = lo;
    let phi = hi;
    for (;;) {
      const ix = this.getIndex(k, i, width);
      if (ix === DKIX_EMPTY) {
        this.slot = i;
        return -1;
      }
      if (ix >= 0) {
        const other = this.core.readWord(this.entry(k, ix) + keyAt);
        if (other === key) {
          this.slot = i;
          return ix;
        }
        const elo = this.entryHash(k, ix);
        if (elo === lo && this.entryHigh === hi && valuesEqual(this.reader, other, key)) {
          this.slot = i;
          return ix;
        }
      }
      // perturb >>= PERTURB_SHIFT on the 64-bit hash; i = (i*5 + perturb + 1) & mask.
      plo = ((plo >>> 5) | (phi << 27)) >>> 0;
      phi >>>= 5;
      i = (i * 5 + plo + 1) & mask;
    }
  }

  // The high half of the hash entryHash last read.
  private entryHigh = 0;

  /** The hash of entry `ix`: stored in a general entry, cached in a str key's object; low half returned. */
  private entryHash(k: number, ix: number): number {
    const e = this.entry(k, ix);
    if (!this.old && this.unicode(k)) {
      const lo = this.hash(this.core.readWord(e));
      this.entryHigh = this.hashHigh();
      return lo;
    }
    this.entryHigh = this.core.u32[(e >>> 2) + 1] as number;
    return this.core.u32[e >>> 2] as number;
  }

  /** find_empty_slot: the first empty index slot on the hash's probe sequence. */
  private emptySlot(k: number, lo: number, hi: number): number {
    const size = this.size(k);
    const width = indexBytes(size);
    const mask = size - 1;
    let i = lo & mask;
    let plo = lo;
    let phi = hi;
    while (this.getIndex(k, i, width) !== DKIX_EMPTY) {
      plo = ((plo >>> 5) | (phi << 27)) >>> 0;
      phi >>>= 5;
      i = (i * 5 + plo + 1) & mask;
    }
    return i;
  }

  /** Appends an entry (the references are the caller's, already counted). */
  private append(k: number, key: number, lo: number, hi: number, value: number): void {
    const n = this.nentries(k);
    const size = this.size(k);
    this.setIndex(k, this.emptySlot(k, lo, hi), indexBytes(size), n);
    const e = this.entry(k, n);
    if (this.old || !this.unicode(k)) {
      this.core.u32[e >>> 2] = lo;
      this.core.u32[(e >>> 2) + 1] = hi;
    }
    const keyAt = this.keyOffset(k);
    this.core.writeWord(e + keyAt, key);
    this.core.writeWord(e + keyAt + 8, value);
    this.setUsable(k, this.usable(k) - 1);
    this.setNentries(k, n + 1);
  }

  /**
   * dictresize: a new table of at least `minsize` slots' worth, the live
   * entries copied in order, the old table freed (or kept). `unicode`: whether
   * a str-only table may stay so.
   */
  private resize(d: number, minsize: number, unicode: boolean): void {
    const core = this.core;
    const old = core.readWord(d + MA_KEYS);
    const k = this.newKeys(tableSize(minsize, this.rules.minor), unicode && this.unicode(old));
    const keyAt = this.keyOffset(old);
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
  private maintainTracking(d: number, key: number, value: number): void {
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
      k = this.newKeys(DICT_MINSIZE, this.isStr(key));
      core.writeWord(d + MA_KEYS, k);
      core.writeWord(d + MA_VALUES, 0);
      this.append(k, key, lo, hi, value);
      core.writeWord(d + MA_USED, 1);
      return;
    }
    if (!this.old && this.unicode(k) && !this.isStr(key)) {
      // A key other than a str: the table becomes a general one.
      this.resize(d, this.used(d) * 3, false);
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
    return ix < 0 ? 0 : this.core.readWord(this.entry(k, ix) + this.keyOffset(k) + 8);
  }

  /** delitem_common: a dummy in the index, the entry emptied, then the key and the value released. False when absent. */
  delItem(d: number, key: number, lo: number, hi: number): boolean {
    const core = this.core;
    const k = core.readWord(d + MA_KEYS);
    if (k === this.emptyKeys) return false;
    const ix = this.lookup(k, key, lo, hi);
    if (ix < 0) return false;
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
    for (let i = 0, n = this.nentries(k); i < n; i++) {
      const e = this.entry(k, i) + keyAt;
      if (core.readWord(e + 8) !== 0) out.push(core.readWord(e));
    }
    return out;
  }

  /** dict.__sizeof__ plus the gc head: the object, and the keys object when the dict owns one. */
  sizeof(d: number): number {
    const k = this.core.readWord(d + MA_KEYS);
    const own = k === this.emptyKeys ? 0 : keysBytes(this.size(k), this.header, this.entryBytes(k));
    return this.core.profile.gcHeadSize + DICT_BASIC + own;
  }

  // --- what the objects ask of a dict's type --------------------------------

  /** References: a key and a value per entry, in free_keys_object's order. */
  refCount(d: number): number {
    return this.nentries(this.core.readWord(d + MA_KEYS)) * 2;
  }

  /** Where the `n`th reference is: entry n / 2's key, then its value. */
  refAt(d: number, n: number): number {
    const k = this.core.readWord(d + MA_KEYS);
    return this.entry(k, n >> 1) + this.keyOffset(k) + 8 * (n & 1);
  }

  /** dict_traverse's order: each live entry's value, then its key. */
  traverseAt(d: number, n: number): number {
    const k = this.core.readWord(d + MA_KEYS);
    const e = this.entry(k, n >> 1) + this.keyOffset(k);
    if (this.core.readWord(e + 8) === 0) return 0;
    return (n & 1) === 0 ? e + 8 : e;
  }

  /** _PyDict_MaybeUntrack's test (3.8–3.13): no live entry's value or key may be tracked. */
  untrackInFull(d: number): boolean {
    if (!this.lazyTracking) return false;
    const core = this.core;
    const k = core.readWord(d + MA_KEYS);
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
    core.writeWord(d + MA_KEYS, this.emptyKeys);
    core.writeWord(d + MA_USED, 0);
    const keyAt = this.keyOffset(k);
    for (let i = 0, n = this.nentries(k); i < n; i++) {
      const e = this.entry(k, i) + keyAt;
      const key = core.readWord(e);
      const value = core.readWord(e + 8);
      core.writeWord(e, 0);
      core.writeWord(e + 8, 0);
      if (key !== 0) core.decref(key);
      if (value !== 0) core.decref(value);
    }
    this.freeKeys(k);
  }

  /** The end of dict_dealloc: the keys object freed (its entries already released), the dict kept or freed. */
  dispose(d: number): number {
    const k = this.core.readWord(d + MA_KEYS);
    if (k !== this.emptyKeys) this.freeKeys(k);
    return this.dicts.push(d) ? 0 : d - this.core.profile.gcHeadSize;
  }
}

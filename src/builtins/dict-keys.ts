/**
 * Dict keys objects as CPython lays them out (PEP 412's compact dicts): a
 * header (3.8–3.10: dk_refcnt, dk_size, dk_lookup, dk_usable, dk_nentries in
 * 40 bytes; 3.11+: dk_refcnt, the log2 sizes, dk_kind, dk_version,
 * dk_usable, dk_nentries in 32), an index array of 1, 2, 4 or 8-byte slots,
 * and the entries in insertion order (24 bytes: hash, key, value; 3.11+ 16
 * for str keys: key, value). Their lookup, their free list of 8-slot ones,
 * their reference count, and the shared keys a class makes for its
 * instances (split tables); dict-tables.ts builds the dicts on them.
 *
 * @module
 */

import { fillBytes } from "../internal/words.js";
import type { ObjectCore } from "../objects/object-core.js";
import type { BuiltinRules } from "./builtin-rules.js";
import { DICT_MINSIZE, indexBytes, keysBytes, usableFraction } from "./dict-layout.js";
import type { FreeList } from "./free-list.js";
import { type ValueReader, valuesEqual } from "./values.js";

// An index slot: empty, or a deleted entry.
const DKIX_EMPTY = -1;
export const DKIX_DUMMY = -2;
// dk_kind (3.11+).
const KIND_GENERAL = 0;
const KIND_UNICODE = 1;
const KIND_SPLIT = 2;
// 3.8–3.10's dk_lookup, as a marker: which lookup function the table uses.
const LOOKUP_GENERAL = 1;
const LOOKUP_UNICODE = 2;
export const LOOKUP_SPLIT = 3;

/** Keys objects: the layer a dict's table lives in. */
export abstract class DictKeys {
  protected readonly core: ObjectCore;
  protected readonly rules: BuiltinRules;
  protected readonly reader: ValueReader;
  protected readonly isStr: (address: number) => boolean;
  protected readonly hash: (address: number) => number;
  protected readonly hashHigh: () => number;
  private readonly keysFree: FreeList;
  /** Py_EMPTY_KEYS: the static keys every new dict shares. */
  readonly emptyKeys: number;
  // 3.8–3.10: a 40-byte header (dk_refcnt, dk_size, dk_lookup, dk_usable, dk_nentries), 24-byte entries; 3.11+: 32
  // bytes (dk_refcnt, log2 sizes, kind, version, dk_usable, dk_nentries), entries of 16 bytes in str-only tables.
  protected readonly header: number;
  protected readonly old: boolean;
  // Where the last lookup found the key's index slot, or the empty slot it ended at.
  protected slot = 0;

  constructor(
    core: ObjectCore,
    rules: BuiltinRules,
    reader: ValueReader,
    types: {
      isStr: (address: number) => boolean;
      /** A key's hash: the low 32 bits, the high ones from hashHigh(). */
      hash: (address: number) => number;
      hashHigh: () => number;
    },
    keysFree: FreeList,
    emptyKeys: number,
  ) {
    this.core = core;
    this.rules = rules;
    this.reader = reader;
    this.isStr = types.isStr;
    this.hash = types.hash;
    this.hashHigh = types.hashHigh;
    this.keysFree = keysFree;
    this.old = rules.minor <= 10;
    this.header = this.old ? 40 : 32;
    this.emptyKeys = emptyKeys;
    this.initKeys(emptyKeys, 1, !this.old);
  }

  // --- the keys object's fields ---------------------------------------------

  protected size(k: number): number {
    return this.old ? this.core.readWord(k + 8) : 1 << (this.core.memory.u8[k + 8] as number);
  }

  protected usable(k: number): number {
    return this.core.readWord(k + (this.old ? 24 : 16));
  }

  protected setUsable(k: number, n: number): void {
    this.core.writeWord(k + (this.old ? 24 : 16), n);
  }

  /** dk_nentries: entries used so far, deleted ones included. */
  nentries(k: number): number {
    return this.core.readWord(k + (this.old ? 32 : 24));
  }

  protected setNentries(k: number, n: number): void {
    this.core.writeWord(k + (this.old ? 32 : 24), n);
  }

  /** DK_IS_UNICODE: str keys only (a split table's too). */
  protected unicode(k: number): boolean {
    return this.old ? this.core.readWord(k + 16) !== LOOKUP_GENERAL : this.core.memory.u8[k + 10] !== KIND_GENERAL;
  }

  /** dk_refcnt: the dicts (and the class) sharing a keys object. */
  protected refcnt(k: number): number {
    return this.core.readWord(k);
  }

  /** dk_usable: entries left before the table is full (a class's shared keys: before they take no more keys). */
  keysUsable(k: number): number {
    return this.usable(k);
  }

  /** Sets dk_usable (3.11+: each new instance of a class lowers its shared keys' by one). */
  setKeysUsable(k: number, n: number): void {
    this.setUsable(k, n);
  }

  /** dk_refcnt of a keys object. */
  keysRefcnt(k: number): number {
    return this.refcnt(k);
  }

  protected entryBytes(k: number): number {
    return !this.old && this.unicode(k) ? 16 : 24;
  }

  // The layout of the keys object last looked at (its address; 0 for none): worked out once, not per entry. A keys
  // object's layout is fixed from new_keys_object until it is freed, when the memo is dropped.
  protected memoKeys = 0;
  protected memoEntries = 0;
  protected memoEntryBytes = 24;
  protected memoKeyAt = 8;

  protected remember(k: number): void {
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

  protected getIndex(k: number, i: number, width: number): number {
    const at = k + this.header + i * width;
    const u8 = this.core.memory.u8;
    if (width === 1) return ((u8[at] as number) << 24) >> 24;
    if (width === 2) return (((u8[at] as number) | ((u8[at + 1] as number) << 8)) << 16) >> 16;
    return (this.core.u32[at >>> 2] as number) | 0;
  }

  protected setIndex(k: number, i: number, width: number, ix: number): void {
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

  /**
   * new_keys_object's writes: the header, the index all empty (DKIX_EMPTY),
   * the entries zeroed; every byte of the object, so a block fresh from the
   * allocator needs no clearing first.
   */
  protected initKeys(k: number, size: number, unicode: boolean): void {
    const core = this.core;
    if (k === this.memoKeys) this.memoKeys = 0;
    const width = indexBytes(size);
    const usable = usableFraction(size);
    core.writeWord(k, 1);
    if (this.old) {
      core.writeWord(k + 8, size);
      core.writeWord(k + 16, unicode ? LOOKUP_UNICODE : LOOKUP_GENERAL);
    } else {
      // dk_log2_size, dk_log2_index_bytes, dk_kind and a pad byte in one word; then dk_version, 0.
      const kind = unicode ? KIND_UNICODE : KIND_GENERAL;
      core.u32[(k + 8) >>> 2] = (31 - Math.clz32(size)) | ((31 - Math.clz32(size * width)) << 8) | (kind << 16);
      core.u32[(k + 12) >>> 2] = 0;
    }
    this.setUsable(k, usable);
    this.setNentries(k, 0);
    const index = k + this.header;
    const entries = index + size * width;
    fillBytes(core.memory, index, entries, 0xff);
    fillBytes(core.memory, entries, entries + usable * (this.old || !unicode ? 24 : 16), 0);
  }

  /** new_keys_object: a table of `size` slots, from the keys free list when it is an 8-slot one it may keep. */
  protected newKeys(size: number, unicode: boolean): number {
    const keepable = size === DICT_MINSIZE && (this.old || unicode);
    let k = keepable ? this.keysFree.pop() : 0;
    if (k === 0) k = this.core.allocator.malloc(keysBytes(size, this.header, this.old || !unicode ? 24 : 16));
    this.initKeys(k, size, unicode);
    return k;
  }

  /** free_keys_object's end: an emptied keys object goes to the free list (8 slots; 3.11+ str-only) or is freed. */
  protected freeKeys(k: number): void {
    if (k === this.memoKeys) this.memoKeys = 0;
    const keepable = this.size(k) === DICT_MINSIZE && (this.old || this.unicode(k));
    if (keepable && this.keysFree.push(k)) return;
    this.core.allocator.free(k);
  }

  /**
   * dictkeys_decref: a dict (or a class) lets go of a keys object; the last
   * to go releases its entries (each key, then its value) and frees it.
   */
  decrefKeys(k: number): void {
    const core = this.core;
    const left = this.refcnt(k) - 1;
    core.writeWord(k, left);
    if (left > 0) return;
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

  /** dictkeys_incref. */
  increfKeys(k: number): void {
    this.core.writeWord(k, this.refcnt(k) + 1);
  }

  /**
   * _PyDict_NewKeysForClass: the shared keys a class makes for its
   * instances' dicts: 8 slots (3.8–3.10, from the keys free list when it
   * holds one), or 64 of which only SHARED_KEYS_MAX_SIZE may be taken (3.11+).
   */
  newSharedKeys(): number {
    const r = this.rules;
    const k = this.newKeys(1 << r.sharedKeysLog2, true);
    if (this.old) this.core.writeWord(k + 16, LOOKUP_SPLIT);
    else {
      this.core.memory.u8[k + 10] = KIND_SPLIT;
      this.setUsable(k, r.sharedKeysMax);
    }
    return k;
  }

  /** The key of entry `i` of shared keys `k`. */
  sharedKeyAt(k: number, i: number): number {
    return this.core.readWord(this.entry(k, i) + this.keyOffset(k));
  }

  /** The entry index of `key` in keys `k`, or -1. */
  find(k: number, key: number, lo: number, hi: number): number {
    return this.lookup(k, key, lo, hi);
  }

  /**
   * insert_into_dictkeys: the index of str `key` in shared keys `k`, put
   * there (with a new reference) when absent and the keys have room; -1
   * when absent and full.
   */
  insertSharedKey(k: number, key: number, lo: number, hi: number): number {
    const ix = this.lookup(k, key, lo, hi);
    if (ix >= 0) return ix;
    if (this.usable(k) <= 0) return -1;
    this.core.incref(key);
    const n = this.nentries(k);
    this.append(k, key, lo, hi, 0);
    return n;
  }

  /**
   * shared_keys_usable_size (3.11+): the values a new instance's array
   * holds, entries taken plus entries left; 3.8–3.10: the usable two thirds.
   */
  sharedCapacity(k: number): number {
    return this.old ? usableFraction(this.size(k)) : this.nentries(k) + this.usable(k);
  }

  /** Finds `key`: its entry's index, or -1; `slot` is left at its index slot (or the empty one the probe ended at). */
  protected lookup(k: number, key: number, lo: number, hi: number): number {
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
  protected entryHigh = 0;

  /** The hash of entry `ix`: stored in a general entry, cached in a str key's object; low half returned. */
  protected entryHash(k: number, ix: number): number {
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
  protected emptySlot(k: number, lo: number, hi: number): number {
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

  /**
   * The first entry of a new 8-slot table (insert_to_emptydict): append() with
   * what a fresh table already says worked out (its first probe is empty, its
   * indices one byte, its entries right after them). `unicode`: 16-byte entries.
   */
  protected appendFirst(k: number, key: number, lo: number, hi: number, value: number, unicode: boolean): void {
    const core = this.core;
    core.memory.u8[k + this.header + (lo & (DICT_MINSIZE - 1))] = 0;
    const e = k + this.header + DICT_MINSIZE;
    if (!unicode) {
      core.u32[e >>> 2] = lo;
      core.u32[(e >>> 2) + 1] = hi;
    }
    const keyAt = unicode ? 0 : 8;
    core.writeWord(e + keyAt, key);
    core.writeWord(e + keyAt + 8, value);
    this.setUsable(k, usableFraction(DICT_MINSIZE) - 1);
    this.setNentries(k, 1);
  }

  /** Appends an entry (the references are the caller's, already counted). */
  protected append(k: number, key: number, lo: number, hi: number, value: number): void {
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
}

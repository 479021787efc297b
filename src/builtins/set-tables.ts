/**
 * Sets as CPython keeps them: a 200-byte object (`fill`, `used`, `mask`,
 * `table`, the cached hash, the finger, an inline table of eight 16-byte
 * entries, the weak references), its table moved to a block of its own once
 * it outgrows the inline one. An entry holds a key and its hash; a removed
 * key leaves the dummy (hash -1), which a later insertion on the same probe
 * sequence takes back (not in 3.9). The table is resized when `fill × 5 ≥ mask × 3`, to
 * fit `used × 4` (`used × 2` past 50,000), and never shrinks. No free list.
 *
 * @module
 */

import { fillBytes } from "../internal/words.js";
import type { ObjectCore } from "../objects/object-core.js";
import type { ObjectType } from "../objects/object-type.js";
import { type ValueReader, valuesEqual } from "./values.js";

// PySetObject's fields after the header.
const FILL = 16;
const USED = 24;
const MASK = 32;
const TABLE = 40;
const HASH = 48;
const SMALLTABLE = 64;
/** sizeof(PySetObject). */
export const SET_BASIC = 200;
/** PySet_MINSIZE. */
const SET_MINSIZE = 8;
/** LINEAR_PROBES: entries looked at one after another before jumping. */
const LINEAR_PROBES = 9;
// The inline table's entries (key, hash low, hash high), copied aside as CPython copies them to its C stack.
const smallCopy = new Float64Array(3 * SET_MINSIZE);

/** The set machinery of one Builtins. */
export class SetTables {
  private readonly core: ObjectCore;
  private readonly reader: ValueReader;
  private readonly setType: () => ObjectType;
  private readonly reuseDummy: boolean;
  /** The static object a removed key leaves behind (`_dummy_struct`). */
  readonly dummy: number;

  constructor(core: ObjectCore, reader: ValueReader, setType: () => ObjectType, dummy: number, reuseDummy: boolean) {
    this.core = core;
    this.reuseDummy = reuseDummy;
    this.reader = reader;
    this.setType = setType;
    this.dummy = dummy;
  }

  private word(at: number): number {
    return this.core.readWord(at);
  }

  private setWord(at: number, v: number): void {
    this.core.writeWord(at, v);
  }

  /** make_new_set: a new empty set (or frozenset, `type`) on its inline table, tracked. */
  newSet(type: ObjectType = this.setType()): number {
    const core = this.core;
    const s = core.newObject(type, 0, core.profile.gcHeadSize + SET_BASIC);
    this.initSet(s);
    return s;
  }

  /** An empty set's fields: the inline table, no hash yet. */
  initSet(s: number): void {
    const core = this.core;
    this.setWord(s + MASK, SET_MINSIZE - 1);
    this.setWord(s + TABLE, s + SMALLTABLE);
    core.u32[(s + HASH) >>> 2] = 0xffffffff;
    core.u32[((s + HASH) >>> 2) + 1] = 0xffffffff;
  }

  /** `used`: the keys held. */
  used(s: number): number {
    return this.word(s + USED);
  }

  /** set_add_entry: the set takes a new reference to `key` unless an equal key is there; may resize. */
  add(s: number, key: number, lo: number, hi: number): void {
    const core = this.core;
    const u32 = core.u32;
    core.incref(key);
    const mask = this.word(s + MASK);
    const table = this.word(s + TABLE);
    let i = lo & mask;
    let plo = lo;
    let phi = hi;
    let freeslot = 0;
    let entry = 0;
    for (;;) {
      entry = table + 16 * i;
      let probes = i + LINEAR_PROBES <= mask ? LINEAR_PROBES : 0;
      let found = false;
      do {
        const k = this.word(entry);
        const elo = u32[(entry + 8) >>> 2] as number;
        const ehi = u32[((entry + 8) >>> 2) + 1] as number;
        if (k === 0 && elo === 0 && ehi === 0) {
          found = true;
          break;
        }
        if (elo === lo && ehi === hi) {
          if (k === key || valuesEqual(this.reader, k, key)) {
            // Already there: the reference taken goes back.
            core.decref(key);
            return;
          }
        } else if (elo === 0xffffffff && ehi === 0xffffffff && this.reuseDummy) {
          freeslot = entry;
        }
        entry += 16;
      } while (probes-- > 0);
      if (found) break;
      plo = ((plo >>> 5) | (phi << 27)) >>> 0;
      phi >>>= 5;
      i = (i * 5 + 1 + plo) & mask;
    }
    if (freeslot !== 0) {
      // A dummy on the way: the key takes its place; fill is unchanged.
      this.setWord(s + USED, this.used(s) + 1);
      this.setEntry(freeslot, key, lo, hi);
      return;
    }
    const fill = this.word(s + FILL) + 1;
    this.setWord(s + FILL, fill);
    const used = this.used(s) + 1;
    this.setWord(s + USED, used);
    this.setEntry(entry, key, lo, hi);
    if (fill * 5 < mask * 3) return;
    this.resize(s, used > 50000 ? used * 2 : used * 4);
  }

  /**
   * set_merge of set or frozenset `other` into `s`, a new (empty) set: one
   * resize up front for the other's items; into a table of the other's size,
   * from one without dummies, its entries are copied slot for slot, else
   * inserted clean in its table order. (CPython's third way, adding one by
   * one into a set already holding some, is for `update`, not modelled.)
   */
  merge(s: number, other: number): void {
    const core = this.core;
    const u32 = core.u32;
    const used = this.used(other);
    if (used === 0) return;
    if (used * 5 >= this.word(s + MASK) * 3) this.resize(s, used * 2);
    const table = this.word(s + TABLE);
    const mask = this.word(s + MASK);
    const otherTable = this.word(other + TABLE);
    const otherMask = this.word(other + MASK);
    const copy = mask === otherMask && this.word(other + FILL) === used;
    this.setWord(s + FILL, used);
    this.setWord(s + USED, used);
    for (let i = 0; i <= otherMask; i++) {
      const e = otherTable + 16 * i;
      const key = this.word(e);
      if (key === 0 || key === this.dummy) continue;
      const lo = u32[(e + 8) >>> 2] as number;
      const hi = u32[((e + 8) >>> 2) + 1] as number;
      core.incref(key);
      if (copy) this.setEntry(table + 16 * i, key, lo, hi);
      else this.insertClean(table, mask, key, lo, hi);
    }
  }

  /**
   * set_update_internal's path for a dict: one resize for the dict's size,
   * then each key added (set_add_entry) with its hash, in the dict's order.
   */
  updateFromDict(s: number, keys: readonly number[], lo: ArrayLike<number>, hi: ArrayLike<number>): void {
    const n = keys.length;
    if ((this.word(s + FILL) + n) * 5 >= this.word(s + MASK) * 3) this.resize(s, (this.used(s) + n) * 2);
    for (let i = 0; i < n; i++) this.add(s, keys[i] as number, lo[i] as number, hi[i] as number);
  }

  private setEntry(e: number, key: number, lo: number, hi: number): void {
    this.setWord(e, key);
    this.core.u32[(e + 8) >>> 2] = lo;
    this.core.u32[((e + 8) >>> 2) + 1] = hi;
  }

  /** set_insert_clean: into a table known to hold neither the key nor a dummy. */
  private insertClean(table: number, mask: number, key: number, lo: number, hi: number): void {
    let i = lo & mask;
    let plo = lo;
    let phi = hi;
    for (;;) {
      let e = table + 16 * i;
      if (this.word(e) === 0) {
        this.setEntry(e, key, lo, hi);
        return;
      }
      if (i + LINEAR_PROBES <= mask) {
        for (let j = 0; j < LINEAR_PROBES; j++) {
          e += 16;
          if (this.word(e) === 0) {
            this.setEntry(e, key, lo, hi);
            return;
          }
        }
      }
      plo = ((plo >>> 5) | (phi << 27)) >>> 0;
      phi >>>= 5;
      i = (i * 5 + 1 + plo) & mask;
    }
  }

  /** set_table_resize: a table of more than `minused` slots (the inline one when 8 do), dummies dropped. */
  private resize(s: number, minused: number): void {
    const core = this.core;
    const u32 = core.u32;
    let size = SET_MINSIZE;
    while (size <= minused) size *= 2;
    const oldTable = this.word(s + TABLE);
    const oldMask = this.word(s + MASK);
    const small = s + SMALLTABLE;
    let fromCopy = false;
    let table: number;
    if (size === SET_MINSIZE) {
      table = small;
      if (oldTable === small) {
        if (this.word(s + FILL) === this.used(s)) return;
        // Rebuilt in place to drop the dummies: from a copy of the inline table.
        this.copySmall(small);
        fromCopy = true;
      }
    } else {
      table = core.allocator.malloc(16 * size);
    }
    fillBytes(core.memory, table, table + 16 * size, 0);
    this.setWord(s + MASK, size - 1);
    this.setWord(s + TABLE, table);
    this.setWord(s + FILL, this.used(s));
    for (let i = 0; i <= oldMask; i++) {
      const e = oldTable + 16 * i;
      const key = fromCopy ? (smallCopy[3 * i] as number) : this.word(e);
      if (key === 0 || key === this.dummy) continue;
      const lo = fromCopy ? (smallCopy[3 * i + 1] as number) : (u32[(e + 8) >>> 2] as number);
      const hi = fromCopy ? (smallCopy[3 * i + 2] as number) : (u32[((e + 8) >>> 2) + 1] as number);
      this.insertClean(table, size - 1, key, lo, hi);
    }
    if (oldTable !== small) core.allocator.free(oldTable);
  }

  /** Copies the inline table's entries aside. */
  private copySmall(small: number): void {
    const u32 = this.core.u32;
    for (let i = 0; i < SET_MINSIZE; i++) {
      const e = small + 16 * i;
      smallCopy[3 * i] = this.word(e);
      smallCopy[3 * i + 1] = u32[(e + 8) >>> 2] as number;
      smallCopy[3 * i + 2] = u32[((e + 8) >>> 2) + 1] as number;
    }
  }

  /** set_discard_entry: the key's entry becomes the dummy and the key is released; false when absent. */
  discard(s: number, key: number, lo: number, hi: number): boolean {
    const e = this.lookup(s, key, lo, hi);
    if (e === 0) return false;
    const old = this.word(e);
    this.setEntry(e, this.dummy, 0xffffffff, 0xffffffff);
    this.setWord(s + USED, this.used(s) - 1);
    this.core.decref(old);
    return true;
  }

  /** Whether the set holds a key equal to `key`. */
  contains(s: number, key: number, lo: number, hi: number): boolean {
    return this.lookup(s, key, lo, hi) !== 0;
  }

  /** set_lookkey: the entry holding a key equal to `key`, or 0. */
  private lookup(s: number, key: number, lo: number, hi: number): number {
    const u32 = this.core.u32;
    const mask = this.word(s + MASK);
    const table = this.word(s + TABLE);
    let i = lo & mask;
    let plo = lo;
    let phi = hi;
    for (;;) {
      let e = table + 16 * i;
      let probes = i + LINEAR_PROBES <= mask ? LINEAR_PROBES : 0;
      do {
        const k = this.word(e);
        const elo = u32[(e + 8) >>> 2] as number;
        const ehi = u32[((e + 8) >>> 2) + 1] as number;
        if (k === 0 && elo === 0 && ehi === 0) return 0;
        if (elo === lo && ehi === hi && k !== this.dummy && (k === key || valuesEqual(this.reader, k, key))) return e;
        e += 16;
      } while (probes-- > 0);
      plo = ((plo >>> 5) | (phi << 27)) >>> 0;
      phi >>>= 5;
      i = (i * 5 + 1 + plo) & mask;
    }
  }

  /** The stored hashes of the keys, signed, in table order. */
  keyHashes(s: number): bigint[] {
    const u32 = this.core.u32;
    const out: bigint[] = [];
    const table = this.word(s + TABLE);
    for (let i = 0, n = this.word(s + MASK) + 1; i < n; i++) {
      const e = table + 16 * i;
      const key = this.word(e);
      if (key === 0 || key === this.dummy) continue;
      const hi = BigInt(u32[((e + 8) >>> 2) + 1] as number);
      out.push(BigInt.asIntN(64, (hi << 32n) | BigInt(u32[(e + 8) >>> 2] as number)));
    }
    return out;
  }

  /** `a == b` of two sets: the same number of keys, each of `a`'s found in `b` under its stored hash. */
  equal(a: number, b: number): boolean {
    if (this.used(a) !== this.used(b)) return false;
    const u32 = this.core.u32;
    const table = this.word(a + TABLE);
    for (let i = 0, n = this.word(a + MASK) + 1; i < n; i++) {
      const e = table + 16 * i;
      const key = this.word(e);
      if (key === 0 || key === this.dummy) continue;
      if (!this.contains(b, key, u32[(e + 8) >>> 2] as number, u32[((e + 8) >>> 2) + 1] as number)) return false;
    }
    return true;
  }

  /** Whether no key of the set is an object the gc may track (_PyObject_GC_MAY_BE_TRACKED: a container, or a tracked tuple). */
  holdsOnlyAtomic(s: number, tuple: ObjectType): boolean {
    const core = this.core;
    const table = this.word(s + TABLE);
    for (let i = 0, n = this.word(s + MASK) + 1; i < n; i++) {
      const key = this.word(table + 16 * i);
      if (key === 0 || key === this.dummy) continue;
      const t = core.typeAt(key);
      if (t.container && (t !== tuple || core.isTracked(key))) return false;
    }
    return true;
  }

  /** The items in table order, as set iteration visits them. */
  items(s: number): number[] {
    const out: number[] = [];
    const table = this.word(s + TABLE);
    for (let i = 0, n = this.word(s + MASK) + 1; i < n; i++) {
      const key = this.word(table + 16 * i);
      if (key !== 0 && key !== this.dummy) out.push(key);
    }
    return out;
  }

  /** set.__sizeof__ plus the gc head: the object, and its table when it has one of its own. */
  sizeof(s: number): number {
    const table = this.word(s + TABLE);
    const own = table === s + SMALLTABLE ? 0 : 16 * (this.word(s + MASK) + 1);
    return this.core.profile.gcHeadSize + SET_BASIC + own;
  }

  // --- what the objects ask of a set's type ---------------------------------

  /** References: one per table entry (set_dealloc and set_traverse go through the table in order). */
  refCount(s: number): number {
    return this.word(s + MASK) + 1;
  }

  /** Where the `n`th entry's key is, or 0 for an empty entry or the dummy. */
  refAt(s: number, n: number): number {
    const e = this.word(s + TABLE) + 16 * n;
    const key = this.word(e);
    return key === 0 || key === this.dummy ? 0 : e;
  }

  /** set_clear_internal: back to an empty inline table, then the old keys released and an own table freed. */
  clear(s: number): void {
    const core = this.core;
    const table = this.word(s + TABLE);
    const small = s + SMALLTABLE;
    const size = this.word(s + MASK) + 1;
    let fill = this.word(s + FILL);
    const inline = table === small;
    let copy = smallCopy;
    if (inline) {
      if (fill === 0) return;
      this.copySmall(small);
      // The releases below may clear another set (a finalizer's doing): keep this one's copy apart.
      copy = smallCopy.slice();
    }
    fillBytes(core.memory, small, small + 16 * SET_MINSIZE, 0);
    this.setWord(s + FILL, 0);
    this.setWord(s + USED, 0);
    this.setWord(s + MASK, SET_MINSIZE - 1);
    this.setWord(s + TABLE, small);
    // The old entries, in table order, until as many as were filled are seen.
    for (let i = 0; i < size && fill > 0; i++) {
      const key = inline ? (copy[3 * i] as number) : this.word(table + 16 * i);
      if (key === 0) continue;
      fill--;
      if (key !== this.dummy) core.decref(key);
    }
    if (!inline) core.allocator.free(table);
  }

  /** The end of set_dealloc: an own table freed (its keys already released); the object is freed. */
  dispose(s: number): number {
    const table = this.word(s + TABLE);
    if (table !== s + SMALLTABLE) this.core.allocator.free(table);
    return s - this.core.profile.gcHeadSize;
  }
}

/**
 * Making frozensets as `frozenset(list)` does, per release: the call's
 * argument tuple (3.8, which calls the type through tp_new), the set, the
 * list's iterator for the length of the loop (3.14+ keep dead iterators on
 * a free list), each item added as `set.add` adds it; the shared empty
 * frozenset of 3.8–3.9; 3.15's untracking of a frozenset the gc would find
 * nothing in.
 *
 * @module
 */

import type { ObjectCore } from "../objects/object-core.js";
import type { ObjectType } from "../objects/object-type.js";
import type { BuiltinRules } from "./builtin-rules.js";
import type { FreeList } from "./free-list.js";
import type { FreeLists } from "./free-lists.js";
import type { KeyReader } from "./key-reader.js";
import type { SetTables } from "./set-tables.js";
import type { StaticObjects } from "./static-objects.js";

/** What frozensets are made with. */
export interface FrozensetParts {
  sets: SetTables;
  reader: KeyReader;
  statics: StaticObjects;
  free: FreeLists;
  frozenset: ObjectType;
  /** The tuple type (the objects define it; looked up once the built-ins have it). */
  tuple: () => ObjectType;
}

/** The frozensets of one Builtins. */
export class Frozensets {
  private readonly core: ObjectCore;
  private readonly rules: BuiltinRules;
  private readonly parts: FrozensetParts;
  // listiterobject (it_index, it_seq): what iterating a list allocates, for as long as the iteration.
  private readonly listIterType: ObjectType;

  constructor(core: ObjectCore, rules: BuiltinRules, parts: FrozensetParts) {
    this.core = core;
    this.rules = rules;
    this.parts = parts;
    const gcHead = core.profile.gcHeadSize;
    this.listIterType = core.defineNativeType(
      { name: "list_iterator", container: true, dataBytes: 16, trashcan: false },
      { dispose: (a) => (parts.free.listIters.push(a) ? 0 : a - gcHead) },
    );
  }

  /** `frozenset()` (no `items`) or `frozenset(list_of_items)`; the items are hashable (the caller checked). */
  make(items: readonly number[] | undefined): number {
    const r = this.rules;
    const { sets, reader } = this.parts;
    if (items === undefined) {
      if (r.emptyFrozensetShared) return this.empty();
      const s = sets.newSet(this.parts.frozenset);
      if (r.frozensetUntracks) this.core.untrackNow(s);
      return s;
    }
    // 3.8 calls the type with an argument tuple (its slot stands for the list, which the caller holds).
    const args = r.frozensetArgsTuple ? this.argsTuple() : 0;
    const s = sets.newSet(this.parts.frozenset);
    // set_update_internal iterates the list: an iterator object for the length of the loop.
    const gcHead = this.core.profile.gcHeadSize;
    const kept = this.parts.free.listIters.pop();
    const it = this.core.newObject(this.listIterType, 0, undefined, kept === 0 ? 0 : kept - gcHead);
    for (let i = 0; i < items.length; i++) {
      const v = items[i] as number;
      const lo = reader.hashOf(v);
      sets.add(s, v, lo, reader.hashHi);
    }
    this.core.decref(it);
    // Made, found empty, dropped: the shared one instead (3.8–3.9).
    const result = this.finish(s);
    if (args !== 0) this.core.decref(args);
    return result;
  }

  /**
   * `frozenset(x)` of a frozenset (`x` itself: frozenset(f) is idempotent),
   * a set (set_merge) or a dict (`keys`, with their hashes: the dict path of
   * set_update_internal); 3.8 makes the call's argument tuple all the same.
   */
  makeOf(x: number, kind: "frozenset" | "set" | "dict", keys?: readonly number[]): number {
    const r = this.rules;
    const { sets, reader } = this.parts;
    const args = r.frozensetArgsTuple ? this.argsTuple() : 0;
    let result = x;
    if (kind === "frozenset") this.core.incref(x);
    else {
      const s = sets.newSet(this.parts.frozenset);
      if (kind === "set") sets.merge(s, x);
      else {
        const ks = keys as readonly number[];
        const lo = new Float64Array(ks.length);
        const hi = new Float64Array(ks.length);
        for (let i = 0; i < ks.length; i++) {
          lo[i] = reader.hashOf(ks[i] as number);
          hi[i] = reader.hashHi;
        }
        sets.updateFromDict(s, ks, lo, hi);
      }
      result = this.finish(s);
    }
    if (args !== 0) this.core.decref(args);
    return result;
  }

  /** A frozenset just filled: 3.8–3.9 drop an empty one for the shared one; 3.15 untracks one of atoms only. */
  private finish(s: number): number {
    const r = this.rules;
    const { sets } = this.parts;
    if (sets.used(s) === 0 && r.emptyFrozensetShared) {
      this.core.decref(s);
      return this.empty();
    }
    if (r.frozensetUntracks && sets.holdsOnlyAtomic(s, this.parts.tuple())) this.core.untrackNow(s);
    return s;
  }

  /** 3.8–3.9's shared empty frozenset. */
  private empty(): number {
    return this.parts.statics.emptyFrozenset(this.parts.frozenset, (a) => this.parts.sets.initSet(a));
  }

  /** A call's 1-tuple of arguments, its slot left empty: from the free list of size 1 when it holds one. */
  private argsTuple(): number {
    const t = this.parts.tuple();
    const gcHead = this.core.profile.gcHeadSize;
    const reuse = (this.parts.free.tuples[1] as FreeList).pop();
    return this.core.newObject(t, 1, gcHead + t.slotOffset + 8, reuse === 0 ? 0 : reuse - gcHead);
  }
}

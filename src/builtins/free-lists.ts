/**
 * The built-ins' free lists together (CPython's `_Py_freelists`): one per
 * kept type, tuples by size, each with its release's capacity; what
 * `sys._debugmallocstats()` reports of them, and clear_freelists, which a
 * full collection runs, in the release's order.
 *
 * @module
 */

import type { ObjectCore } from "../objects/object-core.js";
import type { BuiltinRules } from "./builtin-rules.js";
import { FreeList } from "./free-list.js";

/** What {@link Builtins.freeListSizes} reports. */
export interface FreeListSizes {
  /** Floats kept. */
  float: number;
  /** Compact ints kept (3.14+). */
  int: number;
  /** List objects kept. */
  list: number;
  /** Dict objects kept. */
  dict: number;
  /** 8-slot keys objects kept. */
  dictKeys: number;
  /** Tuples kept, by size (index 0 unused). */
  tuple: number[];
}

/** The free lists of one Builtins. */
export class FreeLists {
  readonly floats: FreeList;
  readonly ints: FreeList;
  readonly lists: FreeList;
  /** List iterators (3.14+). */
  readonly listIters: FreeList;
  readonly dictObjects: FreeList;
  readonly dictKeys: FreeList;
  /** Tuples by size, index 0 unused. */
  readonly tuples: FreeList[];
  private readonly rules: BuiltinRules;

  constructor(rules: BuiltinRules) {
    this.rules = rules;
    this.floats = new FreeList(rules.floatFreeList);
    this.ints = new FreeList(rules.intFreeList);
    this.lists = new FreeList(rules.listFreeList);
    this.listIters = new FreeList(rules.listIterFreeList);
    this.dictObjects = new FreeList(rules.dictFreeList);
    this.dictKeys = new FreeList(rules.dictKeysFreeList);
    this.tuples = Array.from(
      { length: rules.tupleFreeMaxPush + 1 },
      (_, i) => new FreeList(i === 0 ? 0 : rules.tupleFreeList),
    );
  }

  /** How many dead objects each keeps. */
  sizes(): FreeListSizes {
    return {
      float: this.floats.size,
      int: this.ints.size,
      list: this.lists.size,
      dict: this.dictObjects.size,
      dictKeys: this.dictKeys.size,
      tuple: this.tuples.map((f) => f.size),
    };
  }

  /** clear_freelists: frees what every list keeps, in the release's order, most recently kept first. */
  clear(core: ObjectCore): void {
    const gcHead = core.profile.gcHeadSize;
    for (const name of this.rules.clearOrder) {
      if (name === "float") this.floats.clear((a) => core.freeKept(a, false));
      else if (name === "int") this.ints.clear((a) => core.freeKept(a, false));
      else if (name === "list") this.lists.clear((a) => core.freeKept(a - gcHead, true));
      else if (name === "listiter") this.listIters.clear((a) => core.freeKept(a - gcHead, true));
      else if (name === "dict") this.dictObjects.clear((a) => core.freeKept(a - gcHead, true));
      else if (name === "dictkeys") this.dictKeys.clear((a) => core.freeKept(a, false));
      else for (const f of this.tuples) f.clear((a) => core.freeKept(a - gcHead, true));
    }
  }
}

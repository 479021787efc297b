/**
 * Mutations of the built-in objects: sizes and layouts per release, list
 * growth and shrinking, the free lists and their clearing, the shared small
 * ints. The oracles that catch them compare with the real interpreters'
 * `sys.getsizeof` and allocator calls (their goldens, without interpreters).
 */
import type { Mutation } from "./mutation.js";

const UNIT = "test/builtins/builtins.test.ts";
const SIZES = "test/builtins/getsizeof.oracle.test.ts";
const CALLS = "test/builtins/allocator-calls.oracle.test.ts";
const RULES = "src/builtins/builtin-rules.ts";

export const builtinMutations: Mutation[] = [
  {
    id: "builtins-str-header-312",
    file: RULES,
    find: "  strAsciiHeader: 40,",
    replace: "  strAsciiHeader: 48,",
    rule: "3.12 dropped wstr: PyASCIIObject is 40 bytes",
    tests: [SIZES, CALLS],
  },
  {
    id: "builtins-latin1-utf8",
    file: RULES,
    find: "  latin1Utf8: true,",
    replace: "  latin1Utf8: false,",
    rule: "3.12+'s static latin-1 strings carry their UTF-8 form, which getsizeof counts",
    tests: [SIZES],
  },
  {
    id: "builtins-int-medium-311",
    file: RULES,
    find: "    minor: 11,\n    intMediumBytes: 32,",
    replace: "    minor: 11,\n    intMediumBytes: 0,",
    rule: "3.11's _PyLong_FromMedium allocates the whole 32-byte struct for a one-digit int",
    tests: [CALLS],
  },
  {
    id: "builtins-tuple-pop-20-in-313",
    file: RULES,
    find: "    minor: 13,\n    tupleFreeMaxPop: 20,",
    replace: "    minor: 13,\n    tupleFreeMaxPop: 19,",
    rule: "3.13 takes size-20 tuples back from their free list (3.11 and 3.12 never do)",
    tests: [CALLS],
  },
  {
    id: "builtins-clear-order-313",
    file: RULES,
    find: 'clearOrder: ["float", "tuple", "list", "dict", "dictkeys"] as const',
    replace: 'clearOrder: ["tuple", "float", "list", "dict", "dictkeys"] as const',
    rule: "3.13's clear_freelists empties floats before tuples",
    tests: [UNIT, CALLS],
  },
  {
    id: "builtins-small-ints-315",
    file: RULES,
    find: "smallIntMax: 1024 }",
    replace: "smallIntMax: 256 }",
    rule: "3.15 shares the ints up to 1024",
    tests: [UNIT, CALLS],
  },
  {
    id: "builtins-int-freelist-compact-only",
    file: "src/builtins/builtins.ts",
    find: "this.digitsAt(a) <= 1 && this.ints.push(a)",
    replace: "this.digitsAt(a) <= 2 && this.ints.push(a)",
    rule: "3.14's long_dealloc keeps only compact (one-digit) ints on the free list",
    tests: [UNIT],
  },
  {
    id: "builtins-tuple-freelist-size-bound",
    file: "src/builtins/builtins.ts",
    find: "return n <= rules.tupleFreeMaxPush && (this.tuples[n] as FreeList).push(a) ? 0 : a - gcHead;",
    replace: "return n < rules.tupleFreeMaxPush && (this.tuples[n] as FreeList).push(a) ? 0 : a - gcHead;",
    rule: "tuple_dealloc keeps sizes up to PyTuple_MAXSAVESIZE - 1 (19; 20 from 3.11)",
    tests: [CALLS],
  },
  {
    id: "builtins-list-append-fast-path-311",
    file: "src/objects/list-items.ts",
    find: "(this.minor === 0 || this.minor >= 11) && this.readWord(list + OB_ALLOCATED) > n",
    replace: "(this.minor === 0 || this.minor >= 12) && this.readWord(list + OB_ALLOCATED) > n",
    rule: "3.11's _PyList_AppendTakeRef resizes only a full array",
    tests: [CALLS],
  },
  {
    id: "builtins-list-pop-clears-312",
    file: "src/objects/object-type.ts",
    find: "  return minor === 0 || minor >= 12;",
    replace: "  return minor === 0 || minor >= 13;",
    rule: "3.12+ free a list's array when its last item is popped",
    tests: [CALLS],
  },
  {
    id: "builtins-list-no-shrink-314",
    file: "src/objects/object-type.ts",
    find: "export const LIST_NO_SHRINK = 32;",
    replace: "export const LIST_NO_SHRINK = 24;",
    rule: "3.14's list_resize never shrinks an array of at most 32 items",
    tests: [SIZES, CALLS],
  },
  {
    id: "builtins-list-preallocate-even",
    file: "src/objects/object-type.ts",
    find: "  return minor === 0 || minor >= 10 ? (n + 1) & ~1 : -1;",
    replace: "  return minor === 0 || minor >= 10 ? n : -1;",
    rule: "3.10+'s list_preallocate_exact rounds up to even",
    tests: [SIZES, CALLS],
  },

  {
    id: "builtins-dict-keysize-312",
    file: "src/builtins/dict-layout.ts",
    find: "  if (minor >= 10 && minor <= 12) {",
    replace: "  if (minor >= 10 && minor <= 11) {",
    rule: "3.10-3.12's calculate_log2_keysize gives 16 slots for 1-7 entries",
    tests: [CALLS],
  },
  {
    id: "builtins-dict-growth-rate",
    file: "src/builtins/dict-tables.ts",
    find: "    if (this.usable(k) <= 0) {\n      this.resize(d, this.used(d) * 3, true);",
    replace: "    if (this.usable(k) <= 0) {\n      this.resize(d, this.used(d) * 2, true);",
    rule: "GROWTH_RATE: a full table is resized to fit used * 3",
    tests: [SIZES, CALLS],
  },
  {
    id: "builtins-dict-keys-freelist-str-only",
    file: "src/builtins/dict-tables.ts",
    find: "    const keepable = this.size(k) === DICT_MINSIZE && (this.old || this.unicode(k));",
    replace: "    const keepable = this.size(k) === DICT_MINSIZE;",
    rule: "3.11+ keep only str-only 8-slot keys objects on their free list",
    tests: [CALLS],
  },
  {
    id: "builtins-dict-freelist",
    file: "src/builtins/dict-tables.ts",
    find: "    return this.dicts.push(d) ? 0 : d - this.core.profile.gcHeadSize;",
    replace: "    return d - this.core.profile.gcHeadSize;",
    rule: "dict_dealloc keeps up to 80 dict objects on a free list",
    tests: [CALLS],
  },
  {
    id: "builtins-dict-delete-order",
    file: "src/builtins/dict-tables.ts",
    find: "    core.decref(oldKey);\n    core.decref(oldValue);",
    replace: "    core.decref(oldValue);\n    core.decref(oldKey);",
    rule: "delitem_common releases the key, then the value",
    tests: [CALLS],
  },
  {
    id: "builtins-dict-lazy-tracking-313",
    file: "src/builtins/dict-tables.ts",
    find: "    this.lazyTracking = rules.minor <= 13;",
    replace: "    this.lazyTracking = rules.minor <= 12;",
    rule: "3.8-3.13 track a dict only once it holds a container, and untrack it in full collections",
    tests: [UNIT],
  },
  {
    id: "builtins-dict-str-table-conversion",
    file: "src/builtins/dict-tables.ts",
    find: "      this.resize(d, this.used(d) * 3, false);",
    replace: "      this.resize(d, this.used(d) * 3, true);",
    rule: "3.11+ turn a str-only table into a general one at the first other key",
    tests: [SIZES, CALLS],
  },

  {
    id: "builtins-set-dummy-reuse-39",
    file: RULES,
    find: "minor: 9, setReusesDummy: false",
    replace: "minor: 9, setReusesDummy: true",
    rule: "3.9's set_add_entry never takes a removed key's slot back",
    tests: [UNIT, SIZES, CALLS],
  },
  {
    id: "builtins-set-fill-threshold",
    file: "src/builtins/set-tables.ts",
    find: "    if (fill * 5 < mask * 3) return;",
    replace: "    if (fill * 3 < mask * 2) return;",
    rule: "set_add_entry resizes when fill * 5 >= mask * 3",
    tests: [UNIT, SIZES, CALLS],
  },
  {
    id: "builtins-set-growth",
    file: "src/builtins/set-tables.ts",
    find: "    this.resize(s, used > 50000 ? used * 2 : used * 4);",
    replace: "    this.resize(s, used > 50000 ? used * 2 : used * 3);",
    rule: "a set grows to fit used * 4",
    tests: [UNIT, SIZES, CALLS],
  },
  {
    id: "builtins-set-linear-probes",
    file: "src/builtins/set-tables.ts",
    find: "const LINEAR_PROBES = 9;",
    replace: "const LINEAR_PROBES = 8;",
    rule: "LINEAR_PROBES: nine entries after the first before a jump (where keys land, so which dummies are met)",
    tests: [SIZES, CALLS],
  },
  {
    id: "builtins-str-hash-siphash13",
    file: "src/builtins/hashes.ts",
    find: "  const [c, d] = minor >= 11 ? [1, 3] : [2, 4];",
    replace: "  const [c, d] = minor >= 12 ? [1, 3] : [2, 4];",
    rule: "3.11 hashes strs and bytes with SipHash-1-3 (before: SipHash-2-4)",
    tests: ["test/builtins/hashes.oracle.test.ts"],
  },
];

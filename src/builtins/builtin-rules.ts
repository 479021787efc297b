/**
 * What changes between releases in CPython's built-in objects: layouts,
 * allocation sizes, free lists. One record per release, from the headers each
 * release installs and measurements on the real interpreters
 * (docs/notes/cpython-builtins.md).
 *
 * @module
 */

/** Free lists a collection of the oldest generation empties, by name. */
export type FreeListName = "float" | "int" | "tuple" | "list" | "listiter" | "dict" | "dictkeys";

/** The built-ins' rules of one CPython release. */
export interface BuiltinRules {
  /** The CPython 3 minor release (8 … 15). */
  readonly minor: number;
  /** The largest shared small int (-5 … this): 256, and 1024 from 3.15. */
  readonly smallIntMax: number;
  /** 3.11+: one-digit ints are allocated as the whole struct (`_PyLong_FromMedium`, 32 bytes), not 24 + 4n. */
  readonly intMediumBytes: number;
  /** `sys.getsizeof(0)` counts one digit from 3.11 (28), none before (24). */
  readonly intSizeofMinDigits: number;
  /** `int.__sizeof__` and allocation: 3.12+ keep the digit count and sign in `lv_tag`, before in a signed `ob_size`. */
  readonly intTagged: boolean;
  /** The compact-int free list's capacity (3.14+), 0 when there is none. */
  readonly intFreeList: number;
  /** The list iterators' free list's capacity (3.14+), 0 when there is none. */
  readonly listIterFreeList: number;
  /** The float free list's capacity. */
  readonly floatFreeList: number;
  /** sizeof(PyASCIIObject): the header of an ASCII str. */
  readonly strAsciiHeader: number;
  /** sizeof(PyCompactUnicodeObject): the header of any other str. */
  readonly strCompactHeader: number;
  /** Static 1-character latin-1 strings carry their 2-byte UTF-8 form (3.12+), which `getsizeof` counts. */
  readonly latin1Utf8: boolean;
  /** Tuples of sizes 1 … this go to the free list at deallocation. */
  readonly tupleFreeMaxPush: number;
  /** Tuples of sizes 1 … this are taken from it (3.11–3.13 keep size 20 but never take it back). */
  readonly tupleFreeMaxPop: number;
  /** The tuple free list's capacity per size. */
  readonly tupleFreeList: number;
  /** The list free list's capacity (list objects; their arrays are freed). */
  readonly listFreeList: number;
  /** The dict free list's capacity (dict objects). */
  readonly dictFreeList: number;
  /** The capacity of the free list of 8-slot keys objects (3.11+: str-only ones). */
  readonly dictKeysFreeList: number;
  /** set_add_entry takes back a removed key's slot met on the probe sequence (all but 3.9, measured). */
  readonly setReusesDummy: boolean;
  /** `frozenset()` is one shared object, made once and kept (3.8–3.9); `frozenset([])` makes a set and drops it first. */
  readonly emptyFrozensetShared: boolean;
  /** A new frozenset none of whose items the gc may track is untracked (3.15's _PyFrozenSet_MaybeUntrack). */
  readonly frozensetUntracks: boolean;
  /** A new tuple holding no gc object is untracked from the start (3.14+; before, only a collection untracks it). */
  readonly tupleUntracksAtoms: boolean;
  /**
   * An instruction handing more than this many stack items to a C function as an array (BUILD_MAP: two per entry)
   * copies them to a PyMem_Malloc'd one first, freed after (3.14+'s stack references); 0: never.
   */
  readonly stackScratchMax: number;
  /** Calling `frozenset(x)` packs its argument in a 1-tuple (3.8: tp_new; 3.9+ frozenset has vectorcall). */
  readonly frozensetArgsTuple: boolean;
  /** The order clear_freelists empties the lists in. */
  readonly clearOrder: readonly FreeListName[];
  /**
   * How instances of a class without `__slots__` keep their attributes:
   * `"dict"` (3.8–3.10: a `__dict__` slot in the object, the dict made at the
   * first store), `"values"` (3.11: the values array's and the dict's
   * pointers before the gc head, the array made with the object),
   * `"dict-or-values"` (3.12: one word for either, beside the weaklist, before
   * the gc head), `"inline"` (3.13+: the values inside the object).
   */
  readonly instanceLayout: "dict" | "values" | "dict-or-values" | "inline";
  /** log2 of the slots of a class's shared keys (ht_cached_keys) when the class is made: 3 (8), and 6 (64) from 3.11. */
  readonly sharedKeysLog2: number;
  /**
   * SHARED_KEYS_MAX_SIZE (3.11+): the entries a class's shared keys may take
   * (its dk_usable when made; each new instance lowers it by one while above
   * one); 0 before 3.11, where the keys take their usable two thirds.
   */
  readonly sharedKeysMax: number;
}

const BASE = {
  smallIntMax: 256,
  setReusesDummy: true,
  intFreeList: 0,
  listIterFreeList: 0,
  floatFreeList: 100,
  tupleFreeList: 2000,
  listFreeList: 80,
  dictFreeList: 80,
  dictKeysFreeList: 80,
  emptyFrozensetShared: false,
  frozensetUntracks: false,
  tupleUntracksAtoms: false,
  stackScratchMax: 0,
  frozensetArgsTuple: false,
} as const;

const UP_TO_310 = {
  ...BASE,
  instanceLayout: "dict",
  sharedKeysLog2: 3,
  sharedKeysMax: 0,
  intMediumBytes: 0,
  intSizeofMinDigits: 0,
  intTagged: false,
  strAsciiHeader: 48,
  strCompactHeader: 72,
  latin1Utf8: false,
  tupleFreeMaxPush: 19,
  tupleFreeMaxPop: 19,
  clearOrder: ["tuple", "float", "list", "dict", "dictkeys"],
} as const;

const SINCE_312 = {
  ...BASE,
  instanceLayout: "dict-or-values",
  sharedKeysLog2: 6,
  sharedKeysMax: 30,
  intMediumBytes: 32,
  intSizeofMinDigits: 1,
  intTagged: true,
  strAsciiHeader: 40,
  strCompactHeader: 56,
  latin1Utf8: true,
  tupleFreeMaxPush: 20,
  tupleFreeMaxPop: 19,
  clearOrder: ["tuple", "float", "list", "dict", "dictkeys"],
} as const;

const SINCE_314 = {
  ...SINCE_312,
  instanceLayout: "inline",
  tupleUntracksAtoms: true,
  // MAX_STACKREF_SCRATCH.
  stackScratchMax: 10,
  intFreeList: 100,
  listIterFreeList: 10,
  tupleFreeMaxPop: 20,
  clearOrder: ["float", "tuple", "list", "listiter", "dict", "dictkeys", "int"],
} as const;

const RULES: Readonly<Record<number, BuiltinRules>> = Object.freeze({
  8: Object.freeze({ ...UP_TO_310, minor: 8, emptyFrozensetShared: true, frozensetArgsTuple: true }),
  // 3.9's set_add_entry fills an empty slot even past a removed key's (3.8 and 3.10+ take the removed one back).
  9: Object.freeze({ ...UP_TO_310, minor: 9, setReusesDummy: false, emptyFrozensetShared: true }),
  10: Object.freeze({ ...UP_TO_310, minor: 10 }),
  // 3.11: _PyLong_FromMedium and one counted digit; the str headers still hold wstr; size-20 tuples kept, not taken.
  11: Object.freeze({
    ...UP_TO_310,
    minor: 11,
    intMediumBytes: 32,
    intSizeofMinDigits: 1,
    tupleFreeMaxPush: 20,
    instanceLayout: "values",
    sharedKeysLog2: 6,
    sharedKeysMax: 30,
  }),
  12: Object.freeze({ ...SINCE_312, minor: 12 }),
  // 3.13 takes size-20 tuples back (3.13.18), and empties the float list before the tuple lists.
  13: Object.freeze({
    ...SINCE_312,
    minor: 13,
    tupleFreeMaxPop: 20,
    // 3.13: the values inside the object (Py_TPFLAGS_INLINE_VALUES).
    instanceLayout: "inline",
    clearOrder: ["float", "tuple", "list", "dict", "dictkeys"] as const,
  }),
  14: Object.freeze({ ...SINCE_314, minor: 14 }),
  // 3.15 shares the ints up to 1024.
  15: Object.freeze({ ...SINCE_314, minor: 15, smallIntMax: 1024, frozensetUntracks: true }),
});

/** The built-ins' rules of CPython 3.`minor`, or undefined for a release pymem does not model (before 3.8). */
export function builtinRules(minor: number): BuiltinRules | undefined {
  return RULES[minor];
}

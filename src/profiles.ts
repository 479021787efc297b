/**
 * Profiles: the parameters of one CPython release's memory manager, for every
 * layer. A profile is a frozen plain object; `defineProfile` validates a
 * derived one for experiments.
 *
 * Sources (see docs/notes/cpython-memory.md for the full derivation):
 * - 3.8, 3.9: `Objects/obmalloc.c` of 3.9.2: ARENA_SIZE 256 KiB, POOL_SIZE =
 *   SYSTEM_PAGE_SIZE 4 KiB, `address_in_range` membership test; 3.8 lacks the
 *   bpo-37257 rule that keeps the last wholly free arena (added in 3.9).
 * - 3.10: `Objects/obmalloc.c` of 3.10: USE_LARGE_ARENAS / USE_LARGE_POOLS
 *   (ARENA_BITS 20, POOL_BITS 14), radix-tree arena map with 48 address bits.
 * - 3.11: `Objects/obmalloc.c` of 3.11.2: as 3.10 but the arena map covers all
 *   64 address bits (IGNORE_BITS 0).
 * - 3.12, 3.13: `Include/internal/pycore_obmalloc.h` of 3.12.1 and
 *   `Objects/obmalloc.c` of 3.13.5: the pymalloc functions are textually those
 *   of 3.11 (state moved into a struct); gc thresholds (700, 10, 10) in 3.12 and
 *   (2000, 10, 10) in 3.13 (`pycore_runtime_init.h`).
 * - 3.14.0 (`cpython-3.14.0`): 3.14.0–3.14.4 keep 3.13's pymalloc; the gc is
 *   the incremental one with thresholds (2000, 10, 0), checked against
 *   CPython 3.14.2 (Pyodide).
 * - 3.14 (`cpython-3.14`): 3.14.5 and later went back to 3.13's generational
 *   collector (gh-148726), checked against Debian's 3.14.10.
 * - 3.15 (`cpython-3.15`): 3.14's, with weak references without a callback
 *   cleared only after finalizers ran (gh-135552), checked against Debian's
 *   3.15.2; `cpython-3.15-hugepages` has the huge-page build's 2 MiB arenas.
 *
 * @module
 */

import { checkPowerOfTwo, checkSize } from "./internal/arguments.js";

/** How pymalloc decides whether an address belongs to one of its arenas. Behaviour is the same; the stats text differs. */
export type ArenaMap =
  /** 3.8/3.9: read the would-be pool header's arena index and check the arena's range. */
  | {
      /** Discriminant: CPython's `address_in_range` test. */
      readonly kind: "address-in-range";
    }
  /** 3.10+: a three-level radix tree over the address bits above `arenaBits`. */
  | {
      /** Discriminant: the radix-tree arena map (`arena_map_is_used`). */
      readonly kind: "radix-tree";
      /** Address bits the tree covers (48 in 3.10, 64 in 3.11+). */
      readonly addressBits: number;
      /** Bits of the root index. */
      readonly rootBits: number;
      /** Bits of a mid node's index. */
      readonly midBits: number;
      /** Bits of a bottom node's index. */
      readonly botBits: number;
      /** Size of one pointer slot of root and mid nodes. */
      readonly pointerBytes: number;
      /** Size of one bottom-node leaf (two int32 tails). */
      readonly leafBytes: number;
    };

/** Which cyclic garbage collector the profile runs. */
export type GcVariant =
  /** 3.8: resurrection by a finalizer revives the whole unreachable set. */
  | "generational-3.8"
  /** 3.9–3.11: collection runs inside allocation when thresholds are exceeded. */
  | "generational-3.9"
  /** 3.12/3.13: immortal objects; automatic collection deferred to a safe point. */
  | "generational-3.12"
  /** 3.15: 3.12's collector, but weak references without a callback are cleared only after finalizers ran (gh-135552). */
  | "generational-3.15"
  /** 3.14.0–3.14.4 (`cpython-3.14.0`): the incremental collector (young list, visited and pending old spaces, increments). */
  | "incremental-3.14";

/** How deep deallocation chains are cut (CPython's trashcan). */
export type Trashcan =
  /** 3.8–3.12: at `unwindLevel` nested deallocations, objects are deposited and freed LIFO once the stack unwinds. */
  | {
      /** Discriminant: the trashcan counts nested deallocations (3.8–3.12). */
      readonly kind: "nesting";
      /** _PyTrash_UNWIND_LEVEL: the nesting depth of deallocations at which objects start being deposited (50 in the built-in profiles). */
      readonly unwindLevel: number;
      /**
       * 3.8–3.10: a finalizer (`__del__`) runs in a frame object that holds the
       * dying object and is itself deallocated through the trashcan; at the
       * unwind level the frame is deposited, keeping the object alive until the
       * deposits are freed.
       */
      readonly finalizerFrame?: boolean;
    }
  /**
   * 3.13: by the C recursion budget: deposit when no more than `headroom` levels
   * remain, drain when more than twice that remain; `budget` is what remains at
   * the top-level call.
   */
  | {
      /** Discriminant: the trashcan watches the C recursion budget (3.13). */
      readonly kind: "recursion-budget";
      /** Py_TRASHCAN_HEADROOM: deposit when this many levels or fewer of the budget remain (50 in the built-in profiles). */
      readonly headroom: number;
      /**
       * The C recursion budget left where a Python program's own code drops an
       * object: Py_C_RECURSION_LIMIT (10000) less the 2 units the running
       * eval loop took (9998 in the built-in profiles).
       */
      readonly budget: number;
    }
  /**
   * 3.14+: by the C stack itself. Every deallocation of a gc object
   * (`_Py_Dealloc`) measures how far the stack is above its soft limit, in
   * units of `marginBytes`: under 2 units left, the object is deposited; with 4
   * or more, the deposits are freed when its deallocation returns. Where the
   * limit falls depends on the stack size (`ulimit -s`), what sits at the top of
   * the stack (the environment) and the build's frame sizes, so `stackBytes` is
   * a property of a run, not of the program.
   */
  | {
      /** Discriminant: the trashcan watches the C stack (3.14+). */
      readonly kind: "stack";
      /** _PyOS_STACK_MARGIN_BYTES: the margin's unit (16384 on 64-bit builds). */
      readonly marginBytes: number;
      /** Bytes of stack between the top-level deallocation and the soft limit. */
      readonly stackBytes: number;
      /** Bytes of stack one nested deallocation of an instance takes (`_Py_Dealloc`'s frame and `subtype_dealloc`'s). */
      readonly frameBytes: number;
      /** The same for a list-like object (`_Py_Dealloc`'s frame and `list_dealloc`'s). */
      readonly listFrameBytes: number;
      /**
       * What a deposited object's deallocation takes beyond that when the
       * deposits are freed: the drain's frame in place of `_Py_Dealloc`'s
       * (may be negative).
       */
      readonly drainExtraBytes: number;
    };

/** The parameters of one CPython memory manager. */
export interface Profile {
  /** Profile name, e.g. `cpython-3.11`. */
  readonly name: string;
  /** The CPython release it models, e.g. `3.11`, or a free text for custom profiles. */
  readonly python: string;
  /** ALIGNMENT: block sizes are multiples of this. */
  readonly alignment: number;
  /** SMALL_REQUEST_THRESHOLD: larger requests go to the raw allocator. */
  readonly smallRequestThreshold: number;
  /** ARENA_SIZE in bytes. */
  readonly arenaSize: number;
  /** POOL_SIZE in bytes. */
  readonly poolSize: number;
  /** POOL_OVERHEAD: the pool header rounded up to the alignment. */
  readonly poolOverhead: number;
  /** INITIAL_ARENA_OBJECTS: first size of the arena objects vector (it doubles after). */
  readonly initialArenaObjects: number;
  /** bpo-37257 (3.9+): the wholly free arena that is last in usable_arenas is kept, not released. */
  readonly keepLastFreeArena: boolean;
  /** The arenas' page alignment: arenas come from mmap, so they are page-aligned and not necessarily pool-aligned. */
  readonly arenaAlignment: number;
  /** How membership is tested (affects only the stats text). */
  readonly arenaMap: ArenaMap;
  /** Bytes of the object header (ob_refcnt, ob_type). */
  readonly objectHeaderSize: number;
  /** Bytes of PyGC_Head before a container object. */
  readonly gcHeadSize: number;
  /** Default gc thresholds, as gc.get_threshold(). */
  readonly gcThresholds: readonly [number, number, number];
  /** The collector variant. */
  readonly gc: GcVariant;
  /** PEP 683 (3.12+): the refcount an immortal object holds, or null before 3.12. */
  readonly immortalRefcount: number | null;
  /** The trashcan that cuts deep deallocation chains. */
  readonly trashcan: Trashcan;
}

const RADIX_310: ArenaMap = Object.freeze({
  kind: "radix-tree",
  addressBits: 48,
  rootBits: 10,
  midBits: 10,
  botBits: 8,
  pointerBytes: 8,
  leafBytes: 8,
});

const RADIX_311: ArenaMap = Object.freeze({
  kind: "radix-tree",
  addressBits: 64,
  rootBits: 15,
  midBits: 15,
  botBits: 14,
  pointerBytes: 8,
  leafBytes: 8,
});

const RADIX_315_HUGE: ArenaMap = Object.freeze({
  kind: "radix-tree",
  addressBits: 64,
  rootBits: 15,
  midBits: 15,
  botBits: 13,
  pointerBytes: 8,
  leafBytes: 8,
});

const ADDRESS_IN_RANGE: ArenaMap = Object.freeze({ kind: "address-in-range" });

const COMMON = {
  alignment: 16,
  smallRequestThreshold: 512,
  poolOverhead: 48,
  initialArenaObjects: 16,
  arenaAlignment: 4096,
  objectHeaderSize: 16,
  gcHeadSize: 16,
} as const;

function frozen(p: Profile): Profile {
  // Name and release first: what a reader of `pymem profiles --json` looks for.
  const { name, python, ...rest } = p;
  return Object.freeze({
    name,
    python,
    ...rest,
    gcThresholds: Object.freeze([...p.gcThresholds]) as Profile["gcThresholds"],
    trashcan: Object.freeze({ ...p.trashcan }),
  });
}

// _PyTrash_UNWIND_LEVEL (3.8–3.12 object.h / pycore_object.h).
const NESTING_50: Trashcan = { kind: "nesting", unwindLevel: 50 };
// 3.8–3.10: __del__ runs in a frame object whose frame_dealloc goes through the trashcan.
const NESTING_50_FRAMES: Trashcan = { kind: "nesting", unwindLevel: 50, finalizerFrame: true };
// Py_TRASHCAN_HEADROOM 50 against Py_C_RECURSION_LIMIT 10000 (3.13 release builds), less the eval loop's 2 units
// (PY_EVAL_C_STACK_UNITS) for the frame running the program's code.
const BUDGET_313: Trashcan = { kind: "recursion-budget", headroom: 50, budget: 9998 };
// 3.14+: _PyOS_STACK_MARGIN_BYTES on 64-bit builds; frame sizes of Debian's x86-64 builds, and the stack a
// program's own code has under an 8 MiB stack, measured from the free order of deep chains (test/objects).
const STACK_314: Trashcan = {
  kind: "stack",
  marginBytes: 16384,
  stackBytes: 8343952,
  frameBytes: 144,
  listFrameBytes: 96,
  drainExtraBytes: -16,
};
const STACK_315: Trashcan = {
  kind: "stack",
  marginBytes: 16384,
  stackBytes: 8344160,
  frameBytes: 192,
  listFrameBytes: 96,
  drainExtraBytes: -16,
};

// What 3.14.0 and every later release share: 3.13's pymalloc, 3.14's trashcan and immortal refcount (3 << 30),
// thresholds (2000, 10, 10) unless a release says otherwise.
const SINCE_314 = {
  ...COMMON,
  immortalRefcount: 3 * 2 ** 30,
  trashcan: STACK_314,
  arenaSize: 1024 * 1024,
  poolSize: 16 * 1024,
  keepLastFreeArena: true,
  arenaMap: RADIX_311,
  gcThresholds: [2000, 10, 10],
} as const;

/** The built-in profiles, one per CPython release whose memory manager differs. */
export const profiles: Readonly<Record<ProfileName, Profile>> = Object.freeze({
  // 3.8.18 at runtime: 256 KiB arenas, 4 KiB pools; no keep-last-free-arena rule (bpo-37257 landed in 3.9).
  "cpython-3.8": frozen({
    ...COMMON,
    name: "cpython-3.8",
    immortalRefcount: null,
    trashcan: NESTING_50_FRAMES,
    python: "3.8",
    arenaSize: 256 * 1024,
    poolSize: 4096,
    keepLastFreeArena: false,
    arenaMap: ADDRESS_IN_RANGE,
    gcThresholds: [700, 10, 10],
    gc: "generational-3.8",
  }),
  // 3.9.2 obmalloc.c: 256 KiB arenas, SYSTEM_PAGE_SIZE pools, address_in_range.
  "cpython-3.9": frozen({
    ...COMMON,
    name: "cpython-3.9",
    immortalRefcount: null,
    trashcan: NESTING_50_FRAMES,
    python: "3.9",
    arenaSize: 256 * 1024,
    poolSize: 4096,
    keepLastFreeArena: true,
    arenaMap: ADDRESS_IN_RANGE,
    gcThresholds: [700, 10, 10],
    gc: "generational-3.9",
  }),
  // 3.10 obmalloc.c: ARENA_BITS 20, POOL_BITS 14, radix tree over 48 address bits.
  "cpython-3.10": frozen({
    ...COMMON,
    name: "cpython-3.10",
    immortalRefcount: null,
    trashcan: NESTING_50_FRAMES,
    python: "3.10",
    arenaSize: 1024 * 1024,
    poolSize: 16 * 1024,
    keepLastFreeArena: true,
    arenaMap: RADIX_310,
    gcThresholds: [700, 10, 10],
    gc: "generational-3.9",
  }),
  // 3.11.2 obmalloc.c: as 3.10, radix tree over all 64 address bits.
  "cpython-3.11": frozen({
    ...COMMON,
    name: "cpython-3.11",
    immortalRefcount: null,
    trashcan: NESTING_50,
    python: "3.11",
    arenaSize: 1024 * 1024,
    poolSize: 16 * 1024,
    keepLastFreeArena: true,
    arenaMap: RADIX_311,
    gcThresholds: [700, 10, 10],
    gc: "generational-3.9",
  }),
  // 3.12.1 pycore_obmalloc.h: 3.11's pymalloc in a state struct; gc deferred to the eval breaker, immortals.
  "cpython-3.12": frozen({
    ...COMMON,
    name: "cpython-3.12",
    immortalRefcount: 0xffff_ffff,
    trashcan: NESTING_50,
    python: "3.12",
    arenaSize: 1024 * 1024,
    poolSize: 16 * 1024,
    keepLastFreeArena: true,
    arenaMap: RADIX_311,
    gcThresholds: [700, 10, 10],
    gc: "generational-3.12",
  }),
  // 3.13.5 obmalloc.c (pymalloc textually 3.11's) and pycore_runtime_init.h: thresholds (2000, 10, 10).
  "cpython-3.13": frozen({
    ...COMMON,
    name: "cpython-3.13",
    immortalRefcount: 0xffff_ffff,
    trashcan: BUDGET_313,
    python: "3.13",
    arenaSize: 1024 * 1024,
    poolSize: 16 * 1024,
    keepLastFreeArena: true,
    arenaMap: RADIX_311,
    gcThresholds: [2000, 10, 10],
    gc: "generational-3.12",
  }),
  // 3.14.0–3.14.4: 3.13's pymalloc; the incremental gc with thresholds (2000, 10, 0).
  "cpython-3.14.0": frozen({
    ...SINCE_314,
    name: "cpython-3.14.0",
    python: "3.14.0",
    gcThresholds: [2000, 10, 0],
    gc: "incremental-3.14",
  }),
  // 3.14.5 and later: 3.13's generational collector forward-ported (gh-148726), thresholds (2000, 10, 10).
  "cpython-3.14": frozen({ ...SINCE_314, name: "cpython-3.14", python: "3.14", gc: "generational-3.12" }),
  // 3.15.2: 3.14.5+'s generational collector, with weak references cleared after finalizers (gh-135552);
  // pymalloc, thresholds and immortal refcount as 3.14's, checked against Debian's 3.15.2.
  "cpython-3.15": frozen({
    ...SINCE_314,
    name: "cpython-3.15",
    python: "3.15",
    gc: "generational-3.15",
    trashcan: STACK_315,
  }),
  // 3.15 built --with-pymalloc-hugepages and run with PYTHON_PYMALLOC_HUGEPAGES (gh-144319): 2 MiB arenas
  // (ARENA_BITS 21, so the radix tree splits 43 bits 15 + 15 + 13), mapped as huge pages and so aligned to
  // 2 MiB. For experiments: no interpreter built that way runs here.
  "cpython-3.15-hugepages": frozen({
    ...SINCE_314,
    name: "cpython-3.15-hugepages",
    python: "3.15",
    arenaSize: 2 * 1024 * 1024,
    arenaAlignment: 2 * 1024 * 1024,
    arenaMap: RADIX_315_HUGE,
    gc: "generational-3.15",
    trashcan: STACK_315,
  }),
});

/** Names of the built-in profiles. */
export type ProfileName =
  | "cpython-3.8"
  | "cpython-3.9"
  | "cpython-3.10"
  | "cpython-3.11"
  | "cpython-3.12"
  | "cpython-3.13"
  | "cpython-3.14.0"
  | "cpython-3.14"
  | "cpython-3.15"
  | "cpython-3.15-hugepages";

/**
 * The profile used when none is given: the newest CPython whose every layer is proved against the real interpreter
 * here (see {@link profileProofs}).
 */
export const defaultProfile: Profile = profiles["cpython-3.15"];

/** A built-in profile by name; throws RangeError naming the unknown name and listing the known ones. */
export function getProfile(name: string): Profile {
  if (typeof name !== "string") throw new TypeError(`profile name must be a string, got ${typeof name}`);
  const p = (profiles as Record<string, Profile>)[name];
  if (p === undefined) {
    throw new RangeError(
      `unknown profile ${JSON.stringify(name)}; known profiles: ${Object.keys(profiles).join(", ")}`,
    );
  }
  return p;
}

/**
 * The built-in profile for a CPython release as `platform.python_version()`
 * or a trace's `# python:` line writes it ("3.14.10", "3.11.7", "3.14"):
 * `cpython-X.Y`, with 3.14.0–3.14.4 mapped to `cpython-3.14.0` (their
 * incremental collector). Undefined for a release no profile models.
 *
 * @example
 * ```ts
 * import { profileForRelease } from "pymem";
 *
 * console.log(profileForRelease("3.14.2")?.name, profileForRelease("3.14.10")?.name); // cpython-3.14.0 cpython-3.14
 * ```
 */
export function profileForRelease(release: string): Profile | undefined {
  if (typeof release !== "string") throw new TypeError(`release must be a string, got ${typeof release}`);
  const m = /^\s*(\d+)\.(\d+)(?:\.(\d+))?/.exec(release);
  if (m === null) return undefined;
  const minor = `${m[1]}.${m[2]}`;
  if (minor === "3.14" && m[3] !== undefined && Number(m[3]) < 5) return profiles["cpython-3.14.0"];
  return (profiles as Record<string, Profile>)[`cpython-${minor}`];
}

const GC_VARIANTS: readonly GcVariant[] = [
  "generational-3.8",
  "generational-3.9",
  "generational-3.12",
  "generational-3.15",
  "incremental-3.14",
];

/** An arena map as {@link defineProfile} takes it: the radix tree's level bits may be left out, to be derived. */
export type ArenaMapInput =
  | {
      /** Discriminant: CPython's `address_in_range` test. */
      readonly kind: "address-in-range";
    }
  | {
      /** Discriminant: the radix-tree arena map. */
      readonly kind: "radix-tree";
      /** Address bits the tree covers. */
      readonly addressBits: number;
      /** Bits of the root index (derived when left out). */
      readonly rootBits?: number;
      /** Bits of a mid node's index (derived when left out). */
      readonly midBits?: number;
      /** Bits of a bottom node's index (derived when left out). */
      readonly botBits?: number;
      /** Size of one pointer slot (8 when left out). */
      readonly pointerBytes?: number;
      /** Size of one bottom-node leaf (8 when left out). */
      readonly leafBytes?: number;
    };

/**
 * What {@link defineProfile} takes: a {@link Profile} whose derived fields
 * (the pool overhead, the radix tree's levels) may be left out.
 */
export type ProfileInput = Omit<Profile, "arenaMap" | "poolOverhead"> & {
  /** How membership is tested; a radix tree's level bits follow from the arena size when left out. */
  readonly arenaMap: ArenaMapInput;
  /** POOL_OVERHEAD; the 48-byte pool header rounded up to the alignment when left out. */
  readonly poolOverhead?: number;
};

/** sizeof(struct pool_header) on a 64-bit build. */
const POOL_HEADER_BYTES = 48;

/** The level bits of a radix-tree arena map. */
export interface RadixLevels {
  /** Bits of the root index. */
  rootBits: number;
  /** Bits of a mid node's index. */
  midBits: number;
  /** Bits of a bottom node's index. */
  botBits: number;
}

/**
 * How CPython 3.10+ splits the address bits above an arena's over the arena
 * map's three levels: root and mid take a third each (rounded up), the bottom
 * the rest (obmalloc.c's INTERIOR_BITS and MAP_BOT_BITS).
 */
export function radixLevels(addressBits: number, arenaBits: number): RadixLevels {
  checkSize(addressBits, "addressBits", 64);
  checkSize(arenaBits, "arenaBits", 64);
  if (arenaBits + 3 > addressBits) {
    throw new RangeError(
      `arenaBits (${arenaBits}) must leave at least 3 of addressBits (${addressBits}) to the tree's levels`,
    );
  }
  const interior = Math.floor((addressBits - arenaBits + 2) / 3);
  return { rootBits: interior, midBits: interior, botBits: addressBits - arenaBits - 2 * interior };
}

/** Whether levels are what {@link radixLevels} gives for some arena size: derived, not chosen. */
function looksDerived(rootBits: unknown, midBits: unknown, botBits: unknown): boolean {
  if (typeof rootBits !== "number" || rootBits !== midBits || typeof botBits !== "number") return false;
  return Math.floor((2 * rootBits + botBits + 2) / 3) === rootBits;
}

/**
 * Fills in what follows from the rest: fields left out, and fields that came
 * along from another profile (a spread) and no longer fit. A value that fits
 * no derivation is the user's, and is checked as given.
 */
function derive(p: ProfileInput): Profile {
  let poolOverhead = p.poolOverhead;
  const alignment = p.alignment;
  const header =
    typeof alignment === "number" && alignment > 0 ? Math.ceil(POOL_HEADER_BYTES / alignment) * alignment : undefined;
  // A header rounded to another alignment (48 from a 16-aligned profile, in one aligned to 32) is stale.
  if (
    header !== undefined &&
    (poolOverhead === undefined ||
      (typeof poolOverhead === "number" && poolOverhead % alignment !== 0 && isRoundedHeader(poolOverhead)))
  ) {
    poolOverhead = header;
  }
  let arenaMap = p.arenaMap as ArenaMap | ArenaMapInput;
  const arenaBits = Math.log2(p.arenaSize);
  if (
    arenaMap !== null &&
    typeof arenaMap === "object" &&
    arenaMap.kind === "radix-tree" &&
    Number.isInteger(arenaBits)
  ) {
    const m = arenaMap;
    const given = [m.rootBits, m.midBits, m.botBits];
    const fits =
      typeof m.addressBits === "number" &&
      (given[0] ?? 0) + (given[1] ?? 0) + (given[2] ?? 0) + arenaBits === m.addressBits;
    const absent = given.every((b) => b === undefined);
    if (typeof m.addressBits === "number" && (absent || (!fits && looksDerived(m.rootBits, m.midBits, m.botBits)))) {
      arenaMap = { ...m, ...radixLevels(m.addressBits, arenaBits) };
    }
    const r = arenaMap as { pointerBytes?: number; leafBytes?: number };
    arenaMap = { ...arenaMap, pointerBytes: r.pointerBytes ?? 8, leafBytes: r.leafBytes ?? 8 };
  }
  return { ...p, poolOverhead, arenaMap } as Profile;
}

/** 48 rounded up to some power of two: a pool overhead derived under some alignment. */
function isRoundedHeader(n: number): boolean {
  for (let a = 1; a <= 2 ** 30; a *= 2) if (Math.ceil(POOL_HEADER_BYTES / a) * a === n) return true;
  return false;
}

/**
 * Validates a profile and returns it frozen. Derive experiments from a
 * built-in profile by changing what you study; what follows from it is
 * derived (the radix tree's level bits from the arena size, the pool overhead
 * from the alignment):
 * `defineProfile({ ...profiles["cpython-3.11"], name: "small-arenas", arenaSize: 256 * 1024 })`.
 *
 * @example
 * ```ts
 * import { defineProfile, profiles } from "pymem";
 *
 * const small = defineProfile({ ...profiles["cpython-3.11"], name: "small-arenas", arenaSize: 256 * 1024 });
 * const map = small.arenaMap.kind === "radix-tree" ? small.arenaMap : undefined;
 * console.log(map?.rootBits, map?.midBits, map?.botBits); // 16 16 14
 * ```
 * @throws RangeError / TypeError naming the first bad field and its value
 */
export function defineProfile(input: ProfileInput): Profile {
  if (typeof input !== "object" || input === null) {
    throw new TypeError(`profile must be an object, got ${String(input)}`);
  }
  const p = derive(input);
  if (typeof p.name !== "string" || p.name.length === 0) {
    throw new TypeError(`profile.name must be a non-empty string, got ${JSON.stringify(p.name)}`);
  }
  if (typeof p.python !== "string") throw new TypeError(`profile.python must be a string, got ${String(p.python)}`);
  // 16 at least: the model is 64-bit CPython, and checked mode marks blocks per 16-byte granule.
  checkPowerOfTwo(p.alignment, "profile.alignment", 16, 4096);
  checkPowerOfTwo(p.poolSize, "profile.poolSize", 256, 2 ** 24);
  checkPowerOfTwo(p.arenaSize, "profile.arenaSize", 256, 2 ** 30);
  checkPowerOfTwo(p.arenaAlignment, "profile.arenaAlignment", 16, 2 ** 30);
  if (p.arenaSize < p.poolSize) {
    throw new RangeError(`profile.arenaSize (${p.arenaSize}) must be a multiple of profile.poolSize (${p.poolSize})`);
  }
  // An arena that is not pool-aligned loses a pool; pymalloc's bookkeeping needs two usable pools per arena.
  const usablePools = p.arenaSize / p.poolSize - (p.arenaAlignment < p.poolSize ? 1 : 0);
  if (usablePools < 2) {
    throw new RangeError(
      `profile.arenaSize (${p.arenaSize}) leaves ${usablePools} usable pool(s) of ${p.poolSize} bytes per arena; at least 2 are needed`,
    );
  }
  checkSize(p.poolOverhead, "profile.poolOverhead", p.poolSize);
  if (p.poolOverhead < 48 || p.poolOverhead % p.alignment !== 0) {
    throw new RangeError(
      `profile.poolOverhead must be a multiple of profile.alignment (${p.alignment}) holding the 48-byte pool header, got ${p.poolOverhead}`,
    );
  }
  checkSize(p.smallRequestThreshold, "profile.smallRequestThreshold", p.poolSize);
  if (p.smallRequestThreshold < p.alignment || p.smallRequestThreshold % p.alignment !== 0) {
    throw new RangeError(
      `profile.smallRequestThreshold must be a positive multiple of profile.alignment (${p.alignment}), got ${p.smallRequestThreshold}`,
    );
  }
  // Every class needs at least two blocks per pool: a pool that was full cannot become empty on one free.
  if (2 * p.smallRequestThreshold > p.poolSize - p.poolOverhead) {
    throw new RangeError(
      `profile.smallRequestThreshold (${p.smallRequestThreshold}) is too large: two blocks must fit in a pool's ${p.poolSize - p.poolOverhead} usable bytes`,
    );
  }
  if (p.smallRequestThreshold / p.alignment > 0xffff) {
    throw new RangeError(
      `profile has ${p.smallRequestThreshold / p.alignment} size classes; at most 65535 fit a pool header`,
    );
  }
  checkSize(p.initialArenaObjects, "profile.initialArenaObjects", 2 ** 20);
  if (p.initialArenaObjects < 1) throw new RangeError(`profile.initialArenaObjects must be at least 1, got 0`);
  if (typeof p.keepLastFreeArena !== "boolean") {
    throw new TypeError(`profile.keepLastFreeArena must be a boolean, got ${String(p.keepLastFreeArena)}`);
  }
  const mapKind = (p.arenaMap as { kind?: unknown } | undefined)?.kind;
  if (mapKind !== "address-in-range" && mapKind !== "radix-tree") {
    throw new RangeError(`profile.arenaMap.kind must be "address-in-range" or "radix-tree", got ${String(mapKind)}`);
  }
  if (p.arenaMap.kind === "radix-tree") {
    const m = p.arenaMap;
    for (const k of ["addressBits", "rootBits", "midBits", "botBits", "pointerBytes", "leafBytes"] as const) {
      checkSize(m[k], `profile.arenaMap.${k}`, 64);
    }
    const arenaBits = Math.log2(p.arenaSize);
    if (m.rootBits + m.midBits + m.botBits + arenaBits !== m.addressBits) {
      throw new RangeError(
        `profile.arenaMap bits must add up: rootBits ${m.rootBits} + midBits ${m.midBits} + botBits ${m.botBits} + arena bits ${arenaBits} != addressBits ${m.addressBits}`,
      );
    }
  }
  checkSize(p.objectHeaderSize, "profile.objectHeaderSize", 4096);
  checkSize(p.gcHeadSize, "profile.gcHeadSize", 4096);
  if (!Array.isArray(p.gcThresholds) || p.gcThresholds.length !== 3) {
    throw new TypeError(`profile.gcThresholds must be three integers, got ${JSON.stringify(p.gcThresholds)}`);
  }
  p.gcThresholds.forEach((t, i) => {
    checkSize(t, `profile.gcThresholds[${i}]`, 2 ** 31 - 1);
  });
  if (p.immortalRefcount !== null) checkSize(p.immortalRefcount, "profile.immortalRefcount", 2 ** 32 - 1);
  const tc = p.trashcan as Partial<Record<string, unknown>> | undefined;
  if (tc?.kind === "nesting") {
    checkSize(tc.unwindLevel, "profile.trashcan.unwindLevel", 1 << 20);
    if (tc.finalizerFrame !== undefined && typeof tc.finalizerFrame !== "boolean") {
      throw new TypeError(
        `profile.trashcan.finalizerFrame must be a boolean, got ${JSON.stringify(tc.finalizerFrame)}`,
      );
    }
  } else if (tc?.kind === "recursion-budget") {
    checkSize(tc.headroom, "profile.trashcan.headroom", 1 << 20);
    checkSize(tc.budget, "profile.trashcan.budget", 1 << 24);
  } else if (tc?.kind === "stack") {
    checkSize(tc.marginBytes, "profile.trashcan.marginBytes", 1 << 30);
    checkSize(tc.stackBytes, "profile.trashcan.stackBytes", 2 ** 40);
    checkSize(tc.frameBytes, "profile.trashcan.frameBytes", 1 << 20);
    checkSize(tc.listFrameBytes, "profile.trashcan.listFrameBytes", 1 << 20);
    const extra = tc.drainExtraBytes;
    if (typeof extra !== "number" || !Number.isInteger(extra) || Math.abs(extra) > 1 << 20) {
      throw new RangeError(`profile.trashcan.drainExtraBytes must be an integer within ±1 MiB, got ${String(extra)}`);
    }
    if (tc.marginBytes === 0 || tc.frameBytes === 0 || tc.listFrameBytes === 0) {
      throw new RangeError("profile.trashcan.marginBytes, frameBytes and listFrameBytes must be positive");
    }
    if ((tc.frameBytes as number) + extra <= 0 || (tc.listFrameBytes as number) + extra <= 0) {
      throw new RangeError(`profile.trashcan.drainExtraBytes leaves a drained frame no bytes, got ${extra}`);
    }
  } else {
    throw new RangeError(
      `profile.trashcan.kind must be "nesting", "recursion-budget" or "stack", got ${String(tc?.kind)}`,
    );
  }
  if (!GC_VARIANTS.includes(p.gc)) {
    throw new RangeError(`profile.gc must be one of ${GC_VARIANTS.join(", ")}, got ${JSON.stringify(p.gc)}`);
  }
  return frozen({ ...p, arenaMap: Object.freeze({ ...p.arenaMap }) });
}

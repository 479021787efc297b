/**
 * What each built-in profile is proved against in pymem's own tests: which
 * real interpreters, and how much. `pymem profiles` prints it, and
 * docs/which-profile.md holds the same table (a test keeps them equal).
 *
 * @module
 */

import type { ProfileName } from "./profiles.js";

/** What one built-in profile is proved against, by layer. */
export interface ProfileProof {
  /** The CPython releases the profile models. */
  releases: string;
  /** pymalloc (`BlockAllocator`): the real allocator it is compared with, and on what. */
  pymalloc: string;
  /** The cyclic gc (`CycleCollector`). */
  gc: string;
  /** Refcounting, deallocation order, and the debug hooks (`RefCounter`, `DebugAllocator`). */
  objects: string;
  /** The built-in objects (`Builtins`): their sizes and allocator calls. */
  builtins: string;
  /** Every layer compared with a real interpreter of the release (not only reasoned from its source). */
  proved: boolean;
}

// test/oracle/directed-traces.ts and directed-live.ts: traces and programs aimed at pymalloc's ordering rules.
const CLASSIC =
  "libpython X: 1,000 generated traces, 14 aimed at the ordering rules and recorded ones, every address; the stats report";
const LIVE =
  "live runs of CPython X: 10 programs and 3 aimed at the ordering rules, every block address, arena and checkpoint report";
const GC_STATS = "500 programs, CPython X, with gc.get_count(), gc.get_stats() and gc.callbacks";

// test/objects/dealloc-order-*.oracle.test.ts: the order of the frees, recorded, for every shape of dealloc-shapes.ts.
const FREE_ORDER = "; free order of 13 deep structures";

// test/builtins/*.oracle.test.ts: sys.getsizeof after each construction step, and each scripted step's allocator calls.
const BUILTINS =
  "CPython X: getsizeof after 32,089 construction steps; the allocator calls of 4,662 scripted steps; hash() of 1,800 values";

const classic = (v: string) => CLASSIC.replace("X", v);
const builtins = (v: string) => BUILTINS.replace("X", v);
const live = (v: string) => LIVE.replace("X", v);
const gcStats = (v: string) => GC_STATS.replace("X", v);

/** What each built-in profile is proved against, as the tests in `test/` prove it. */
export const profileProofs: Readonly<Record<ProfileName, ProfileProof>> = Object.freeze({
  "cpython-3.8": {
    releases: "3.8",
    pymalloc: classic("3.8"),
    gc: "500 programs, CPython 3.8",
    objects: `CPython 3.8${FREE_ORDER}`,
    builtins: builtins("3.8.18"),
    proved: true,
  },
  "cpython-3.9": {
    releases: "3.9",
    pymalloc: classic("3.9"),
    gc: "500 programs, CPython 3.9",
    objects: `CPython 3.9${FREE_ORDER}`,
    builtins: builtins("3.9.18"),
    proved: true,
  },
  "cpython-3.10": {
    releases: "3.10",
    pymalloc: classic("3.10"),
    gc: "500 programs, CPython 3.10",
    objects: `CPython 3.10${FREE_ORDER}`,
    builtins: builtins("3.10.13"),
    proved: true,
  },
  "cpython-3.11": {
    releases: "3.11",
    pymalloc: `${classic("3.11")}; recordings replayed to the live run's addresses`,
    gc: "500 programs, CPython 3.11",
    objects: `CPython 3.11${FREE_ORDER}`,
    builtins: builtins("3.11.7"),
    proved: true,
  },
  "cpython-3.12": {
    releases: "3.12",
    pymalloc: live("3.12.1"),
    gc: gcStats("3.12.1"),
    objects: `CPython 3.12${FREE_ORDER}`,
    builtins: builtins("3.12.1"),
    proved: true,
  },
  "cpython-3.13": {
    releases: "3.13",
    pymalloc: live("3.13.18 (Debian)"),
    gc: `${gcStats("3.13.18 (Debian)")}; 500 programs, CPython 3.13.0`,
    objects: `CPython 3.13; free order of 13 deep structures: 3.13.18 (Debian)`,
    builtins: builtins("3.13.18 (Debian)"),
    proved: true,
  },
  "cpython-3.14.0": {
    releases: "3.14.0 – 3.14.4",
    pymalloc: "3.14.5's (the same source); no 3.14.0–3.14.4 runs here",
    gc: "the incremental collector: 500 programs, CPython 3.14.2 (Pyodide), counts and stats too",
    objects: "not yet",
    builtins: "3.14.10's rules (3.14.0–3.14.4 run nowhere here)",
    proved: false,
  },
  "cpython-3.14": {
    releases: "3.14.5 and later",
    pymalloc: live("3.14.10 (Debian)"),
    gc: `${gcStats("3.14.10 (Debian)")}: 3.13's collector again (gh-148726)`,
    objects: `CPython 3.14.10 (Debian)${FREE_ORDER}`,
    builtins: builtins("3.14.10 (Debian)"),
    proved: true,
  },
  "cpython-3.15": {
    releases: "3.15",
    pymalloc: live("3.15.2 (Debian)"),
    gc: `${gcStats("3.15.2 (Debian)")} (candidates, duration); weak references cleared late (gh-135552)`,
    objects: `CPython 3.15.2 (Debian)${FREE_ORDER}`,
    builtins: builtins("3.15.2 (Debian)"),
    proved: true,
  },
  "cpython-3.15-hugepages": {
    releases: "3.15, huge-page build",
    pymalloc: "2 MiB arenas (gh-144319), for experiments: no such build runs here",
    gc: "as cpython-3.15",
    objects: "as cpython-3.15",
    builtins: "as cpython-3.15",
    proved: false,
  },
});

/**
 * pymalloc of CPython 3.12–3.15 against the live interpreters, on ten
 * programs of our own that exercise the standard library (live-programs.ts):
 * every block address, arena and checkpoint report, through the library and
 * through `pymem replay --arenas` (the harness: live-oracle.ts).
 */

import { liveOracle } from "./live-oracle.js";
import { LIVE_PROGRAMS } from "./live-programs.js";

liveOracle({ programs: () => LIVE_PROGRAMS, golden: "live", title: "live", what: "pymalloc live runs", cli: true });

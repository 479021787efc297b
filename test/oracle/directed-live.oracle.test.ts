/**
 * pymalloc's ordering rules in the live CPython 3.12–3.15: programs that call
 * PyObject_Malloc and PyObject_Free through ctypes to tie arenas at 1, 2 and
 * 3 free pools, give a full arena a free pool while others have one, empty
 * whole arenas (released, or kept as the last usable one, and their slots
 * taken again) and reuse empty pools (directed-live.ts). Each recording must
 * reach the rule it aims at (judged by replaying it), and pymem must reproduce
 * every address, arena and report of it (the harness: live-oracle.ts).
 */
import { expect, it } from "vitest";
import { type ProfileName, profileProofs, profiles } from "../../src/index.js";
import { directedLivePrograms } from "./directed-live.js";
import { liveOracle } from "./live-oracle.js";
import { missedAims } from "./rule-probe.js";

liveOracle({
  programs: directedLivePrograms,
  golden: "directed",
  title: "directed, live",
  what: "pymalloc directed live runs",
  aimed: (name, hits, profile) => expect(missedAims(name, hits, profile)).toEqual([]),
});

it("the profiles' proofs count the directed programs", () => {
  for (const v of ["3.12", "3.13", "3.14", "3.15"]) {
    const name = `cpython-${v}` as ProfileName;
    const n = directedLivePrograms(profiles[name]).length;
    expect(profileProofs[name].pymalloc).toContain(`and ${n} aimed at the ordering rules`);
  }
});

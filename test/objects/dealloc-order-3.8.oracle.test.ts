/**
 * Deallocation order of deep structures, CPython 3.8–3.12 (pyenv's): see dealloc-oracle.ts.
 */
import { expect, it } from "vitest";
import { profileProofs } from "../../src/index.js";
import { deallocOrderOracle } from "./dealloc-oracle.js";
import { DEALLOC_SHAPES } from "./dealloc-shapes.js";

it("docs/which-profile.md and `pymem profiles` count the shapes this oracle runs", () => {
  for (const name of ["cpython-3.8", "cpython-3.13", "cpython-3.15"] as const) {
    expect(profileProofs[name].objects).toContain(`free order of ${DEALLOC_SHAPES.length} deep structures`);
  }
});

deallocOrderOracle(["3.8", "3.9", "3.10", "3.11", "3.12"]);

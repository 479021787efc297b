/**
 * A tally of what the oracle tests compared: with a real interpreter, or with
 * a golden of one's logs, per release. Each oracle test calls
 * {@link compared}; test/support/comparisons-setup.ts prints the tally at the
 * end of the run and, in CI, fails the run when an interpreter this machine
 * has compared nothing (a skip that should not have happened).
 */
import { appendFileSync } from "node:fs";

/** The file the tally goes to (set by the global setup; unset when a test file runs without it). */
export const TALLY_ENV = "PYMEM_COMPARISONS_FILE";

/** One line of the tally. */
export interface Comparison {
  /** The interpreter's path for a real comparison; the profile's release ("3.12") for a golden one. */
  source: string;
  kind: "real" | "golden";
  /** Which oracle ("pymalloc", "gc", "gc stats", "death order", "debug hooks", ...). */
  oracle: string;
  /** How many things it compared (programs, traces, runs). */
  count: number;
}

/** Counts `count` comparisons by `oracle` against `source` (an interpreter, or a golden's release). */
export function compared(source: string, kind: Comparison["kind"], oracle: string, count: number): void {
  const file = process.env[TALLY_ENV];
  if (file === undefined || count <= 0) return;
  // One short line per call: appends of under a page are whole even from parallel workers.
  appendFileSync(file, `${JSON.stringify({ source, kind, oracle, count } satisfies Comparison)}\n`);
}

/**
 * `pymem/node`: what the command line does with files, as functions for
 * Node programs. Read trace files whole or streamed, replay one under a
 * profile and get what `pymem replay` prints, write the HTML report of
 * `--html`, record a Python program. The library itself (`pymem`) runs in
 * browsers too; this entry point needs Node's file system.
 *
 * @example
 * ```ts
 * import { parseProfileSpec } from "pymem";
 * import { htmlReport, replayFile, traceFiles } from "pymem/node";
 *
 * // What would 256 KiB arenas do to this program?
 * const base = await replayFile(traceFiles.demo, { profile: "cpython-3.11", report: true });
 * const small = await replayFile(traceFiles.demo, {
 *   profile: parseProfileSpec("cpython-3.11:arenaSize=256KiB"),
 *   report: true,
 * });
 * console.log((small.summary.arenasHighwater ?? 0) > (base.summary.arenasHighwater ?? 0)); // true
 * const page = htmlReport([base, small], "256 KiB arenas"); // write it to a file and open it
 * console.log(page.startsWith("<!doctype html>")); // true
 * ```
 *
 * @module
 */

import { writeFile } from "node:fs/promises";
import { defaultProfile, type Profile, profileForRelease } from "pymem";
import { type JobResult, runJob } from "./job.js";
import { checkPath, checkReadable, readTraceHeader } from "./read-trace.js";
import { type RecordOptions, record } from "./record.js";
import { htmlReport as renderReport } from "./report.js";

export type { HeapMapAt, JobResult as ReplayRun, ReportData, ReportTypes } from "./job.js";
export { openTrace, readTrace, traceFiles } from "./read-trace.js";
export type { RecordOptions } from "./record.js";

/** Options of {@link replayFile}. */
export interface ReplayFileOptions {
  /**
   * A profile, or a built-in profile's name; by default the profile of the release the trace's `# python:` line
   * names, as `pymem replay` takes it, else `defaultProfile`.
   */
  profile?: Profile | string;
  /** Put the arenas where a live run had them: the addresses file of `pymem record --addresses`. */
  arenas?: string;
  /** Keep the stats report of every `s` line (`checkpoints`). */
  everyCheckpoint?: boolean;
  /** Sample a time series every this many ops (`series`). */
  every?: number;
  /** Draw the heap map at every `s` line and at the end (`heapMaps`). */
  heapMaps?: boolean;
  /** Gather what {@link htmlReport} draws. */
  report?: boolean;
  /** Hears the ops replayed so far, every 65,536 or so. */
  onProgress?: (ops: number) => void;
}

/**
 * Replays the trace file at `path` (gzip or not) through pymalloc alone, as
 * `pymem replay` does, and returns what it prints: the summary, the stats
 * report at the end, what the bytes went to at the raw allocator's peak, and
 * what the options ask for.
 * @throws Error naming the path when it cannot be read; TraceError naming the line of a bad trace
 */
export async function replayFile(path: string, options: ReplayFileOptions = {}): Promise<JobResult> {
  checkPath(path);
  await checkReadable(path);
  const { onProgress, profile, ...rest } = options;
  if (rest.arenas !== undefined) {
    checkPath(rest.arenas, "options.arenas");
    await checkReadable(rest.arenas);
  }
  let chosen = profile;
  if (chosen === undefined) {
    const release = (await readTraceHeader(path)).python;
    chosen = (release === undefined ? undefined : profileForRelease(release)) ?? defaultProfile;
  }
  return runJob({ trace: path, profile: chosen, ...rest }, onProgress);
}

/**
 * The HTML report of `pymem replay --html` / `pymem compare --html` for
 * replays run with `report: true`: one self-contained page (charts, heap
 * maps, stats), several replays side by side.
 * @throws Error when none of `runs` gathered report data
 */
export function htmlReport(runs: JobResult[], title: string): string {
  if (!Array.isArray(runs)) throw new TypeError(`runs must be an array of replayFile results, got ${typeof runs}`);
  if (typeof title !== "string") throw new TypeError(`title must be a string, got ${typeof title}`);
  return renderReport(runs, title);
}

/** Writes {@link htmlReport}'s page to `file`. */
export async function writeHtmlReport(file: string, runs: JobResult[], title: string): Promise<void> {
  checkPath(file, "file");
  await writeFile(file, htmlReport(runs, title));
}

/**
 * Runs a Python program (`[script, ...args]`) in an embedded CPython and
 * writes its allocation trace to `out` (gzip when it ends in `.gz`), as
 * `pymem record` does. It needs make, a C compiler and a CPython 3.8 or
 * later with its shared library and headers: `options.python`, else
 * `PYMEM_PYTHON`, else `python3`. The recorder is built once per interpreter.
 * Resolves to the program's exit status; the trace is written whatever it is.
 */
export async function recordTrace(out: string, command: string[], options: RecordOptions = {}): Promise<number> {
  checkPath(out, "out");
  if (!Array.isArray(command) || command.length === 0 || !command.every((c) => typeof c === "string")) {
    throw new TypeError("command must be [script, ...args], strings, the script first");
  }
  if (typeof options !== "object" || options === null)
    throw new TypeError(`options must be an object, got ${String(options)}`);
  if (options.addresses !== undefined) checkPath(options.addresses, "options.addresses");
  if (options.stats !== undefined) checkPath(options.stats, "options.stats");
  if (options.python !== undefined) checkPath(options.python, "options.python");
  return record(out, command, options);
}

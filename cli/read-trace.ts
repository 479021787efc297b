/** Opening trace files for the command line: plain or gzip, streamed. */
import { createReadStream } from "node:fs";
import { access } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { parseTrace, type TraceStream } from "../src/index.js";

/** Streams the trace at `path` (gzip detected by its magic bytes). */
export function openTrace(path: string): TraceStream {
  return parseTrace(createReadStream(path, { highWaterMark: 1 << 20 }));
}

/** Throws an error naming `path` when it cannot be read. */
export async function checkReadable(path: string): Promise<void> {
  try {
    await access(path);
  } catch {
    throw new Error(`${path}: cannot read the file`);
  }
}

/** The trace shipped with the package for `pymem demo`: CPython 3.11 starting up, running traces/demo-workload.py, shutting down. */
export async function demoTracePath(): Promise<string> {
  // From cli/ (sources run with tsx) or dist/ (the built bin).
  for (const rel of ["./traces/demo.trace.gz", "../cli/traces/demo.trace.gz"]) {
    const path = fileURLToPath(new URL(rel, import.meta.url));
    try {
      await access(path);
      return path;
    } catch {}
  }
  throw new Error("the demo trace cli/traces/demo.trace.gz is missing from the installation");
}

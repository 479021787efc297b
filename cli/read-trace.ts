/** Trace files, for Node: read whole or streamed, plain or gzip (detected by its magic bytes). */
import { createReadStream } from "node:fs";
import { access, readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { gunzip } from "node:zlib";
import { isGzip, parseTrace, type Trace, type TraceStream } from "pymem";

/**
 * Reads the trace file at `path` (gzip or not) whole: a Trace that can be
 * replayed, played with a TracePlayer and compared any number of times. Its
 * ops cost about 38 bytes each in memory; for traces of tens of millions of
 * ops, {@link openTrace} streams instead.
 *
 * @example
 * ```ts
 * import { createHeap, replayTrace } from "pymem";
 * import { readTrace, traceFiles } from "pymem/node";
 *
 * const trace = await readTrace(traceFiles.demo);
 * const a = replayTrace(trace, createHeap({ profile: "cpython-3.9" }).blocks);
 * const b = replayTrace(trace, createHeap({ profile: "cpython-3.11" }).blocks);
 * console.log(a.ops === b.ops, a.arenasHighwater > b.arenasHighwater); // true true
 * ```
 * @throws Error naming the path when it cannot be read; TraceError naming the line of a bad trace
 */
export async function readTrace(path: string): Promise<Trace> {
  checkPath(path);
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new Error(`${path}: cannot read the file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if (isGzip(bytes)) {
    const gz = bytes;
    bytes = await new Promise<Uint8Array>((resolve, reject) =>
      gunzip(gz, (err, out) =>
        err ? reject(new Error(`${path}: not a valid gzip file: ${err.message}`)) : resolve(out),
      ),
    );
  }
  return parseTrace(bytes);
}

/**
 * Streams the trace file at `path` (gzip or not), parsing as it reads: for
 * traces too large to hold. Each iteration (each replay) reads the file
 * again, so the stream can be replayed any number of times.
 */
export function openTrace(path: string): TraceStream {
  checkPath(path);
  return parseTrace(() => createReadStream(path, { highWaterMark: 1 << 20 }));
}

/** The `# key: value` lines that head the trace file at `path` (reads only as far as its first ops). */
export async function readTraceHeader(path: string): Promise<Record<string, string>> {
  const stream = openTrace(path);
  for await (const _ of stream) break;
  return stream.header.fields;
}

/** A TypeError for a path that is not a non-empty string. */
export function checkPath(path: unknown, name = "path"): asserts path is string {
  if (typeof path !== "string" || path === "") {
    throw new TypeError(`${name} must be a file's path, got ${typeof path === "string" ? '""' : typeof path}`);
  }
}

/** Throws an error naming `path` when it cannot be read. */
export async function checkReadable(path: string): Promise<void> {
  try {
    await access(path);
  } catch {
    throw new Error(`${path}: cannot read the file`);
  }
}

/** A file shipped beside the built bin (dist/) or the sources (cli/). */
function shipped(name: string): string {
  const fromDist = fileURLToPath(new URL(`../cli/traces/${name}`, import.meta.url));
  const fromCli = fileURLToPath(new URL(`./traces/${name}`, import.meta.url));
  return import.meta.url.includes("/cli/") ? fromCli : fromDist;
}

/**
 * The traces shipped with pymem, recorded from CPython 3.11 (also importable
 * as `pymem/traces/NAME.trace.gz`): `startup`, the interpreter starting and
 * stopping; `demo`, starting up, running a small program and shutting down.
 */
export const traceFiles: {
  /** CPython 3.11 starting and stopping (35,254 ops). */
  readonly startup: string;
  /** CPython 3.11 starting, running cli/traces/demo-workload.py, stopping. */
  readonly demo: string;
} = Object.freeze({
  startup: shipped("startup.trace.gz"),
  demo: shipped("demo.trace.gz"),
});

/** The trace shipped for `pymem demo`: CPython 3.11 starting up, running traces/demo-workload.py, shutting down. */
export async function demoTracePath(): Promise<string> {
  try {
    await access(traceFiles.demo);
    return traceFiles.demo;
  } catch {
    throw new Error("the demo trace cli/traces/demo.trace.gz is missing from the installation");
  }
}

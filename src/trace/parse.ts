/**
 * Parsing allocation traces (trace-format v1): text, bytes, or a stream of
 * chunks. Ops are stored column-wise in typed arrays (a {@link TraceBatch}),
 * so millions of lines cost a few bytes each and no object per line; a stream
 * is parsed batch by batch and never held whole.
 *
 * Gzip: a stream whose first bytes are gzip's magic is decompressed with the
 * platform's `DecompressionStream` (browsers and Node alike).
 *
 * @module
 */

import { TraceError } from "../errors.js";

/** Op codes of a {@link TraceBatch}. */
export const TraceOp = {
  /** `m ID SIZE` */
  Malloc: 0,
  /** `c ID NELEM ELSIZE` */
  Calloc: 1,
  /** `r ID SIZE` */
  Realloc: 2,
  /** `f ID` */
  Free: 3,
  /** `s`: a stats checkpoint */
  Stats: 4,
} as const;

/** One op code. */
export type TraceOpCode = (typeof TraceOp)[keyof typeof TraceOp];

const LETTERS = "mcrfs";
const FIELDS = [2, 3, 2, 1, 0];

/** A run of parsed ops, column-wise. Index `i < length` is one op. */
export class TraceBatch {
  /** Ops in this batch. */
  length = 0;
  /** Op codes ({@link TraceOp}). */
  readonly op: Uint8Array;
  /** Block IDs. */
  readonly id: Float64Array;
  /** SIZE, or NELEM for calloc. */
  readonly a: Float64Array;
  /** ELSIZE for calloc. */
  readonly b: Float64Array;
  /** 1-based line numbers in the trace. */
  readonly line: Float64Array;
  /**
   * For an `m` or `c` followed by a `# type` or `# part` annotation: 1 + the
   * index of the type's name in {@link TraceHeader.typeNames}; 0 when the
   * block was not named.
   */
  readonly type: Uint32Array;
  /** 1 when the annotation was `# part` (memory owned by an object of that type), 0 for `# type` or none. */
  readonly part: Uint8Array;

  constructor(capacity: number) {
    this.op = new Uint8Array(capacity);
    this.id = new Float64Array(capacity);
    this.a = new Float64Array(capacity);
    this.b = new Float64Array(capacity);
    this.line = new Float64Array(capacity);
    this.type = new Uint32Array(capacity);
    this.part = new Uint8Array(capacity);
  }

  /** Room for more ops. */
  get capacity(): number {
    return this.op.length;
  }

  /** The op at `i` written back as a trace line (for messages). */
  text(i: number): string {
    const op = this.op[i] as number;
    const letter = LETTERS[op] as string;
    if (op === TraceOp.Stats) return letter;
    if (op === TraceOp.Free) return `${letter} ${this.id[i]}`;
    if (op === TraceOp.Calloc) return `${letter} ${this.id[i]} ${this.a[i]} ${this.b[i]}`;
    return `${letter} ${this.id[i]} ${this.a[i]}`;
  }
}

/** What a trace's header comments say (`# key: value` lines), plus all comment lines. */
export interface TraceHeader {
  /** `# key: value` pairs, e.g. `workload`, `python`, `ops`, `peak-live`. */
  fields: Record<string, string>;
  /** Every comment line, without the leading `# ` (type annotations excepted: they are in the batches). */
  comments: string[];
  /** The Python type names of `# type` and `# part` annotations, in order of first appearance ({@link TraceBatch.type}). */
  typeNames: string[];
}

/** A trace parsed whole, from a string or bytes. */
export interface Trace {
  /** Discriminant: a whole trace, as opposed to a {@link TraceStream}. */
  readonly kind: "trace";
  /** Its `# key: value` fields and every comment line, complete. */
  readonly header: TraceHeader;
  /** All ops, in one batch. */
  readonly ops: TraceBatch;
}

/**
 * A trace parsed while it streams, batch by batch; `header` fills in as
 * comment lines arrive. Parsed from a function that opens the source, it can
 * be iterated any number of times (each iteration opens it again); from an
 * iterable of chunks, once.
 */
export interface TraceStream extends AsyncIterable<TraceBatch> {
  /** Discriminant: a stream, as opposed to a whole {@link Trace}. */
  readonly kind: "stream";
  /** The comment lines read so far and their `# key: value` fields; complete once iteration ends. */
  readonly header: TraceHeader;
}

/** Ops per batch when streaming. */
const STREAM_BATCH = 65536;

/** Chunks of a trace's text or bytes: a file or network stream, say. */
export type TraceChunks = AsyncIterable<string | Uint8Array>;

/**
 * Parses a trace.
 * - A string, or bytes of UTF-8 text: parsed at once into a {@link Trace}.
 *   (Gzip-compressed bytes need decompressing, which browsers do only
 *   asynchronously: {@link loadTrace} takes them.)
 * - An async iterable of string or byte chunks (a file or network stream,
 *   gzip-compressed or not): a {@link TraceStream} parsed as it is read, once.
 * - A function that opens such chunks (`() => fs.createReadStream(path)`): a
 *   TraceStream that opens them again for each iteration, so that it can be
 *   replayed any number of times.
 * @throws TraceError naming the line, its text and what was expected
 */
export function parseTrace(input: string | Uint8Array): Trace;
export function parseTrace(input: TraceChunks | (() => TraceChunks)): TraceStream;
export function parseTrace(input: string | Uint8Array | TraceChunks | (() => TraceChunks)): Trace | TraceStream;
export function parseTrace(input: string | Uint8Array | TraceChunks | (() => TraceChunks)): Trace | TraceStream {
  if (typeof input === "string") return parseText(input);
  if (input instanceof Uint8Array) {
    if (isGzip(input)) {
      throw new TypeError(
        "gzip-compressed bytes: use `await loadTrace(bytes)` (or readTrace(path) from pymem/node), which decompress them first",
      );
    }
    return parseText(new TextDecoder("utf-8", { fatal: false }).decode(input));
  }
  if (typeof input === "function") return parseStream(input, true);
  if (input !== null && typeof input === "object" && Symbol.asyncIterator in input)
    return parseStream(() => input, false);
  throw new TypeError(
    `parseTrace takes a string, bytes, an async iterable of chunks or a function opening one, got ${describe(input)}`,
  );
}

/**
 * Reads a whole trace into a {@link Trace}, which can be replayed, played
 * and stepped any number of times: from bytes (gzip or not), a string, an
 * async iterable of chunks (a `fetch` body, a file stream), or a
 * {@link TraceStream}. Browsers and Node alike; in Node, `readTrace(path)`
 * from `pymem/node` reads a file.
 *
 * @example
 * ```ts
 * import { loadTrace, replayTrace, RawAllocator } from "pymem";
 *
 * async function* chunks() {
 *   yield "m 0 24\nm 1 ";
 *   yield "600\nf 0\n";
 * }
 * const trace = await loadTrace(chunks());
 * console.log(trace.ops.length, replayTrace(trace, new RawAllocator()).peakLiveBlocks); // 3 2
 * ```
 * @throws TraceError naming the line, its text and what was expected
 */
export async function loadTrace(input: string | Uint8Array | TraceChunks | TraceStream): Promise<Trace> {
  if (typeof input === "string") return parseText(input);
  if (input instanceof Uint8Array && !isGzip(input)) return parseTrace(input);
  let stream: TraceStream;
  if (input instanceof Uint8Array) {
    const bytes = input;
    stream = parseStream(async function* () {
      yield bytes;
    }, false);
  } else if (input !== null && typeof input === "object" && (input as TraceStream).kind === "stream") {
    stream = input as TraceStream;
  } else if (input !== null && typeof input === "object" && Symbol.asyncIterator in input) {
    stream = parseStream(() => input as TraceChunks, false);
  } else {
    throw new TypeError(
      `loadTrace takes a string, bytes, an async iterable of chunks or a TraceStream, got ${describe(input)}`,
    );
  }
  const batches: TraceBatch[] = [];
  let total = 0;
  for await (const b of stream) {
    batches.push(b);
    total += b.length;
  }
  const ops = joinBatches(batches, total);
  return { kind: "trace", header: stream.header, ops };
}

/** The ops of `batches`, in order, in one new batch with room for `capacity` (at least their count). */
export function joinBatches(batches: readonly TraceBatch[], capacity: number): TraceBatch {
  const ops = new TraceBatch(capacity);
  for (const b of batches) {
    const n = b.length;
    const at = ops.length;
    ops.op.set(b.op.subarray(0, n), at);
    ops.id.set(b.id.subarray(0, n), at);
    ops.a.set(b.a.subarray(0, n), at);
    ops.b.set(b.b.subarray(0, n), at);
    ops.line.set(b.line.subarray(0, n), at);
    ops.type.set(b.type.subarray(0, n), at);
    ops.part.set(b.part.subarray(0, n), at);
    ops.length = at + n;
  }
  return ops;
}

function describe(x: unknown): string {
  return x === null ? "null" : Array.isArray(x) ? "an array" : typeof x;
}

/** True when `bytes` begin with gzip's magic number. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

function emptyHeader(): TraceHeader {
  return { fields: {}, comments: [], typeNames: [] };
}

function parseText(text: string): Trace {
  // One batch sized by a cheap count of line breaks.
  let lines = 1;
  for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) lines++;
  const ops = new TraceBatch(lines);
  const header = emptyHeader();
  const parser = new LineParser(header);
  parser.feed(text, ops, true);
  return { kind: "trace", header, ops };
}

function parseStream(open: () => TraceChunks, reopens: boolean): TraceStream {
  const header = emptyHeader();
  let used = false;
  return {
    kind: "stream",
    header,
    async *[Symbol.asyncIterator]() {
      if (used && !reopens) {
        throw new TypeError(
          "this TraceStream was read already: parse a function that opens the source (parseTrace(() => open())) to read it again, or keep it whole with loadTrace",
        );
      }
      used = true;
      // Each reading fills the header afresh.
      for (const k of Object.keys(header.fields)) delete header.fields[k];
      header.comments.length = 0;
      header.typeNames.length = 0;
      const chunks = open();
      if (chunks === null || typeof chunks !== "object" || !(Symbol.asyncIterator in chunks)) {
        throw new TypeError(
          `the function given to parseTrace must return an async iterable of chunks, got ${describe(chunks)}`,
        );
      }
      const parser = new LineParser(header);
      let batch = new TraceBatch(STREAM_BATCH);
      for await (const text of decodeChunks(chunks)) {
        let from = 0;
        // Feed line by line so that a full batch can be handed out mid-chunk.
        while (from < text.length) {
          from = parser.feedUntilFull(text, from, batch);
          // A full batch is handed out at the next op line: annotations after its last op may follow in the next chunk.
          if (batch.length === batch.capacity && from < text.length) {
            yield batch;
            batch = new TraceBatch(STREAM_BATCH);
          }
        }
      }
      if (batch.length === batch.capacity && parser.opPending()) {
        yield batch;
        batch = new TraceBatch(STREAM_BATCH);
      }
      parser.feed("", batch, true);
      if (batch.length > 0) yield batch;
    },
  };
}

/** Turns string or byte chunks (maybe gzip) into text chunks. */
async function* decodeChunks(chunks: AsyncIterable<string | Uint8Array>): AsyncGenerator<string> {
  const it = chunks[Symbol.asyncIterator]();
  let first = await it.next();
  // Byte streams may start with empty or one-byte chunks: gather two bytes to see gzip's magic.
  while (!first.done && first.value instanceof Uint8Array && first.value.length < 2) {
    const more = await it.next();
    if (more.done) break;
    if (!(more.value instanceof Uint8Array)) throw new TypeError("a trace stream mixes string and byte chunks");
    const joined = new Uint8Array(first.value.length + more.value.length);
    joined.set(first.value);
    joined.set(more.value, first.value.length);
    first = { done: false, value: joined };
  }
  if (first.done) return;
  const rest: AsyncIterable<string | Uint8Array> = {
    [Symbol.asyncIterator]: () => ({
      next: () => it.next(),
      return: async () => (it.return ? it.return() : { done: true, value: undefined }),
    }),
  };
  if (typeof first.value === "string") {
    yield first.value;
    for await (const c of rest) {
      if (typeof c !== "string") throw new TypeError("a trace stream mixes string and byte chunks");
      yield c;
    }
    return;
  }
  let bytes: AsyncIterable<Uint8Array> = prepend(first.value, rest);
  if (isGzip(first.value)) bytes = gunzip(bytes);
  const decoder = new TextDecoder("utf-8");
  for await (const c of bytes) {
    const s = decoder.decode(c, { stream: true });
    if (s.length > 0) yield s;
  }
  const tail = decoder.decode();
  if (tail.length > 0) yield tail;
}

async function* prepend(first: Uint8Array, rest: AsyncIterable<string | Uint8Array>): AsyncGenerator<Uint8Array> {
  yield first;
  for await (const c of rest) {
    if (!(c instanceof Uint8Array)) throw new TypeError("a trace stream mixes string and byte chunks");
    yield c;
  }
}

async function* gunzip(bytes: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  const source = bytes[Symbol.asyncIterator]();
  const input = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const r = await source.next();
      if (r.done) controller.close();
      else controller.enqueue(r.value);
    },
  });
  const reader = input
    .pipeThrough(new DecompressionStream("gzip") as TransformStream<Uint8Array, Uint8Array>)
    .getReader();
  for (;;) {
    const r = await reader.read();
    if (r.done) return;
    yield r.value;
  }
}

/** Splits text into lines across chunk boundaries and parses each into a batch. */
class LineParser {
  private carry = "";
  private lineNo = 0;
  private readonly typeIndex = new Map<string, number>();

  constructor(private readonly header: TraceHeader) {}

  /** The text after the last line break starts an op line (not a comment or blank). */
  opPending(): boolean {
    const line = this.carry.endsWith("\r") ? this.carry.slice(0, -1) : this.carry;
    return line.length > 0 && line.charCodeAt(0) !== 35;
  }

  /** Parses every complete line of `text` (and the last partial one when `end`). The batch must have room. */
  feed(text: string, batch: TraceBatch, end: boolean): void {
    let from = 0;
    while (from < text.length) {
      if (batch.length === batch.capacity) throw new RangeError("trace batch is full");
      from = this.feedUntilFull(text, from, batch);
    }
    if (end && this.carry.length > 0) {
      const line = this.carry;
      this.carry = "";
      this.parseLine(line, batch);
    }
  }

  /**
   * Parses lines of `text` from `from` until the text ends or the batch is
   * full; returns where it stopped. A full batch still takes the comment
   * lines after its last op (an annotation belongs to the op before it), up
   * to the next op line.
   */
  feedUntilFull(text: string, from: number, batch: TraceBatch): number {
    let i = from;
    for (;;) {
      const nl = text.indexOf("\n", i);
      if (nl === -1) {
        this.carry += text.slice(i);
        return text.length;
      }
      if (batch.length === batch.capacity) {
        const first = this.carry.length > 0 ? this.carry.charCodeAt(0) : nl > i ? text.charCodeAt(i) : 0;
        // An empty line or a comment is taken; an op line waits for the next batch.
        if (first !== 35 /* # */ && !(this.carry.length === 0 && nl === i)) return i;
      }
      let line = text.slice(i, nl);
      if (this.carry.length > 0) {
        line = this.carry + line;
        this.carry = "";
      }
      this.parseLine(line, batch);
      i = nl + 1;
    }
  }

  /**
   * `# type ID NAME` or `# part ID NAME` right after the `m` or `c` of block
   * ID: names it in the batch. False (an ordinary comment) otherwise.
   */
  private annotate(line: string, batch: TraceBatch): boolean {
    const k = batch.length - 1;
    const fields = line.split(" ");
    if (k < 0 || fields.length !== 4) return false;
    const op = batch.op[k] as number;
    if ((op !== TraceOp.Malloc && op !== TraceOp.Calloc) || String(batch.id[k]) !== fields[2]) return false;
    const name = fields[3] as string;
    let index = this.typeIndex.get(name);
    if (index === undefined) {
      index = this.header.typeNames.length;
      this.header.typeNames.push(name);
      this.typeIndex.set(name, index);
    }
    batch.type[k] = index + 1;
    batch.part[k] = fields[1] === "part" ? 1 : 0;
    return true;
  }

  private parseLine(raw: string, batch: TraceBatch): void {
    const lineNo = ++this.lineNo;
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (line.length === 0) return;
    const c0 = line.charCodeAt(0);
    if (c0 === 35 /* # */) {
      if (line.startsWith("# type ") || line.startsWith("# part ")) {
        if (this.annotate(line, batch)) return;
      }
      const comment = line.slice(1).trimStart();
      this.header.comments.push(comment);
      const colon = comment.indexOf(": ");
      if (colon > 0 && !comment.slice(0, colon).includes(" ")) {
        this.header.fields[comment.slice(0, colon)] = comment.slice(colon + 2);
      }
      return;
    }
    const op = LETTERS.indexOf(line[0] as string);
    if (op < 0 || (line.length > 1 && line.charCodeAt(1) !== 32)) {
      throw new TraceError(lineNo, line, "expected an op letter m, c, r, f or s followed by a space");
    }
    const want = FIELDS[op] as number;
    if (line.length === 2) throw new TraceError(lineNo, line, "trailing space");
    const k = batch.length;
    let pos = 2;
    let got = 0;
    while (pos < line.length) {
      let value = 0;
      let digits = 0;
      while (pos < line.length) {
        const ch = line.charCodeAt(pos);
        if (ch === 32) break;
        if (ch < 48 || ch > 57) {
          throw new TraceError(lineNo, line, `expected a non-negative decimal integer in field ${got + 1}`);
        }
        value = value * 10 + (ch - 48);
        digits++;
        pos++;
      }
      if (digits === 0) throw new TraceError(lineNo, line, "expected fields separated by one space");
      if (value > Number.MAX_SAFE_INTEGER) throw new TraceError(lineNo, line, `field ${got + 1} is too large`);
      if (got === want) {
        throw new TraceError(lineNo, line, `expected ${want} field(s) after '${LETTERS[op]}', got more`);
      }
      if (got === 0) batch.id[k] = value;
      else if (got === 1) batch.a[k] = value;
      else batch.b[k] = value;
      got++;
      if (pos < line.length) {
        pos++; // the space
        if (pos === line.length) throw new TraceError(lineNo, line, "trailing space");
      }
    }
    if (got !== want)
      throw new TraceError(lineNo, line, `expected ${want} field(s) after '${LETTERS[op]}', got ${got}`);
    batch.op[k] = op;
    batch.line[k] = lineNo;
    batch.length = k + 1;
  }
}

/**
 * Bytes by Python type: what a trace's `# type` and `# part` annotations
 * say of its live blocks at the peak, at each checkpoint and at the end.
 * Trace arithmetic only (the bytes the blocks asked for), no allocator: the
 * same for every profile. Per block, one size and one type code in typed
 * arrays indexed by block ID.
 *
 * @module
 */

import { TraceError } from "../errors.js";
import { type Trace, type TraceBatch, TraceOp, type TraceStream } from "./parse.js";

/** Live blocks and bytes of one Python type. */
export interface TypeBytes {
  /** The type's name, as the recorder read it (`tp_name`: `list`, `collections.deque`, a class's name). */
  type: string;
  /** Blocks holding an object of the type. */
  objects: number;
  /** Bytes those blocks asked for. */
  objectBytes: number;
  /** Blocks owned by objects of the type: a list's items, a dict's keys and values, a set's table... */
  parts: number;
  /** Bytes those blocks asked for. */
  partBytes: number;
  /** `objectBytes + partBytes`. */
  bytes: number;
}

/** The live blocks of a moment of the trace, by type. */
export interface TypeTable {
  /** Ops (trace lines that are ops) before this moment. */
  op: number;
  /** The `s` line's number at a checkpoint; 0 at the peak and the end. */
  line: number;
  /** Live blocks. */
  liveBlocks: number;
  /** Bytes they asked for: the types' `bytes` and `untypedBytes` add up to it. */
  liveBytes: number;
  /** Every type with a live block, most bytes first. */
  types: TypeBytes[];
  /** Live blocks no annotation names (memory that is no object, or one the recorder could not tell). */
  untypedBlocks: number;
  /** Their bytes. */
  untypedBytes: number;
}

/** Bytes by type at one op ({@link TypeUsageOptions.sampleEvery}). */
export interface TypeSample {
  /** Ops before it. */
  op: number;
  /** Bytes (objects and parts) of each type of {@link TypeUsage.names}, by index; missing at the end is 0. */
  bytes: number[];
  /** Bytes of untyped blocks. */
  untypedBytes: number;
}

/** What {@link typeUsage} found. */
export interface TypeUsage {
  /** Whether any block of the trace is named (traces of recorders before annotations name none). */
  annotated: boolean;
  /** The type names of the trace, in order of first appearance. */
  names: string[];
  /** When the live blocks' bytes were highest (the first such op). */
  peak: TypeTable;
  /** After the last op. */
  end: TypeTable;
  /** At each `s` line, when asked for ({@link TypeUsageOptions.checkpoints}). */
  checkpoints: TypeTable[];
  /** Every `sampleEvery` ops and at the end, when asked for. */
  series: TypeSample[];
}

/** Options of {@link typeUsage}. */
export interface TypeUsageOptions {
  /** Keep a {@link TypeTable} at each `s` line (default false). */
  checkpoints?: boolean;
  /** Keep a {@link TypeSample} every this many ops (and at the end). */
  sampleEvery?: number;
}

// IDs below this are dense typed-array columns; larger ones (rare) go through Maps.
const DENSE_IDS = 1 << 22;

/** Per block ID its bytes and type; per type its live counts. */
class TypeTally {
  private size = new Float64Array(1024);
  // 0: not live; 1: live and untyped; k + 2: live, name index k (parts flagged in `part`).
  private code = new Uint32Array(1024);
  private part = new Uint8Array(1024);
  private readonly sparse = new Map<number, { size: number; code: number; part: number }>();
  private objects = new Float64Array(64);
  private objectBytes = new Float64Array(64);
  private parts = new Float64Array(64);
  private partBytes = new Float64Array(64);
  untypedBlocks = 0;
  untypedBytes = 0;
  liveBlocks = 0;
  liveBytes = 0;
  ops = 0;
  annotated = false;

  constructor(
    readonly names: string[],
    private readonly options: {
      stopAt?: number;
      onStop?: () => void;
      onCheckpoint?: (line: number) => void;
      sampleEvery?: number;
      onSample?: () => void;
      onPeak?: (bytes: number) => void;
    },
  ) {}

  run(batch: TraceBatch): void {
    const { op, id, a, b, type, part } = batch;
    const { stopAt = -1, sampleEvery = 0 } = this.options;
    for (let i = 0; i < batch.length; i++) {
      const code = op[i] as number;
      const k = id[i] as number;
      if (code === TraceOp.Stats) {
        this.options.onCheckpoint?.(batch.line[i] as number);
      } else if (code === TraceOp.Malloc || code === TraceOp.Calloc) {
        if (this.codeOf(k) !== 0)
          throw new TraceError(batch.line[i] as number, batch.text(i), `block ${k} is already live`);
        const n = code === TraceOp.Malloc ? (a[i] as number) : (a[i] as number) * (b[i] as number);
        const t = type[i] as number;
        if (t !== 0) this.annotated = true;
        this.put(k, n, t === 0 ? 1 : t + 1, part[i] as number);
        this.count(t === 0 ? 1 : t + 1, part[i] as number, 1, n);
        this.options.onPeak?.(this.liveBytes);
      } else {
        const c = this.codeOf(k);
        if (c === 0) throw new TraceError(batch.line[i] as number, batch.text(i), `block ${k} is not live`);
        const p = this.partOf(k);
        const old = this.sizeOf(k);
        if (code === TraceOp.Realloc) {
          const n = a[i] as number;
          this.put(k, n, c, p);
          this.count(c, p, 0, n - old);
          this.options.onPeak?.(this.liveBytes);
        } else {
          this.put(k, 0, 0, 0);
          this.count(c, p, -1, -old);
        }
      }
      this.ops++;
      if (this.ops === stopAt) this.options.onStop?.();
      if (sampleEvery > 0 && this.ops % sampleEvery === 0) this.options.onSample?.();
    }
  }

  private count(code: number, part: number, blocks: number, bytes: number): void {
    this.liveBlocks += blocks;
    this.liveBytes += bytes;
    if (code === 1) {
      this.untypedBlocks += blocks;
      this.untypedBytes += bytes;
      return;
    }
    const t = code - 2;
    if (t >= this.objects.length) this.grow(t);
    if (part === 1) {
      this.parts[t] = (this.parts[t] as number) + blocks;
      this.partBytes[t] = (this.partBytes[t] as number) + bytes;
    } else {
      this.objects[t] = (this.objects[t] as number) + blocks;
      this.objectBytes[t] = (this.objectBytes[t] as number) + bytes;
    }
  }

  private grow(t: number): void {
    let n = this.objects.length * 2;
    while (n <= t) n *= 2;
    const wider = (x: Float64Array) => {
      const y = new Float64Array(n);
      y.set(x);
      return y;
    };
    this.objects = wider(this.objects);
    this.objectBytes = wider(this.objectBytes);
    this.parts = wider(this.parts);
    this.partBytes = wider(this.partBytes);
  }

  private codeOf(k: number): number {
    if (k < DENSE_IDS) return k < this.code.length ? (this.code[k] as number) : 0;
    return this.sparse.get(k)?.code ?? 0;
  }

  private sizeOf(k: number): number {
    return k < DENSE_IDS ? (this.size[k] as number) : (this.sparse.get(k)?.size ?? 0);
  }

  private partOf(k: number): number {
    return k < DENSE_IDS ? (this.part[k] as number) : (this.sparse.get(k)?.part ?? 0);
  }

  private put(k: number, size: number, code: number, part: number): void {
    if (k >= DENSE_IDS) {
      if (code === 0) this.sparse.delete(k);
      else this.sparse.set(k, { size, code, part });
      return;
    }
    if (k >= this.code.length) {
      let n = this.code.length * 2;
      while (n <= k) n *= 2;
      const size2 = new Float64Array(n);
      size2.set(this.size);
      this.size = size2;
      const code2 = new Uint32Array(n);
      code2.set(this.code);
      this.code = code2;
      const part2 = new Uint8Array(n);
      part2.set(this.part);
      this.part = part2;
    }
    this.size[k] = size;
    this.code[k] = code;
    this.part[k] = part;
  }

  /** The moment as a table. */
  table(line: number): TypeTable {
    const types: TypeBytes[] = [];
    const n = Math.min(this.names.length, this.objects.length);
    for (let t = 0; t < n; t++) {
      const objects = this.objects[t] as number;
      const parts = this.parts[t] as number;
      if (objects === 0 && parts === 0) continue;
      const objectBytes = this.objectBytes[t] as number;
      const partBytes = this.partBytes[t] as number;
      types.push({
        type: this.names[t] as string,
        objects,
        objectBytes,
        parts,
        partBytes,
        bytes: objectBytes + partBytes,
      });
    }
    types.sort((x, y) => y.bytes - x.bytes || (x.type < y.type ? -1 : 1));
    return {
      op: this.ops,
      line,
      liveBlocks: this.liveBlocks,
      liveBytes: this.liveBytes,
      types,
      untypedBlocks: this.untypedBlocks,
      untypedBytes: this.untypedBytes,
    };
  }

  /** Bytes per type index now. */
  sample(): TypeSample {
    const bytes: number[] = [];
    const n = Math.min(this.names.length, this.objects.length);
    for (let t = 0; t < n; t++) bytes.push((this.objectBytes[t] as number) + (this.partBytes[t] as number));
    return { op: this.ops, bytes, untypedBytes: this.untypedBytes };
  }
}

function checkOptions(options: TypeUsageOptions): void {
  if (typeof options !== "object" || options === null) {
    throw new TypeError(`options must be an object, got ${String(options)}`);
  }
  const { sampleEvery, checkpoints } = options;
  if (sampleEvery !== undefined && (!Number.isInteger(sampleEvery) || sampleEvery < 1)) {
    throw new RangeError(`options.sampleEvery must be a positive integer, got ${sampleEvery}`);
  }
  if (checkpoints !== undefined && typeof checkpoints !== "boolean") {
    throw new TypeError(`options.checkpoints must be a boolean, got ${String(checkpoints)}`);
  }
}

/**
 * Live blocks and bytes by Python type, from a trace whose blocks are named
 * by `# type` and `# part` annotations (`pymem record` writes them): at the
 * peak of live bytes, at the end, and optionally at each checkpoint and
 * every N ops. A type's bytes are its objects' blocks plus the blocks they
 * own; with the untyped blocks they add up to the live bytes. The trace is
 * read twice (once to find the peak), so a {@link TraceStream} must be one
 * that opens its source again (`parseTrace(() => open())`), and a promise is
 * returned for it.
 *
 * @example
 * ```ts
 * import { parseTrace, typeUsage } from "pymem";
 *
 * const trace = parseTrace("m 0 56\n# type 0 list\nm 1 32\n# part 1 list\nm 2 24\nf 2\n");
 * const { peak } = typeUsage(trace);
 * const list = peak.types[0];
 * console.log(list?.type, list?.objectBytes, list?.partBytes, list?.bytes); // list 56 32 88
 * console.log(peak.liveBytes, peak.untypedBytes); // 112 24
 * ```
 * @throws TraceError naming the line when the trace frees or reallocates a block that is not live, or makes one
 *   that is
 */
export function typeUsage(trace: Trace, options?: TypeUsageOptions): TypeUsage;
export function typeUsage(trace: TraceStream, options?: TypeUsageOptions): Promise<TypeUsage>;
export function typeUsage(trace: Trace | TraceStream, options?: TypeUsageOptions): TypeUsage | Promise<TypeUsage>;
export function typeUsage(trace: Trace | TraceStream, options: TypeUsageOptions = {}): TypeUsage | Promise<TypeUsage> {
  checkOptions(options);
  if (trace?.kind !== "trace" && trace?.kind !== "stream") {
    throw new TypeError("typeUsage takes the result of parseTrace or loadTrace");
  }
  // First pass: where the peak is. Second: the tables.
  let peakBytes = 0;
  let peakOp = 0;
  const watch = new TypeTally([], {
    onPeak: (bytes) => {
      if (bytes > peakBytes) {
        peakBytes = bytes;
        peakOp = watch.ops + 1;
      }
    },
  });
  const second = () => {
    const names = trace.header.typeNames;
    const checkpoints: TypeTable[] = [];
    const series: TypeSample[] = [];
    let peak: TypeTable | undefined;
    const tally: TypeTally = new TypeTally(names, {
      stopAt: peakOp,
      onStop: () => {
        peak = tally.table(0);
      },
      ...(options.checkpoints ? { onCheckpoint: (line: number) => checkpoints.push(tally.table(line)) } : {}),
      ...(options.sampleEvery === undefined
        ? {}
        : { sampleEvery: options.sampleEvery, onSample: () => series.push(tally.sample()) }),
    });
    return {
      tally,
      finish: (): TypeUsage => {
        if (options.sampleEvery !== undefined && series.at(-1)?.op !== tally.ops) series.push(tally.sample());
        const end = tally.table(0);
        return {
          annotated: tally.annotated,
          names: [...names],
          peak: peak ?? { ...end, op: 0, liveBlocks: 0, liveBytes: 0, types: [], untypedBlocks: 0, untypedBytes: 0 },
          end,
          checkpoints,
          series,
        };
      },
    };
  };
  if (trace.kind === "trace") {
    watch.run(trace.ops);
    const { tally, finish } = second();
    tally.run(trace.ops);
    return finish();
  }
  return (async () => {
    for await (const batch of trace) watch.run(batch);
    const { tally, finish } = second();
    for await (const batch of trace) tally.run(batch);
    return finish();
  })();
}

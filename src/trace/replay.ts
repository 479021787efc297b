/**
 * Replaying a trace into an allocator: any object with malloc, calloc,
 * realloc and free (a BlockAllocator, a RawAllocator, or a user's own).
 * Trace IDs map to addresses through a typed array indexed by ID, so a replay
 * allocates nothing per op.
 *
 * @module
 */

import { TraceError } from "../errors.js";
import type { ObjectAllocator } from "../object-allocator.js";
import { blockSizeOf } from "../pymalloc/size-class.js";
import { type RawAllocator, swapPeakBytes } from "../raw/raw-allocator.js";
import { allocatorFailure, LiveTable } from "./live-table.js";
import { type Trace, type TraceBatch, type TraceHeader, TraceOp, type TraceStream } from "./parse.js";
import type { TraceAllocator } from "./trace-allocator.js";

/** One point of the time series. */
export interface ReplaySample {
  /** Ops replayed so far. */
  op: number;
  /** Live blocks. */
  liveBlocks: number;
  /** Bytes the live blocks asked for. */
  liveBytes: number;
  /** Arenas allocated (pymalloc only, else 0). */
  arenas: number;
  /** Pools in use per size class (pymalloc only, else empty). */
  poolsPerClass: number[];
  /** Bytes of the pool blocks in use, whole blocks (pymalloc only, else 0). */
  blockBytes: number;
  /**
   * Bytes held from the RawAllocator underneath, headers included, beyond
   * what it held when the replay began (0 for an allocator with none).
   */
  rawBytes: number;
}

/** A stats checkpoint (`s` line, and the end of the trace). */
export interface ReplayCheckpoint {
  /** Ops replayed before it. */
  op: number;
  /** Line number of the `s` line; 0 for the end of the trace. */
  line: number;
  /** `debugMallocStats()` text, when the allocator has one. */
  stats?: string;
  /**
   * When the trace names its blocks (`# type` / `# part` annotations): the
   * Python type of the live block at an address now (for a block an object
   * owns, the owner's type), or undefined. For a heap map coloured by type
   * ({@link HeapMapOptions.blockType}); valid until the replay goes on.
   */
  typeOf?: (address: number) => string | undefined;
}

/** Options of {@link replayTrace}. */
export interface ReplayOptions {
  /** Called every `progressEvery` ops with the ops replayed so far. */
  onProgress?: (ops: number) => void;
  /** Ops between progress calls (default 65536). */
  progressEvery?: number;
  /** Record a {@link ReplaySample} every this many ops (and at the end). */
  sampleEvery?: number;
  /** Called at each `s` line and at the end, with the allocator's stats text when it has one. */
  onCheckpoint?: (checkpoint: ReplayCheckpoint) => void;
  /** Keep every checkpoint in the summary (default false). */
  keepCheckpoints?: boolean;
}

/** What a replay did. */
export interface ReplaySummary {
  /** Ops replayed (including `s`). */
  ops: number;
  /** `m` lines replayed. */
  mallocs: number;
  /** `c` lines replayed. */
  callocs: number;
  /** `r` lines replayed. */
  reallocs: number;
  /** `f` lines replayed. */
  frees: number;
  /** `s` lines. */
  checkpoints: number;
  /** Most blocks live at once. */
  peakLiveBlocks: number;
  /** Most bytes requested by live blocks at once. */
  peakLiveBytes: number;
  /** Blocks still live at the end. */
  liveBlocksAtEnd: number;
  /** pymalloc: arenas high-water mark. */
  arenasHighwater?: number;
  /**
   * RawAllocator underneath: the most bytes the replay's calls held from it
   * at once (arenas and large blocks, headers included): its high-water mark
   * during the replay, less what it already held when the replay began, so
   * that a heap that also holds other things (createHeap's gc keeps its list
   * heads there) reports what `pymem replay` reports.
   */
  peakRawBytes?: number;
  /** RawAllocator underneath: external fragmentation at the end (see RawStats). */
  fragmentation?: number;
  /** Wall time of the replay. */
  elapsedMs: number;
  /** elapsedMs per op, in nanoseconds. */
  nsPerOp: number;
  /** The time series, when `sampleEvery` was given. */
  series?: ReplaySample[];
  /** Checkpoints, when `keepCheckpoints` was set. The last one is the end of the trace. */
  checkpointStats?: ReplayCheckpoint[];
}

/** Replay state carried across batches. */
class Replayer {
  readonly live = new LiveTable();
  ops = 0;
  mallocs = 0;
  callocs = 0;
  reallocs = 0;
  frees = 0;
  checkpoints = 0;
  liveBlocks = 0;
  liveBytes = 0;
  peakLiveBlocks = 0;
  peakLiveBytes = 0;
  readonly series: ReplaySample[] = [];
  readonly kept: ReplayCheckpoint[] = [];
  private nextProgress: number;
  private nextSample: number;
  private readonly started = now();
  private readonly raw: RawAllocator | undefined;
  // Bytes the raw allocator held before the replay, and its high-water mark then (put back at the end).
  private readonly rawBase: number = 0;
  private readonly lifetimePeak: number = 0;
  private ended = false;

  constructor(
    private readonly allocator: TraceAllocator,
    private readonly options: ReplayOptions,
    private readonly header?: TraceHeader,
  ) {
    this.nextProgress = options.progressEvery ?? 65536;
    this.nextSample = options.sampleEvery ?? Number.POSITIVE_INFINITY;
    this.raw = rawOf(allocator);
    if (this.raw !== undefined) {
      this.rawBase = this.raw.bytesInUse;
      this.lifetimePeak = swapPeakBytes(this.raw, this.rawBase);
    }
  }

  /** Puts the raw allocator's lifetime high-water mark back; returns the replay's own. Once. */
  end(): number {
    if (this.raw === undefined || this.ended) return 0;
    this.ended = true;
    const during = swapPeakBytes(this.raw, this.lifetimePeak);
    swapPeakBytes(this.raw, Math.max(this.lifetimePeak, during));
    return during - this.rawBase;
  }

  run(batch: TraceBatch): void {
    const { op, id, a } = batch;
    const alloc = this.allocator;
    const live = this.live;
    // The hot loop keeps its counters in locals and the dense ID columns in hand; they go back to `this`
    // before anything else can look (samples, progress, checkpoints, errors).
    let addr = live.address;
    let sizes = live.size;
    let types = live.type;
    const btype = batch.type;
    let ops = this.ops;
    let liveBlocks = this.liveBlocks;
    let liveBytes = this.liveBytes;
    let peakBlocks = this.peakLiveBlocks;
    let peakBytes = this.peakLiveBytes;
    let mallocs = this.mallocs;
    let frees = this.frees;
    let next = Math.min(this.nextSample, this.nextProgress);
    const n = batch.length;
    let i = 0;
    try {
      for (; i < n; i++) {
        const code = op[i] as number;
        const k = id[i] as number;
        if (code === TraceOp.Malloc && k < addr.length) {
          if (addr[k] !== 0) throw this.error(batch, i, `block ${k} is already live`);
          const size = a[i] as number;
          addr[k] = alloc.malloc(size);
          sizes[k] = size;
          types[k] = btype[i] as number;
          mallocs++;
          liveBytes += size;
          if (++liveBlocks > peakBlocks) peakBlocks = liveBlocks;
          if (liveBytes > peakBytes) peakBytes = liveBytes;
        } else if (code === TraceOp.Free && k < addr.length) {
          const old = addr[k] as number;
          if (old === 0) throw this.error(batch, i, `block ${k} is not live`);
          alloc.free(old);
          liveBytes -= sizes[k] as number;
          liveBlocks--;
          addr[k] = 0;
          sizes[k] = 0;
          frees++;
        } else {
          this.save(ops, liveBlocks, liveBytes, peakBlocks, peakBytes, mallocs, frees);
          this.runOne(batch, i, code, k);
          ({ ops, liveBlocks, liveBytes, mallocs, frees } = this);
          peakBlocks = this.peakLiveBlocks;
          peakBytes = this.peakLiveBytes;
          addr = live.address;
          sizes = live.size;
          types = live.type;
        }
        if (++ops >= next) {
          this.save(ops, liveBlocks, liveBytes, peakBlocks, peakBytes, mallocs, frees);
          this.tick();
          next = Math.min(this.nextSample, this.nextProgress);
        }
      }
    } catch (e) {
      this.save(ops, liveBlocks, liveBytes, peakBlocks, peakBytes, mallocs, frees);
      if (e instanceof TraceError) throw e;
      throw allocatorFailure(batch, i, e);
    }
    this.save(ops, liveBlocks, liveBytes, peakBlocks, peakBytes, mallocs, frees);
  }

  /** The hot loop's counters, back into the replay's state. */
  private save(
    ops: number,
    liveBlocks: number,
    liveBytes: number,
    peakBlocks: number,
    peakBytes: number,
    mallocs: number,
    frees: number,
  ): void {
    this.ops = ops;
    this.liveBlocks = liveBlocks;
    this.liveBytes = liveBytes;
    this.peakLiveBlocks = peakBlocks;
    this.peakLiveBytes = peakBytes;
    this.mallocs = mallocs;
    this.frees = frees;
  }

  /** Every other op: callocs, reallocs, `s` lines, and IDs past the dense columns. */
  private runOne(batch: TraceBatch, i: number, code: number, k: number): void {
    if (code === TraceOp.Stats) {
      this.checkpoints++;
      this.checkpoint(batch.line[i] as number);
      return;
    }
    const before = this.live.sizeOf(k);
    this.live.play(batch, i, this.allocator);
    this.liveBytes += this.live.sizeOf(k) - before;
    if (code === TraceOp.Malloc) this.mallocs++;
    else if (code === TraceOp.Calloc) this.callocs++;
    else if (code === TraceOp.Realloc) this.reallocs++;
    else this.frees++;
    if (code === TraceOp.Malloc || code === TraceOp.Calloc) this.liveBlocks++;
    else if (code === TraceOp.Free) this.liveBlocks--;
    if (this.liveBlocks > this.peakLiveBlocks) this.peakLiveBlocks = this.liveBlocks;
    if (this.liveBytes > this.peakLiveBytes) this.peakLiveBytes = this.liveBytes;
  }

  /** A sample and/or a progress call is due. */
  private tick(): void {
    const done = this.ops;
    if (done >= this.nextSample) {
      this.sample();
      this.nextSample += this.options.sampleEvery as number;
    }
    if (done >= this.nextProgress) {
      this.options.onProgress?.(done);
      this.nextProgress += this.options.progressEvery ?? 65536;
    }
  }

  private error(batch: TraceBatch, i: number, what: string): TraceError {
    return new TraceError(batch.line[i] as number, batch.text(i), what);
  }

  private checkpoint(line: number): void {
    const { onCheckpoint, keepCheckpoints } = this.options;
    if (onCheckpoint === undefined && !keepCheckpoints) return;
    const cp: ReplayCheckpoint = { op: this.ops, line };
    const text = (this.allocator as Partial<ObjectAllocator>).debugMallocStats?.();
    if (text !== undefined) cp.stats = text;
    const names = this.header?.typeNames;
    if (names !== undefined && names.length > 0) cp.typeOf = this.typeOfNow(names);
    onCheckpoint?.(cp);
    if (keepCheckpoints) this.kept.push(cp);
  }

  /** Address → type name of the live blocks, built at the first call. */
  private typeOfNow(names: readonly string[]): (address: number) => string | undefined {
    let byAddress: Map<number, string> | undefined;
    return (address) => {
      if (byAddress === undefined) {
        byAddress = new Map();
        const { address: at, type } = this.live;
        for (let k = 0; k < type.length; k++) {
          const a = at[k] as number;
          const t = type[k] as number;
          if (a !== 0 && t !== 0) byAddress.set(a, names[t - 1] as string);
        }
      }
      return byAddress.get(address);
    };
  }

  private sample(): void {
    const s: ReplaySample = {
      op: this.ops,
      liveBlocks: this.liveBlocks,
      liveBytes: this.liveBytes,
      arenas: 0,
      poolsPerClass: [],
      blockBytes: 0,
      rawBytes: 0,
    };
    const a = this.allocator as Partial<ObjectAllocator>;
    const st = a.mallocStats?.();
    if (st !== undefined) {
      const alignment = a.profile?.alignment ?? 16;
      s.arenas = st.arenasAllocatedCurrent;
      s.poolsPerClass = st.poolsByClass;
      st.blocksInUseByClass.forEach((n, c) => {
        s.blockBytes += n * blockSizeOf(c, alignment);
      });
    }
    if (this.raw !== undefined) s.rawBytes = this.raw.bytesInUse - this.rawBase;
    this.series.push(s);
  }

  finish(): ReplaySummary {
    this.checkpoint(0);
    if (this.options.sampleEvery !== undefined && this.series.at(-1)?.op !== this.ops) this.sample();
    const elapsedMs = now() - this.started;
    const summary: ReplaySummary = {
      ops: this.ops,
      mallocs: this.mallocs,
      callocs: this.callocs,
      reallocs: this.reallocs,
      frees: this.frees,
      checkpoints: this.checkpoints,
      peakLiveBlocks: this.peakLiveBlocks,
      peakLiveBytes: this.peakLiveBytes,
      liveBlocksAtEnd: this.liveBlocks,
      elapsedMs,
      nsPerOp: this.ops === 0 ? 0 : (elapsedMs * 1e6) / this.ops,
    };
    const st = (this.allocator as Partial<ObjectAllocator>).mallocStats?.();
    if (st !== undefined) summary.arenasHighwater = st.arenasHighwater;
    if (this.raw !== undefined) {
      summary.peakRawBytes = this.end();
      summary.fragmentation = this.raw.stats().fragmentation;
    }
    if (this.options.sampleEvery !== undefined) summary.series = this.series;
    if (this.options.keepCheckpoints) summary.checkpointStats = this.kept;
    return summary;
  }
}

/** The raw allocator under an ObjectAllocator; undefined for a bare TraceAllocator. */
function rawOf(allocator: TraceAllocator): RawAllocator | undefined {
  const raw = (allocator as Partial<ObjectAllocator>).raw;
  return raw !== undefined && typeof raw.stats === "function" ? raw : undefined;
}

function now(): number {
  return typeof performance !== "undefined" ? performance.now() : Date.now();
}

function checkOptions(allocator: TraceAllocator, options: ReplayOptions): void {
  if (typeof options !== "object" || options === null) {
    throw new TypeError(`options must be an object, got ${String(options)}`);
  }
  for (const k of ["onProgress", "onCheckpoint"] as const) {
    if (options[k] !== undefined && typeof options[k] !== "function") {
      throw new TypeError(`options.${k} must be a function, got ${typeof options[k]}`);
    }
  }
  for (const m of ["malloc", "calloc", "realloc", "free"] as const) {
    if (typeof (allocator as unknown as Record<string, unknown>)?.[m] !== "function") {
      throw new TypeError(`the allocator has no ${m}() method`);
    }
  }
  for (const k of ["progressEvery", "sampleEvery"] as const) {
    const v = options[k];
    if (v !== undefined && (!Number.isInteger(v) || v < 1)) {
      throw new RangeError(`options.${k} must be a positive integer, got ${v}`);
    }
  }
}

/**
 * Replays `trace` into `allocator`. Semantic errors (`f` or `r` of an ID that
 * is not live, `m` or `c` of a live one) throw {@link TraceError} naming the
 * line before the allocator is called, so it stays valid; an allocator error
 * is wrapped in a TraceError naming the line (the original is its `cause`).
 * A {@link TraceStream} replays as it is read and returns a promise.
 *
 * @example
 * ```ts
 * import { createHeap, parseTrace, replayTrace } from "pymem";
 *
 * const { blocks } = createHeap({ profile: "cpython-3.11" });
 * const summary = replayTrace(parseTrace("m 0 24\nm 1 100\nr 0 40\nf 1\ns\nf 0\n"), blocks);
 * console.log(summary.ops, summary.peakLiveBlocks); // 6 2
 * ```
 */
export function replayTrace(trace: Trace, allocator: TraceAllocator, options?: ReplayOptions): ReplaySummary;
export function replayTrace(
  trace: TraceStream,
  allocator: TraceAllocator,
  options?: ReplayOptions,
): Promise<ReplaySummary>;
export function replayTrace(
  trace: Trace | TraceStream,
  allocator: TraceAllocator,
  options?: ReplayOptions,
): ReplaySummary | Promise<ReplaySummary>;
export function replayTrace(
  trace: Trace | TraceStream,
  allocator: TraceAllocator,
  options: ReplayOptions = {},
): ReplaySummary | Promise<ReplaySummary> {
  checkOptions(allocator, options);
  if (trace?.kind !== "trace" && trace?.kind !== "stream") {
    throw new TypeError("replayTrace takes the result of parseTrace, loadTrace or a TraceRecorder's trace()");
  }
  const r = new Replayer(allocator, options, trace.header);
  if (trace.kind === "trace") {
    try {
      r.run(trace.ops);
      return r.finish();
    } finally {
      r.end();
    }
  }
  return (async () => {
    try {
      for await (const batch of trace) r.run(batch);
      return r.finish();
    } finally {
      r.end();
    }
  })();
}

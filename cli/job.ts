/** One replay of one trace file under one profile: what `replay` prints and each row of `compare`. */
import { readFile } from "node:fs/promises";
import {
  BlockAllocator,
  defineProfile,
  getProfile,
  type MallocByteTotals,
  mallocByteTotals,
  type Profile,
  RawAllocator,
  type ReplayCheckpoint,
  type ReplaySample,
  type ReplaySummary,
  renderHeapMap,
  replayTrace,
  type TypeSample,
  type TypeTable,
  type TypeUsage,
  typeUsage,
} from "pymem";
import { LIVE_ALIGNMENT, type LiveArenas, LiveRunError, liveArenas, liveRun } from "./live-run.js";
import { openTrace } from "./read-trace.js";

/** One replay to run: a trace file under a profile, and what to gather. */
export interface JobSpec {
  /** The trace file's path (gzip or not). */
  trace: string;
  /** A built-in profile's name, or a profile (validated again: it may have crossed to a worker thread). */
  profile: string | Profile;
  /** Keep the stats text of every `s` line. */
  everyCheckpoint?: boolean;
  /** Sample a time series every N ops. */
  every?: number;
  /** Draw the heap map at every `s` line and at the end. */
  heapMaps?: boolean;
  /** Gather what the HTML report shows. */
  report?: boolean;
  /**
   * An addresses file of `pymem record --addresses`: the arenas go where the live run had them, so what depends on
   * their alignment (the pools an unaligned arena loses) is the live run's too.
   */
  arenas?: string;
  /** Bytes by Python type (the trace's annotations): at the peak and the end; heap maps coloured by type. */
  byType?: boolean;
}

/** What the HTML report draws for one replay, gathered as it runs. */
export interface ReportData {
  /** The profile's parameters. */
  profile: Profile;
  /** The time series, at most 600 samples, evenly spaced. */
  series: ReplaySample[];
  /** Blocks handed out, by requested size. */
  sizes: {
    /** Bucket labels: size classes by block size, then powers of two. */
    labels: string[];
    /** Blocks per bucket. */
    counts: number[];
  };
  /** How full each arena slot was over the replay. */
  arenaUse: {
    /** Ops replayed at each sample. */
    ops: number[];
    /** Per sample, per arena slot: the share of its bytes in blocks in use; -1 where no arena is. */
    rows: number[][];
  };
  /** The heap map at the end. */
  heapMap: string;
  /** The same, coloured by type, when the trace names its blocks. */
  heapMapByType?: string;
  /** Bytes by type over the replay, when the trace names its blocks. */
  types?: ReportTypes;
}

/** What the HTML report shows of bytes by type. */
export interface ReportTypes {
  /** The trace's type names; samples index them. */
  names: string[];
  /** Bytes by type every so many ops, at most 600 samples, evenly spaced. */
  series: TypeSample[];
  /** At the peak of live bytes. */
  peak: TypeTable;
  /** At the end. */
  end: TypeTable;
}

/** Samples kept for the report: enough for a smooth line, few enough for a small file. */
export const MAX_POINTS = 600;

/** The heap map at an `s` line (`line` > 0) or at the end (`line` 0). */
export interface HeapMapAt {
  /** The `s` line's number, 0 for the end. */
  line: number;
  /** Ops replayed before it. */
  op: number;
  /** The map, an SVG document. */
  svg: string;
}

/** What one replay of a trace file did: what `pymem replay` prints and each row of `pymem compare`. */
export interface JobResult {
  /** The trace file's path. */
  trace: string;
  /** The profile's name. */
  profile: string;
  /** The trace's `# key: value` header lines. */
  header: Record<string, string>;
  /** The replay's numbers. */
  summary: ReplaySummary;
  /** _PyObject_DebugMallocStats' text at the end. */
  finalStats: string;
  /** At `s` lines, when asked for. */
  checkpoints: ReplayCheckpoint[];
  /** The time series, when asked for (`every`). */
  series: ReplaySample[];
  /** When asked for: at `s` lines, then at the end. */
  heapMaps: HeapMapAt[];
  /** When asked for. */
  report?: ReportData;
  /** Bytes by type, when asked for (`byType`). */
  byType?: TypeUsage;
  /** Where the arenas' bytes went when the raw allocator held the most. */
  atPeak: MallocByteTotals & {
    /** Bytes held from the raw allocator then. */
    rawBytes: number;
    /** Ops replayed then. */
    op: number;
  };
}

const PEAK_EVERY = 1024;

/** A replay's raw allocator: its buffer reserved whole, for speed, where the machine grants the address space. */
function reservedRaw(): RawAllocator {
  try {
    return new RawAllocator({ checked: false, reserve: true });
  } catch (e) {
    if (e instanceof RangeError) return new RawAllocator({ checked: false });
    throw e;
  }
}

/** The arena allocator placing arenas as the live run of an addresses file did. */
async function liveArenasOf(file: string, profile: Profile, raw: RawAllocator): Promise<LiveArenas> {
  const text = await readFile(file, "utf8");
  // Only the arena lines place anything.
  const arenaLines = text
    .split("\n")
    .filter((l) => l.startsWith("+") || l.startsWith("-"))
    .join("\n");
  const run = liveRun(arenaLines, profile.arenaSize, LIVE_ALIGNMENT);
  if (run.arenas.length === 0) {
    throw new LiveRunError(`${file} names no arena: it is not an addresses file of pymem record --addresses`);
  }
  return liveArenas(run, raw);
}

/** Replays one trace file as `spec` says; `onProgress` hears the ops replayed every 65,536 or so. */
export async function runJob(spec: JobSpec, onProgress?: (ops: number) => void): Promise<JobResult> {
  const profile = typeof spec.profile === "string" ? getProfile(spec.profile) : defineProfile(spec.profile);
  // pymalloc alone: what the trace asks of it, with no objects or gc beside it in the raw heap.
  const raw = reservedRaw();
  const arenaAllocator = spec.arenas === undefined ? undefined : await liveArenasOf(spec.arenas, profile, raw);
  const blocks = new BlockAllocator({ raw, profile, checked: false, ...(arenaAllocator ? { arenaAllocator } : {}) });
  const trace = openTrace(spec.trace);
  let atPeak: JobResult["atPeak"] = { ...mallocByteTotals(blocks.mallocStats(), profile), rawBytes: 0, op: 0 };
  const checkpoints: ReplayCheckpoint[] = [];
  let finalStats = "";
  const heapMaps: HeapMapAt[] = [];
  const gather = spec.report ? new ReportGatherer(blocks) : undefined;
  let typeOfAtEnd: ((address: number) => string | undefined) | undefined;
  const summary = await replayTrace(trace, blocks, {
    progressEvery: PEAK_EVERY,
    onProgress: (ops) => {
      const held = raw.bytesInUse;
      if (held > atPeak.rawBytes)
        atPeak = { ...mallocByteTotals(blocks.mallocStats(), profile), rawBytes: held, op: ops };
      gather?.progress(ops);
      if (onProgress !== undefined && ops % 65536 < PEAK_EVERY) onProgress(ops);
    },
    ...(spec.every === undefined ? (gather ? { sampleEvery: PEAK_EVERY } : {}) : { sampleEvery: spec.every }),
    onCheckpoint: (cp) => {
      // Coloured by type when asked (--by-type); the report draws both.
      const blockType = spec.byType ? cp.typeOf : undefined;
      if (spec.heapMaps)
        heapMaps.push({
          line: cp.line,
          op: cp.op,
          svg: renderHeapMap(blocks, { ...(blockType ? { blockType } : {}) }),
        });
      if (cp.line === 0) typeOfAtEnd = cp.typeOf;
      if (cp.line === 0) finalStats = cp.stats ?? "";
      else if (spec.everyCheckpoint) checkpoints.push(cp);
    },
  });
  const series = summary.series ?? [];
  // The trace again, without the allocator: bytes by type need the peak, found on a first reading.
  const annotated = trace.header.typeNames.length > 0;
  const byType =
    spec.byType || (spec.report && annotated)
      ? await typeUsage(openTrace(spec.trace), spec.report ? { sampleEvery: PEAK_EVERY } : {})
      : undefined;
  return {
    trace: spec.trace,
    profile: profile.name,
    header: trace.header.fields,
    summary,
    finalStats,
    checkpoints,
    series: spec.every === undefined ? [] : series,
    heapMaps,
    ...(gather ? { report: gather.finish(profile, series, summary.ops, byType, typeOfAtEnd) } : {}),
    ...(spec.byType && byType ? { byType: { ...byType, series: [] } } : {}),
    atPeak,
  };
}

/**
 * Counts the blocks handed out by requested size (from the allocator's
 * events) and samples each arena slot's use every {@link PEAK_EVERY} ops,
 * halving its samples whenever they pass twice {@link MAX_POINTS}, so a trace
 * of any length gives a report of bounded size.
 */
class ReportGatherer {
  private readonly counts: Float64Array;
  private readonly classes: number;
  private readonly alignment: number;
  private every = PEAK_EVERY;
  private ops: number[] = [];
  private rows: number[][] = [];

  constructor(private readonly blocks: BlockAllocator) {
    const p = blocks.profile;
    this.alignment = p.alignment;
    this.classes = p.smallRequestThreshold / p.alignment;
    // Size classes, then one bucket per power of two above the threshold, up to 2^32.
    this.counts = new Float64Array(this.classes + 33);
    const count = (e: { size: number }) => {
      const b = this.bucket(e.size);
      this.counts[b] = (this.counts[b] as number) + 1;
    };
    blocks.on("block:alloc", count);
    blocks.on("large:alloc", count);
  }

  /** Size classes first; above the threshold, bucket j holds sizes up to 2^(firstPower + j). */
  private bucket(n: number): number {
    if (n <= this.classes * this.alignment) return Math.max(0, Math.ceil(n / this.alignment) - 1);
    return this.classes + Math.ceil(Math.log2(n)) - this.firstPower();
  }

  private firstPower(): number {
    return Math.ceil(Math.log2(this.classes * this.alignment + 1));
  }

  progress(ops: number): void {
    if (ops % this.every !== 0) return;
    const { arenaSize } = this.blocks.profile;
    const use: number[] = [];
    for (const a of this.blocks.arenas()) {
      let bytes = 0;
      for (const p of a.pools()) bytes += p.blocksInUse * p.blockSize;
      use[a.index] = bytes / arenaSize;
    }
    this.ops.push(ops);
    this.rows.push(Array.from(use, (u) => u ?? -1));
    if (this.ops.length >= 2 * MAX_POINTS) {
      this.ops = this.ops.filter((_, i) => i % 2 === 1);
      this.rows = this.rows.filter((_, i) => i % 2 === 1);
      this.every *= 2;
    }
  }

  finish(
    profile: Profile,
    series: ReplaySample[],
    totalOps: number,
    types?: TypeUsage,
    typeOf?: (address: number) => string | undefined,
  ): ReportData {
    const labels: string[] = [];
    const counts = Array.from(this.counts);
    let last = counts.length - 1;
    while (last >= this.classes && counts[last] === 0) last--;
    for (let i = 0; i <= last; i++) {
      labels.push(
        i < this.classes ? String((i + 1) * this.alignment) : `≤${2 ** (this.firstPower() + i - this.classes)}`,
      );
    }
    counts.length = last + 1;
    const step = Math.max(1, Math.ceil(series.length / MAX_POINTS));
    const thinned = series.filter((s, i) => i % step === step - 1 || s.op === totalOps);
    return {
      profile,
      series: thinned,
      sizes: { labels, counts },
      arenaUse: { ops: this.ops, rows: this.rows },
      heapMap: renderHeapMap(this.blocks),
      ...(typeOf ? { heapMapByType: renderHeapMap(this.blocks, { blockType: typeOf }) } : {}),
      ...(types?.annotated ? { types: thinTypes(types, totalOps) } : {}),
    };
  }
}

/** Bytes by type for the report: every `names` index kept, the samples thinned to {@link MAX_POINTS}. */
function thinTypes(types: TypeUsage, totalOps: number): ReportTypes {
  const step = Math.max(1, Math.ceil(types.series.length / MAX_POINTS));
  const series = types.series.filter((s, i) => i % step === step - 1 || s.op === totalOps);
  return { names: types.names, series, peak: types.peak, end: types.end };
}

/** One replay of one trace file under one profile: what `replay` prints and each row of `compare`. */
import {
  createHeap,
  getProfile,
  type MallocByteTotals,
  mallocByteTotals,
  type ReplayCheckpoint,
  type ReplaySample,
  type ReplaySummary,
  renderHeapMap,
  replayTrace,
} from "../src/index.js";
import { openTrace } from "./read-trace.js";

export interface JobSpec {
  trace: string;
  profile: string;
  /** Keep the stats text of every `s` line. */
  everyCheckpoint?: boolean;
  /** Sample a time series every N ops. */
  every?: number;
  /** Draw the heap map at every `s` line and at the end. */
  heapMaps?: boolean;
}

/** The heap map at an `s` line (`line` > 0) or at the end (`line` 0). */
export interface HeapMapAt {
  line: number;
  op: number;
  svg: string;
}

export interface JobResult {
  trace: string;
  profile: string;
  header: Record<string, string>;
  summary: ReplaySummary;
  /** _PyObject_DebugMallocStats' text at the end. */
  finalStats: string;
  /** At `s` lines, when asked for. */
  checkpoints: ReplayCheckpoint[];
  series: ReplaySample[];
  /** When asked for: at `s` lines, then at the end. */
  heapMaps: HeapMapAt[];
  /** Where the arenas' bytes went when the raw allocator held the most. */
  atPeak: MallocByteTotals & { rawBytes: number; op: number };
}

const PEAK_EVERY = 1024;

export async function runJob(spec: JobSpec, onProgress?: (ops: number) => void): Promise<JobResult> {
  const profile = getProfile(spec.profile);
  const { blocks, raw } = createHeap({ profile, checked: false });
  const trace = openTrace(spec.trace);
  let atPeak: JobResult["atPeak"] = { ...mallocByteTotals(blocks.mallocStats(), profile), rawBytes: 0, op: 0 };
  const checkpoints: ReplayCheckpoint[] = [];
  let finalStats = "";
  const heapMaps: HeapMapAt[] = [];
  const summary = await replayTrace(trace, blocks, {
    progressEvery: PEAK_EVERY,
    onProgress: (ops) => {
      const held = raw.bytesInUse;
      if (held > atPeak.rawBytes)
        atPeak = { ...mallocByteTotals(blocks.mallocStats(), profile), rawBytes: held, op: ops };
      if (onProgress !== undefined && ops % 65536 < PEAK_EVERY) onProgress(ops);
    },
    ...(spec.every === undefined ? {} : { sampleEvery: spec.every }),
    onCheckpoint: (cp) => {
      if (spec.heapMaps) heapMaps.push({ line: cp.line, op: cp.op, svg: renderHeapMap(blocks) });
      if (cp.line === 0) finalStats = cp.stats ?? "";
      else if (spec.everyCheckpoint) checkpoints.push(cp);
    },
  });
  return {
    trace: spec.trace,
    profile: profile.name,
    header: trace.header.fields,
    summary,
    finalStats,
    checkpoints,
    series: summary.series ?? [],
    heapMaps,
    atPeak,
  };
}

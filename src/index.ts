/**
 * pymem: CPython's memory manager rebuilt as composable allocator primitives
 * over ArrayBuffer memory.
 *
 * @packageDocumentation
 */

export { type BuiltinRules, builtinRules, type FreeListName } from "./builtins/builtin-rules.js";
export { Builtins, type BuiltinsOptions } from "./builtins/builtins.js";
export type { FreeListSizes } from "./builtins/free-lists.js";
export type { ClassDescription, ClassOptions } from "./builtins/instances.js";
export {
  DoubleFreeError,
  formatAddress,
  HeapCorruptionError,
  InvalidAddressError,
  OutOfMemoryError,
  PymemError,
  TraceError,
} from "./errors.js";
export { Emitter, type Listener } from "./events.js";
export { CycleCollector, type CycleCollectorOptions, type RootKind } from "./gc/cycle-collector.js";
export type { GcEvents, GcGenerationStats, GcInfo } from "./gc/gc-events.js";
export { createHeap, type Heap, type HeapOptions } from "./heap.js";
export { MAX_ADDRESS } from "./internal/arguments.js";
export type { AllocatorStats, ObjectAllocator } from "./object-allocator.js";
export type { ObjectEvents } from "./objects/object-events.js";
export { instanceBytes, type ObjectType, type TypeSpec } from "./objects/object-type.js";
export { RefCounter, type RefCounterOptions } from "./objects/ref-counter.js";
export { type ProfileProof, profileProofs } from "./profile-proofs.js";
export { parseProfileSpec, profileFromJson } from "./profile-spec.js";
export {
  type ArenaMap,
  type ArenaMapInput,
  defaultProfile,
  defineProfile,
  type GcVariant,
  getProfile,
  type Profile,
  type ProfileInput,
  type ProfileName,
  profileForRelease,
  profiles,
  type RadixLevels,
  radixLevels,
  type Trashcan,
} from "./profiles.js";
export { Arena } from "./pymalloc/arena.js";
export type { ArenaAllocator } from "./pymalloc/arena-allocator.js";
export type { ArenaMapCounts } from "./pymalloc/arena-map.js";
export { BlockAllocator, type BlockAllocatorOptions } from "./pymalloc/block-allocator.js";
export type { BlockEvents } from "./pymalloc/block-events.js";
export {
  DebugAllocator,
  type DebugAllocatorOptions,
  type DebugDomain,
} from "./pymalloc/debug-allocator.js";
export { Pool, type PoolState } from "./pymalloc/pool.js";
export { poolHeader } from "./pymalloc/pool-header.js";
export { blockSizeOf, blocksPerPool, poolOf, sizeClassCount, sizeClassOf } from "./pymalloc/size-class.js";
export {
  type BlockStats,
  formatMallocStats,
  type MallocByteTotals,
  type MallocStats,
  mallocByteTotals,
  printOne,
  withCommas,
} from "./pymalloc/stats.js";
export { Memory } from "./raw/memory.js";
export { RawAllocator, type RawAllocatorOptions, type RawEvents, type RawStats } from "./raw/raw-allocator.js";
export { blockSizeFor, RAW_HEADER } from "./raw/raw-block.js";
export {
  type DeserializeOptions,
  HeapSnapshot,
  instantiate,
  type Layer,
  restore,
  type Stack,
  snapshot,
} from "./snapshot/snapshot.js";
export {
  isGzip,
  loadTrace,
  parseTrace,
  type Trace,
  TraceBatch,
  type TraceChunks,
  type TraceHeader,
  TraceOp,
  type TraceOpCode,
  type TraceStream,
} from "./trace/parse.js";
export {
  type ReplayCheckpoint,
  type ReplayOptions,
  type ReplaySample,
  type ReplaySummary,
  replayTrace,
} from "./trace/replay.js";
export type { TraceAllocator } from "./trace/trace-allocator.js";
export {
  type TraceOpName,
  TracePlayer,
  type TracePlayerOptions,
  type TraceStep,
} from "./trace/trace-player.js";
export { TraceRecorder, type TraceRecorderOptions } from "./trace/trace-recorder.js";
export {
  type TypeBytes,
  type TypeSample,
  type TypeTable,
  type TypeUsage,
  type TypeUsageOptions,
  typeUsage,
} from "./trace/type-usage.js";
export { VERSION } from "./version.js";
export { escapeXml, type HeapMapOptions, renderHeapMap, sizeClassColor } from "./view/heap-map.js";

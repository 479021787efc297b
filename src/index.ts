/**
 * pymem: CPython's memory manager rebuilt as composable allocator primitives
 * over ArrayBuffer memory.
 *
 * @packageDocumentation
 */

export { MAX_ADDRESS } from "./arguments.js";
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
export {
  CycleCollector,
  type CycleCollectorOptions,
  type GcEvents,
  type GcGenerationStats,
  type GcInfo,
  type RootKind,
} from "./gc/cycle-collector.js";
export { createHeap, type Heap, type HeapOptions } from "./heap.js";
export { instanceBytes, type ObjectType, type TypeSpec } from "./objects/object-type.js";
export { type ObjectAllocator, type ObjectEvents, RefCounter, type RefCounterOptions } from "./objects/ref-counter.js";
export {
  type ArenaMap,
  defaultProfile,
  defineProfile,
  type GcVariant,
  getProfile,
  type Profile,
  type ProfileName,
  profiles,
  type Trashcan,
} from "./profiles.js";
export { Arena } from "./pymalloc/arena.js";
export {
  BlockAllocator,
  type BlockAllocatorOptions,
  type BlockEvents,
  type BlockStats,
} from "./pymalloc/block-allocator.js";
export {
  DebugAllocator,
  type DebugAllocatorOptions,
  type DebugDomain,
} from "./pymalloc/debug-allocator.js";
export { Pool, type PoolState } from "./pymalloc/pool.js";
export * as poolHeader from "./pymalloc/pool-header.js";
export { blockSizeOf, blocksPerPool, poolOf, sizeClassCount, sizeClassOf } from "./pymalloc/size-class.js";
export {
  type ArenaMapCounts,
  formatMallocStats,
  type MallocByteTotals,
  type MallocStats,
  mallocByteTotals,
  printOne,
  withCommas,
} from "./pymalloc/stats.js";
export { Memory } from "./raw/memory.js";
export {
  blockSizeFor,
  RAW_HEADER,
  RawAllocator,
  type RawAllocatorOptions,
  type RawEvents,
  type RawStats,
} from "./raw/raw-allocator.js";
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
  parseTrace,
  type Trace,
  TraceBatch,
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
  type TraceAllocator,
} from "./trace/replay.js";
export {
  type TraceOpName,
  TracePlayer,
  type TracePlayerOptions,
  type TraceStep,
} from "./trace/trace-player.js";
export { VERSION } from "./version.js";
export { type HeapMapOptions, renderHeapMap, sizeClassColor } from "./view/heap-map.js";

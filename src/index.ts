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
export { Memory } from "./raw/memory.js";
export {
  blockSizeFor,
  RAW_HEADER,
  RawAllocator,
  type RawAllocatorOptions,
  type RawEvents,
  type RawStats,
} from "./raw/raw-allocator.js";
export { VERSION } from "./version.js";

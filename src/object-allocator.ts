/**
 * ObjectAllocator: the one interface every allocator family implements, and
 * all that the layers above an allocator (RefCounter, the cycle collector,
 * the debug hooks, trace replay, snapshots, the command line) ask of it.
 * pymalloc's {@link BlockAllocator}, the {@link RawAllocator} (the C
 * library's malloc: `PYTHONMALLOC=malloc`) and the {@link DebugAllocator}
 * implement it; so can a user's own object, such as a wrapper that counts
 * calls and delegates to a BlockAllocator.
 *
 * @module
 */

import { layerOf } from "./internal/layer-state.js";
import type { Profile } from "./profiles.js";
import type { MallocStats } from "./pymalloc/stats.js";
import type { RawAllocator } from "./raw/raw-allocator.js";

/** What every allocator's {@link ObjectAllocator.stats} reports, whatever else it adds. */
export interface AllocatorStats {
  /** Blocks handed out and not yet freed (for pymalloc, `sys.getallocatedblocks()`). */
  allocatedBlocks: number;
}

/**
 * An allocator objects can live in.
 *
 * Addresses are byte offsets into the memory of {@link ObjectAllocator.raw};
 * 0 is NULL and never a block. A failed call throws a typed error and changes
 * nothing. Events are each allocator's own (see its events interface); what
 * the interface asks about them is how to hold their listeners' errors while
 * a layer above finishes a step.
 *
 * @example
 * ```ts
 * import { BlockAllocator, CycleCollector, type ObjectAllocator, RefCounter } from "pymem";
 *
 * // Counts mallocs and frees, and hands every call to pymalloc.
 * const blocks = new BlockAllocator();
 * let calls = 0;
 * const counting: ObjectAllocator = {
 *   raw: blocks.raw,
 *   profile: blocks.profile,
 *   malloc(size) {
 *     calls++;
 *     return blocks.malloc(size);
 *   },
 *   calloc: (nelem, elsize) => blocks.calloc(nelem, elsize),
 *   realloc: (address, size) => blocks.realloc(address, size),
 *   free(address) {
 *     calls++;
 *     blocks.free(address);
 *   },
 *   owns: (address) => blocks.owns(address),
 *   usableSize: (address) => blocks.usableSize(address),
 *   validate: () => blocks.validate(),
 *   stats: () => blocks.stats(),
 * };
 * const objects = new RefCounter({ allocator: counting });
 * const gc = new CycleCollector({ objects });
 * const Node = objects.defineType({ name: "Node", slots: 1, container: true });
 * const a = objects.new(Node);
 * objects.setSlot(a, 0, a);
 * objects.decref(a);
 * console.log(gc.collect(), calls); // 1 2
 * ```
 */
export interface ObjectAllocator {
  /**
   * The raw allocator at the bottom of the stack: it owns the memory every
   * address indexes, and serves the blocks the layers above keep for
   * themselves (the gc's list heads). A RawAllocator is its own.
   */
  readonly raw: RawAllocator;
  /** The CPython profile the allocator follows, if any: RefCounter and the gc take theirs from it. */
  readonly profile?: Profile | undefined;
  /** A block of at least `size` bytes. @throws OutOfMemoryError when none can be had */
  malloc(size: number): number;
  /** A block of `nelem * elsize` zeroed bytes. */
  calloc(nelem: number, elsize: number): number;
  /** The block at `address` resized to `size` bytes, moved or not, its contents kept; `realloc(0, n)` is malloc. */
  realloc(address: number, size: number): number;
  /** Releases the block at `address`; `free(0)` does nothing. */
  free(address: number): void;
  /** Whether `address` lies in memory this allocator carves its blocks from (pymalloc: CPython's address_in_range). */
  owns(address: number): boolean;
  /** The bytes usable at the live block `address` (at least what was asked for). */
  usableSize(address: number): number;
  /** Checks every invariant of the allocator. @throws HeapCorruptionError naming the first inconsistent address */
  validate(): void;
  /** The allocator's numbers now. */
  stats(): AllocatorStats;
  /**
   * For allocators whose listeners may throw: starts holding listener errors
   * (nestable), so that a layer above can finish the step it is in before the
   * first one surfaces from {@link ObjectAllocator.releaseListenerErrors}.
   * Without these, a listener's error surfaces from the call itself.
   */
  holdListenerErrors?(): void;
  /** Ends one level of {@link ObjectAllocator.holdListenerErrors}; at the last, throws the first error held unless `discard`. */
  releaseListenerErrors?(discard?: boolean): void;
  /** The text CPython's `sys._debugmallocstats()` prints for this allocator's state, for allocators that have one. */
  debugMallocStats?(): string;
  /** pymalloc's report as numbers, for allocators that are pymalloc. */
  mallocStats?(): MallocStats;
}

/** The functions every ObjectAllocator has. */
const REQUIRED = ["malloc", "calloc", "realloc", "free", "owns", "usableSize", "validate", "stats"] as const;

/**
 * Throws a TypeError, naming what is missing, unless `a` is an
 * ObjectAllocator: the interface's functions, and a pymem RawAllocator as its
 * `raw`. For the layers that take one (not exported from the package).
 */
export function checkObjectAllocator(a: unknown, name: string): asserts a is ObjectAllocator {
  const o = (typeof a === "object" && a !== null ? a : {}) as Record<string, unknown>;
  const missing = REQUIRED.find((m) => typeof o[m] !== "function");
  const what =
    missing !== undefined
      ? `it has no ${missing}() method`
      : "it has no raw allocator (its raw must be a RawAllocator)";
  if (missing !== undefined || layerOf(o.raw)?.kind !== "raw") {
    throw new TypeError(
      `${name} must be an ObjectAllocator (a BlockAllocator, a RawAllocator, or your own): ${a === null || typeof a !== "object" ? `got ${a === null ? "null" : typeof a}` : what}`,
    );
  }
}

/**
 * createHeap: the whole stack in one call, for users who want CPython's
 * memory manager without wiring the layers themselves.
 *
 * @module
 */

import { CycleCollector } from "./gc/cycle-collector.js";
import { RefCounter } from "./objects/ref-counter.js";
import { defaultProfile, getProfile, type Profile } from "./profiles.js";
import { BlockAllocator } from "./pymalloc/block-allocator.js";
import { RawAllocator, type RawAllocatorOptions } from "./raw/raw-allocator.js";

/** Options for {@link createHeap}. */
export interface HeapOptions extends RawAllocatorOptions {
  /** A profile, or a built-in profile's name (default {@link defaultProfile}). */
  profile?: Profile | string;
}

/** The layers built by {@link createHeap}. */
export interface Heap {
  /** The profile every layer follows. */
  profile: Profile;
  /** The buffer and the large-block allocator. */
  raw: RawAllocator;
  /** pymalloc. */
  blocks: BlockAllocator;
  /** Objects: CPython's layout and refcounting, allocated by `blocks`. */
  objects: RefCounter;
  /** The cyclic gc of the profile's CPython, over `objects` (enabled, at the profile's thresholds). */
  gc: CycleCollector;
}

/**
 * Builds the whole stack under one profile: a RawAllocator, a BlockAllocator
 * on it, a RefCounter on that and a CycleCollector over the objects. (To stop
 * at a lower layer, build the layers yourself: each takes the one below.)
 *
 * @example
 * ```ts
 * import { createHeap } from "pymem";
 *
 * const { blocks, objects, gc } = createHeap({ profile: "cpython-3.8" });
 * blocks.malloc(100);
 * console.log(blocks.stats().arenasAllocatedCurrent); // 1
 * const Node = objects.defineType({ name: "Node", slots: 1, container: true });
 * const a = objects.new(Node);
 * objects.setSlot(a, 0, a); // a cycle
 * objects.decref(a);
 * console.log(gc.collect()); // 1
 * ```
 */
export function createHeap(options: HeapOptions = {}): Heap {
  if (typeof options !== "object" || options === null) {
    throw new TypeError(`options must be an object, got ${String(options)}`);
  }
  const { profile: p, ...rawOptions } = options;
  const profile = p === undefined ? defaultProfile : typeof p === "string" ? getProfile(p) : p;
  const raw = new RawAllocator(rawOptions);
  const blocks = new BlockAllocator({
    raw,
    profile,
    ...(options.checked === undefined ? {} : { checked: options.checked }),
  });
  const objects = new RefCounter({ allocator: blocks });
  const gc = new CycleCollector({ objects });
  return { profile: blocks.profile, raw, blocks, objects, gc };
}

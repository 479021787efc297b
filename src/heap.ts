/**
 * createHeap: the whole stack in one call, for users who want CPython's
 * memory manager without wiring the layers themselves.
 *
 * @module
 */

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
}

/**
 * Builds a RawAllocator and a BlockAllocator on it under one profile.
 *
 * @example
 * ```ts
 * import { createHeap } from "pymem";
 *
 * const { blocks } = createHeap({ profile: "cpython-3.8" });
 * blocks.malloc(100);
 * console.log(blocks.stats().arenasAllocatedCurrent); // 1
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
  return { profile: blocks.profile, raw, blocks };
}

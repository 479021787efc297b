/**
 * What a {@link BlockAllocator} is made with.
 *
 * @module
 */

import type { Profile } from "../profiles.js";
import type { RawAllocator } from "../raw/raw-allocator.js";
import type { ArenaAllocator } from "./arena-allocator.js";

/** Options for {@link BlockAllocator}. */
export interface BlockAllocatorOptions {
  /** Where arenas and large blocks come from. Default: a new RawAllocator with default options. */
  raw?: RawAllocator;
  /** The CPython profile (default {@link defaultProfile}). */
  profile?: Profile;
  /** Detect invalid, interior and double frees (default true). */
  checked?: boolean;
  /**
   * Where arenas come from, as CPython's `PyObject_SetArenaAllocator` sets it
   * (default: page-aligned regions of `raw`, aligned to the profile's
   * `arenaAlignment`, reading zero as fresh pages do).
   */
  arenaAllocator?: ArenaAllocator;
}

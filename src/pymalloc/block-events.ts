/**
 * The events of a {@link BlockAllocator}: what pymalloc does, step by step,
 * for tools that watch or draw it. Each is emitted once the allocator's state
 * is consistent; events raised in the middle of one allocation (an arena
 * allocated, a pool set up) come out in order once it is complete.
 *
 * @module
 */

/** Events of {@link BlockAllocator}. */
export interface BlockEvents {
  /** A new arena was allocated (new_arena). */
  "arena:alloc": {
    /** The arena's base address, as the arena allocator returned it (CPython's `arenaobj->address`). */
    address: number;
    /** Its slot in the arena objects vector (the arenaindex its pools record). */
    index: number;
    /** CPython's ntotalpools: pools the arena can hold, one fewer when its address is not pool-aligned. */
    nTotalPools: number;
  };
  /** A wholly free arena was given back to the arena allocator. */
  "arena:free": {
    /** The released arena's base address. */
    address: number;
    /** Its slot in the arena objects vector, now back on unused_arena_objects. */
    index: number;
  };
  /**
   * A pool was taken for a size class: freshly carved or re-initialised
   * (`reused: false`), or an emptied pool of the same class whose free list
   * is kept (`reused: true`).
   */
  "pool:init": {
    /** The pool's address (where its pool_header starts). */
    address: number;
    /** The size class it now serves (CPython's szidx). */
    sizeClass: number;
    /** Bytes per block in that class (INDEX2SIZE(szidx)). */
    blockSize: number;
    /** Index of the arena the pool belongs to (the header's arenaindex). */
    arenaIndex: number;
    /** True when the pool kept its header and free list from its last use by this class. */
    reused: boolean;
  };
  /** A pool's last free block was taken: it left its usedpools list. */
  "pool:full": {
    /** The pool's address. */
    address: number;
    /** Its size class (szidx). */
    sizeClass: number;
  };
  /**
   * A block was freed into a full pool: the pool is usable again, linked back
   * at the front of its class's usedpools ring (insert_to_usedpool), so the
   * next request of its class is served from it. Follows that block's
   * `block:free`.
   */
  "pool:usable": {
    /** The pool's address. */
    address: number;
    /** Its size class (szidx). */
    sizeClass: number;
  };
  /** A pool's last block was freed: it went to its arena's freepools. */
  "pool:empty": {
    /** The pool's address. */
    address: number;
    /** The size class it served (szidx), kept in its header for reuse. */
    sizeClass: number;
    /** Index of the arena the pool belongs to (the header's arenaindex). */
    arenaIndex: number;
  };
  /** A small block was handed out. */
  "block:alloc": {
    /** The block's address. */
    address: number;
    /** Bytes requested (`nelem * elsize` for calloc), not the block size of the class. */
    size: number;
    /** The size class that served it (szidx). */
    sizeClass: number;
    /** Address of the pool the block was taken from. */
    pool: number;
  };
  /** A small block was freed. */
  "block:free": {
    /** The freed block's address. */
    address: number;
    /** Its pool's size class (szidx). */
    sizeClass: number;
    /** Address of the pool it went back to. */
    pool: number;
  };
  /** A request went to the raw allocator (0 bytes, above the threshold, or no arena could be had). */
  "large:alloc": {
    /** The raw block's address. */
    address: number;
    /** Bytes asked of the raw allocator: the request, or 1 for a 0-byte request. */
    size: number;
  };
  /** A raw-allocator block of this allocator was freed. */
  "large:free": {
    /** The freed raw block's address. */
    address: number;
  };
  /** realloc returned `address` for `oldAddress` (equal when the block stayed). */
  realloc: {
    /** The block now holding the data. */
    address: number;
    /** The block passed to realloc. */
    oldAddress: number;
    /** The new size requested, in bytes. */
    size: number;
  };
}

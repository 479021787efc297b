/**
 * A free list: dead objects of one type (and size) kept for reuse, last in
 * first out, up to a capacity, as CPython keeps floats, tuples, lists and
 * (3.14+) ints. The blocks stay allocated; only their addresses are held.
 *
 * @module
 */

import { grown } from "../internal/typed-arrays.js";

/** A LIFO of kept object addresses, with a capacity. */
export class FreeList {
  /** The most it keeps (CPython's `*_MAXFREELIST`). */
  readonly capacity: number;
  private items = new Float64Array(8);
  /** How many it keeps (CPython's `numfree`). */
  size = 0;

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  /** Keeps `address` if there is room; false when full (the caller frees it). */
  push(address: number): boolean {
    if (this.size >= this.capacity) return false;
    if (this.size === this.items.length) this.items = grown(this.items, this.size * 2);
    this.items[this.size++] = address;
    return true;
  }

  /** The most recently kept address, taken off the list, or 0 when empty. */
  pop(): number {
    return this.size === 0 ? 0 : (this.items[--this.size] as number);
  }

  /** Empties the list, most recent first, handing each address to `free`. */
  clear(free: (address: number) => void): void {
    while (this.size > 0) free(this.items[--this.size] as number);
  }
}

/**
 * The values arrays of split dicts (PEP 412's key-sharing dicts): the keys
 * live in a class's shared keys object, each instance's values in an array
 * of its own, as each release lays that array out:
 *
 * - `"array"` (3.8–3.10): a bare array of `n` pointers (`PyMem_NEW`); the
 *   values are dense and in the keys' order, so no order is kept.
 * - `"prefix"` (3.11–3.12): `n` pointers after a prefix of `round8(n + 2)`
 *   bytes whose last byte is the prefix's size and the byte before it the
 *   count of indices in insertion order, which are stored downwards from
 *   there. The values pointer points past the prefix.
 * - `"header"` (3.13+): a header word (capacity, count, embedded, valid),
 *   the pointers, then the indices in insertion order, rounded up to a word;
 *   embedded in the object itself (inline values) or allocated alone.
 *
 * Pure layout over the objects' memory: no JS object per array.
 *
 * @module
 */

import { fillBytes } from "../internal/words.js";
import type { ObjectCore } from "../objects/object-core.js";

/** How a release lays out a split dict's values. */
export type ValuesLayout = "array" | "prefix" | "header";

/** The bytes `n` rounded up to a word. */
function round8(n: number): number {
  return (n + 7) & ~7;
}

/** The values arrays of one Builtins. */
export class SplitValues {
  /** The release's layout. */
  readonly layout: ValuesLayout;
  private readonly core: ObjectCore;

  constructor(core: ObjectCore, layout: ValuesLayout) {
    this.core = core;
    this.layout = layout;
  }

  /** Bytes of an array of `n` values (new_values' request; "header": also the inline values' size). */
  bytes(n: number): number {
    if (this.layout === "array") return 8 * n;
    if (this.layout === "prefix") return round8(n + 2) + 8 * n;
    return 8 * (n + 1) + round8(n);
  }

  /** new_values: an array of `n` empty values, allocated alone; returns the values pointer. */
  alloc(n: number): number {
    const core = this.core;
    const bytes = this.bytes(n);
    const block = core.allocator.malloc(bytes);
    fillBytes(core.memory, block, block + bytes, 0);
    if (this.layout === "array") return block;
    if (this.layout === "prefix") {
      const prefix = round8(n + 2);
      core.memory.u8[block + prefix - 1] = prefix;
      return block + prefix;
    }
    core.memory.u8[block] = n;
    return block;
  }

  /** Lays out inline values of capacity `n` at `v` (3.13+'s `_PyObject_InitInlineValues`): embedded, valid, empty. */
  initInline(v: number, n: number): void {
    const u8 = this.core.memory.u8;
    u8[v] = n;
    u8[v + 1] = 0;
    u8[v + 2] = 1;
    u8[v + 3] = 1;
  }

  /** free_values: the block of an array allocated alone. */
  free(v: number): void {
    const block = this.layout === "prefix" ? v - (this.core.memory.u8[v - 1] as number) : v;
    this.core.allocator.free(block);
  }

  /** Where value `i` is. */
  slot(v: number, i: number): number {
    return v + (this.layout === "header" ? 8 : 0) + 8 * i;
  }

  /** The value at index `i` (0 for none). */
  get(v: number, i: number): number {
    return this.core.readWord(this.slot(v, i));
  }

  /** Stores `value` at index `i` (references are the caller's). */
  set(v: number, i: number, value: number): void {
    this.core.writeWord(this.slot(v, i), value);
  }

  /** The capacity of a "header" array. */
  capacity(v: number): number {
    return this.core.memory.u8[v] as number;
  }

  /** Whether a "header" array lives inside its object (inline values). */
  embedded(v: number): boolean {
    return this.layout === "header" && this.core.memory.u8[v + 2] === 1;
  }

  /** Whether inline values still hold the object's attributes (a resize of its dict moves them out). */
  valid(v: number): boolean {
    return this.core.memory.u8[v + 3] === 1;
  }

  /** Marks inline values as no longer holding the attributes. */
  invalidate(v: number): void {
    this.core.memory.u8[v + 3] = 0;
  }

  /** How many indices the insertion order holds ("prefix", "header"). */
  count(v: number): number {
    return this.layout === "prefix" ? (this.core.memory.u8[v - 2] as number) : (this.core.memory.u8[v + 1] as number);
  }

  private setCount(v: number, n: number): void {
    if (this.layout === "prefix") this.core.memory.u8[v - 2] = n;
    else this.core.memory.u8[v + 1] = n;
  }

  /** Where position `i` of the insertion order is. */
  private orderByte(v: number, i: number): number {
    return this.layout === "prefix" ? v - 3 - i : v + 8 + 8 * this.capacity(v) + i;
  }

  /** The index at position `i` of the insertion order. */
  orderAt(v: number, i: number): number {
    return this.core.memory.u8[this.orderByte(v, i)] as number;
  }

  /** _PyDictValues_AddToInsertionOrder. */
  addToOrder(v: number, ix: number): void {
    const n = this.count(v);
    this.core.memory.u8[this.orderByte(v, n)] = ix;
    this.setCount(v, n + 1);
  }

  /** delete_index_from_values: index `ix` leaves the order, the later ones move up. */
  deleteFromOrder(v: number, ix: number): void {
    const u8 = this.core.memory.u8;
    const n = this.count(v);
    let i = 0;
    while (i < n && u8[this.orderByte(v, i)] !== ix) i++;
    for (; i + 1 < n; i++) u8[this.orderByte(v, i)] = u8[this.orderByte(v, i + 1)] as number;
    this.setCount(v, n - 1);
  }

  /** Empties the insertion order. */
  clearOrder(v: number): void {
    this.setCount(v, 0);
  }

  /** copy_values (3.13+): a new array alone with the same capacity, values and order; the references move to it. */
  copy(v: number): number {
    const n = this.capacity(v);
    const w = this.alloc(n);
    const u8 = this.core.memory.u8;
    u8.copyWithin(w + 8, v + 8, v + this.bytes(n));
    u8[w + 1] = u8[v + 1] as number;
    return w;
  }
}

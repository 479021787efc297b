/**
 * List-like objects: `ob_size`, `ob_item` and `allocated` after the header,
 * the items in a block of their own that grows and shrinks by CPython's
 * `list_resize` (over-allocation, the 3.9 change to it, 3.12's freeing of an
 * emptied array, 3.14's keeping of small ones), as `append`, `extend` and
 * `pop` drive it (3.12+: popping the last item frees the array).
 *
 * @module
 */

import { ObjectStore } from "./object-store.js";
import { listCapacity, listFreesAtZero, listPreallocated, OB_ALLOCATED, OB_ITEM, OB_SIZE } from "./object-type.js";

/** Objects, with list-likes' items blocks. */
export abstract class ListItems extends ObjectStore {
  /** list.append: grows the list by one slot and stores `value` there (a new reference). */
  append(list: number, value: number): void {
    const n = this.u32[(list + OB_SIZE) >>> 2] as number;
    // 3.11+ (_PyList_AppendTakeRef) resize only a full array; before, list_resize may reallocate one with room.
    if ((this.minor === 0 || this.minor >= 11) && this.readWord(list + OB_ALLOCATED) > n) {
      this.u32[(list + OB_SIZE) >>> 2] = n + 1;
    } else {
      this.resizeItems(list, n, n + 1);
    }
    this.incref(value);
    this.writeWord(this.readWord(list + OB_ITEM) + 8 * n, value);
  }

  /**
   * list.extend with a list or tuple: one resize for all of them (3.10+: an
   * array of exactly their number, rounded to even, for a list without one),
   * then a new reference to each, in order.
   */
  extend(list: number, values: ArrayLike<number>): void {
    const n = values.length;
    if (n === 0) return;
    const m = this.u32[(list + OB_SIZE) >>> 2] as number;
    const exact = this.readWord(list + OB_ITEM) === 0 ? listPreallocated(n, this.minor) : -1;
    if (exact >= 0) {
      this.writeWord(list + OB_ITEM, this.allocator.malloc(exact * 8));
      this.writeWord(list + OB_ALLOCATED, exact);
      this.u32[(list + OB_SIZE) >>> 2] = n;
    } else {
      this.resizeItems(list, m, m + n);
    }
    const items = this.readWord(list + OB_ITEM);
    for (let i = 0; i < n; i++) {
      const v = values[i] as number;
      this.incref(v);
      this.writeWord(items + 8 * (m + i), v);
    }
  }

  /** list.pop(): removes the last slot and returns what it held (the reference passes to the caller). */
  pop(list: number): number {
    const n = this.u32[(list + OB_SIZE) >>> 2] as number;
    const items = this.readWord(list + OB_ITEM);
    const value = this.readWord(items + 8 * (n - 1));
    if (n === 1 && listFreesAtZero(this.minor)) {
      // 3.12+: popping the last item clears the list, freeing its array.
      this.writeWord(list + OB_ITEM, 0);
      this.writeWord(list + OB_ALLOCATED, 0);
      this.u32[(list + OB_SIZE) >>> 2] = 0;
      this.allocator.free(items);
      return value;
    }
    // If the items block cannot be reallocated, the list keeps the value (CPython returns NULL then).
    this.resizeItems(list, n, n - 1);
    return value;
  }

  /** How many slots the items block holds (`allocated`). */
  capacity(list: number): number {
    return this.readWord(list + OB_ALLOCATED);
  }

  /** list_resize: keep the items block, or reallocate it to the new capacity. */
  private resizeItems(list: number, size: number, newSize: number): void {
    const allocated = this.readWord(list + OB_ALLOCATED);
    const capacity = listCapacity(size, allocated, newSize, this.minor);
    if (capacity >= 0) {
      const items = this.allocator.realloc(this.readWord(list + OB_ITEM), capacity * 8);
      this.writeWord(list + OB_ITEM, items);
      this.writeWord(list + OB_ALLOCATED, capacity);
    }
    this.u32[(list + OB_SIZE) >>> 2] = newSize;
  }
}

/**
 * List-like objects: `ob_size`, `ob_item` and `allocated` after the header,
 * the items in a block of their own that grows and shrinks by CPython's
 * `list_resize` (over-allocation, the 3.9 change to it), as `append` and
 * `pop` drive it.
 *
 * @module
 */

import { ObjectStore } from "./object-store.js";
import { listCapacity, OB_ALLOCATED, OB_ITEM, OB_SIZE } from "./object-type.js";

/** Objects, with list-likes' items blocks. */
export abstract class ListItems extends ObjectStore {
  /** list.append: grows the list by one slot and stores `value` there (a new reference). */
  append(list: number, value: number): void {
    const n = this.u32[(list + OB_SIZE) >>> 2] as number;
    this.resizeItems(list, n, n + 1);
    this.incref(value);
    this.writeWord(this.readWord(list + OB_ITEM) + 8 * n, value);
  }

  /** list.pop(): removes the last slot and returns what it held (the reference passes to the caller). */
  pop(list: number): number {
    const n = this.u32[(list + OB_SIZE) >>> 2] as number;
    const value = this.readWord(this.readWord(list + OB_ITEM) + 8 * (n - 1));
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
    const capacity = listCapacity(size, allocated, newSize, this.profile.python);
    if (capacity >= 0) {
      const items = this.allocator.realloc(this.readWord(list + OB_ITEM), capacity * 8);
      this.writeWord(list + OB_ITEM, items);
      this.writeWord(list + OB_ALLOCATED, capacity);
    }
    this.u32[(list + OB_SIZE) >>> 2] = newSize;
  }
}

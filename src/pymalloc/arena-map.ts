/**
 * The arena map of CPython 3.10+ (`arena_map_mark_used`,
 * `arena_map_is_used`): a radix tree over the address space whose leaves say,
 * per arena-sized slot, where an arena starting in that slot begins
 * (`tail_hi`) and where one from the slot before ends (`tail_lo`). It is how
 * `address_in_range` tells pymalloc's blocks from the raw allocator's. The
 * leaves are kept flat, one pair per slot; the interior nodes are only
 * counted, for the stats report, since CPython creates them and never frees
 * them.
 *
 * @module
 */

import { MAX_ADDRESS } from "../internal/arguments.js";
import { grown } from "../internal/typed-arrays.js";
import type { Profile } from "../profiles.js";

/** Radix-tree node counts (3.10+). */
export interface ArenaMapCounts {
  /** Mid nodes ever created. */
  midNodes: number;
  /** Bottom nodes ever created. */
  botNodes: number;
}

/** The radix tree's leaves and node counts. */
export class ArenaMap {
  private readonly arenaSize: number;
  // log2(arenaSize) and arenaSize - 1: a slot is address >>> arenaShift, its offset address & arenaMask.
  private readonly arenaShift: number;
  private readonly arenaMask: number;
  private readonly midBits: number;
  private readonly botBits: number;
  // Per arena-sized slot: tail_hi (-1: an arena-aligned arena fills it) and tail_lo.
  private mapHi = new Int32Array(0);
  private mapLo = new Int32Array(0);
  // Keys of the mid and bottom nodes ever created.
  private readonly arenaMapMid = new Set<number>();
  private readonly arenaMapBot = new Set<number>();

  constructor(profile: Profile) {
    this.arenaSize = profile.arenaSize;
    this.arenaShift = Math.log2(profile.arenaSize);
    this.arenaMask = profile.arenaSize - 1;
    const map = profile.arenaMap;
    this.midBits = map.kind === "radix-tree" ? map.midBits : 0;
    this.botBits = map.kind === "radix-tree" ? map.botBits : 0;
  }

  /** The fields snapshots copy, and the ones they leave (settings from the profile). */
  static readonly stateFields = ["mapHi", "mapLo", "arenaMapMid", "arenaMapBot"];
  static readonly fixedFields = ["arenaSize", "arenaShift", "arenaMask", "midBits", "botBits"];

  /** arena_map_is_used: whether `address` is inside an arena the map marks used. */
  contains(address: number): boolean {
    // Addresses below 2^32 shift and mask as uint32.
    if (!(address >= 0 && address <= MAX_ADDRESS)) return false;
    const slot = address >>> this.arenaShift;
    if (slot >= this.mapHi.length) return false;
    const tail = (address & this.arenaMask) >>> 0;
    const hi = this.mapHi[slot] as number;
    return tail < (this.mapLo[slot] as number) || (hi !== 0 && tail >= hi);
  }

  /**
   * arena_map_mark_used: records the arena at `base` as used or unused in the
   * leaves (its own slot's `tail_hi`, and the next slot's `tail_lo` when it is
   * not arena-aligned) and counts the nodes CPython creates on the way.
   */
  mark(base: number, used: boolean): void {
    const slot = Math.floor(base / this.arenaSize);
    const tail = base % this.arenaSize;
    if (slot + 2 > this.mapHi.length) {
      const n = Math.max(slot + 2, this.mapHi.length * 2, 16);
      this.mapHi = grown(this.mapHi, n);
      this.mapLo = grown(this.mapLo, n);
    }
    this.mapHi[slot] = used ? (tail === 0 ? -1 : tail) : 0;
    if (tail !== 0) this.mapLo[slot + 1] = used ? tail : 0;
    if (!used) return;
    this.touchNodes(base);
    if (tail !== 0) this.touchNodes(base + this.arenaSize);
  }

  /** Mid and bottom nodes created so far. */
  counts(): ArenaMapCounts {
    return { midNodes: this.arenaMapMid.size, botNodes: this.arenaMapBot.size };
  }

  private touchNodes(address: number): void {
    this.arenaMapMid.add(Math.floor(address / 2 ** (this.arenaShift + this.botBits + this.midBits)));
    this.arenaMapBot.add(Math.floor(address / 2 ** (this.arenaShift + this.botBits)));
  }
}

/**
 * The live blocks of a trace being replayed: trace ID to address and
 * requested size. Dense typed arrays for the IDs real traces use, maps for
 * the rare huge ones.
 *
 * @module
 */

import { grown } from "../typed-arrays.js";

// IDs below this are mapped through a dense typed array (at most 64 MiB for both columns);
// larger ones, rare in real traces, through Maps.
const DENSE_IDS = 1 << 22;

/** Live blocks of a replay: ID → address and requested size. */
export class LiveTable {
  address = new Float64Array(1024);
  size = new Float64Array(1024);
  private readonly sparseAddress = new Map<number, number>();
  private readonly sparseSize = new Map<number, number>();

  get(id: number): number {
    if (id < DENSE_IDS) return id < this.address.length ? (this.address[id] as number) : 0;
    return this.sparseAddress.get(id) ?? 0;
  }

  sizeOf(id: number): number {
    if (id < DENSE_IDS) return this.size[id] as number;
    return this.sparseSize.get(id) ?? 0;
  }

  set(id: number, address: number, size: number): void {
    if (id >= DENSE_IDS) {
      if (address === 0) {
        this.sparseAddress.delete(id);
        this.sparseSize.delete(id);
      } else {
        this.sparseAddress.set(id, address);
        this.sparseSize.set(id, size);
      }
      return;
    }
    if (id >= this.address.length) {
      let n = this.address.length * 2;
      while (n <= id) n *= 2;
      this.address = grown(this.address, n);
      this.size = grown(this.size, n);
    }
    this.address[id] = address;
    this.size[id] = size;
  }

  /** A copy that shares nothing with this table (for time travel). */
  clone(): LiveTable {
    const t = new LiveTable();
    t.address = this.address.slice();
    t.size = this.size.slice();
    for (const [k, v] of this.sparseAddress) t.sparseAddress.set(k, v);
    for (const [k, v] of this.sparseSize) t.sparseSize.set(k, v);
    return t;
  }
}

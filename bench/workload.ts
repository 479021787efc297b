/**
 * Deterministic allocation workloads shared by benchmarks: an op list made
 * once, replayed identically into every allocator compared.
 */

import { rng } from "../test/support/random.js";

/** One workload: parallel arrays, so replay loops touch no objects. */
export interface Workload {
  /** 0 = malloc into slot, 1 = free slot, 2 = realloc slot. */
  kind: Uint8Array;
  slot: Uint32Array;
  size: Uint32Array;
  slots: number;
}

/**
 * `ops` operations over `slots` live-block slots: sizes skewed small (most
 * under 256 bytes, a tail up to `maxSize`), about half mallocs.
 */
export function randomWorkload(ops: number, slots: number, maxSize: number, seed = 1): Workload {
  const rand = rng(seed);
  const kind = new Uint8Array(ops);
  const slot = new Uint32Array(ops);
  const size = new Uint32Array(ops);
  const live = new Uint8Array(slots);
  for (let i = 0; i < ops; i++) {
    const s = Math.floor(rand() * slots);
    slot[i] = s;
    size[i] = 1 + Math.floor(rand() ** 4 * (maxSize - 1));
    if (live[s] === 0) {
      kind[i] = 0;
      live[s] = 1;
    } else if (rand() < 0.25) {
      kind[i] = 2;
    } else {
      kind[i] = 1;
      live[s] = 0;
    }
  }
  return { kind, slot, size, slots };
}

/** The allocator interface a benchmark drives. */
export interface Mallocator {
  malloc(size: number): number;
  realloc(address: number, size: number): number;
  free(address: number): unknown;
}

/** Replays `w` into `a`, then frees what is left. Throws if the allocator fails a request. */
export function replay(w: Workload, a: Mallocator): void {
  const addr = new Float64Array(w.slots);
  const { kind, slot, size } = w;
  for (let i = 0; i < kind.length; i++) {
    const s = slot[i] as number;
    const k = kind[i];
    if (k === 0) {
      const p = a.malloc(size[i] as number);
      if (p === 0) throw new Error(`allocation of ${size[i]} bytes failed at op ${i}`);
      addr[s] = p;
    } else if (k === 1) {
      a.free(addr[s] as number);
      addr[s] = 0;
    } else {
      const p = a.realloc(addr[s] as number, size[i] as number);
      if (p === 0) throw new Error(`realloc to ${size[i]} bytes failed at op ${i}`);
      addr[s] = p;
    }
  }
  for (let s = 0; s < w.slots; s++) if (addr[s] !== 0) a.free(addr[s] as number);
}

/**
 * The live blocks of a trace being replayed: trace ID to address and
 * requested size. Dense typed arrays for the IDs real traces use, maps for
 * the rare huge ones.
 *
 * @module
 */

import { TraceError } from "../errors.js";
import { grown } from "../internal/typed-arrays.js";
import { type TraceBatch, TraceOp } from "./parse.js";
import type { TraceAllocator } from "./trace-allocator.js";

/** The TraceError for an op the allocator refused, the allocator's error as its cause. */
export function allocatorFailure(batch: TraceBatch, i: number, e: unknown): TraceError {
  const why = e instanceof Error ? e.message : String(e);
  const err = new TraceError(batch.line[i] as number, batch.text(i), `the allocator failed: ${why}`);
  (err as { cause?: unknown }).cause = e;
  return err;
}

// IDs below this are mapped through a dense typed array (at most 64 MiB for both columns);
// larger ones, rare in real traces, through Maps.
const DENSE_IDS = 1 << 22;

/** Live blocks of a replay: ID → address and requested size. */
export class LiveTable {
  address = new Float64Array(1024);
  size = new Float64Array(1024);
  /** Per dense ID, the {@link TraceBatch.type} of the op that made the block (0 untyped); sparse IDs keep none. */
  type = new Uint32Array(1024);
  private readonly sparseAddress = new Map<number, number>();
  private readonly sparseSize = new Map<number, number>();

  get(id: number): number {
    if (id < DENSE_IDS) return id < this.address.length ? (this.address[id] as number) : 0;
    return this.sparseAddress.get(id) ?? 0;
  }

  sizeOf(id: number): number {
    if (id < DENSE_IDS) return id < this.size.length ? (this.size[id] as number) : 0;
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
      const type = new Uint32Array(n);
      type.set(this.type);
      this.type = type;
    }
    this.address[id] = address;
    this.size[id] = size;
  }

  /**
   * Plays op `i` of `batch` (malloc, calloc, realloc or free; a checkpoint does
   * nothing) into `alloc` and records where its block is now.
   * @returns the block's address before the op (0 for malloc and calloc)
   * @throws TraceError, nothing played, when the op names a block in the wrong state; the allocator's own
   *   errors as they are
   */
  play(batch: TraceBatch, i: number, alloc: TraceAllocator): number {
    const code = batch.op[i] as number;
    const k = batch.id[i] as number;
    if (code === TraceOp.Stats) return 0;
    const old = this.get(k);
    if (code === TraceOp.Malloc || code === TraceOp.Calloc) {
      if (old !== 0) throw new TraceError(batch.line[i] as number, batch.text(i), `block ${k} is already live`);
      const a = batch.a[i] as number;
      const b = batch.b[i] as number;
      const p = code === TraceOp.Malloc ? alloc.malloc(a) : alloc.calloc(a, b);
      this.set(k, p, code === TraceOp.Malloc ? a : a * b);
      if (k < this.type.length) this.type[k] = batch.type[i] as number;
      return 0;
    }
    if (old === 0) throw new TraceError(batch.line[i] as number, batch.text(i), `block ${k} is not live`);
    if (code === TraceOp.Realloc) {
      const n = batch.a[i] as number;
      this.set(k, alloc.realloc(old, n), n);
    } else {
      alloc.free(old);
      this.set(k, 0, 0);
    }
    return old;
  }

  /** A copy that shares nothing with this table (for time travel). */
  clone(): LiveTable {
    const t = new LiveTable();
    t.address = this.address.slice();
    t.size = this.size.slice();
    t.type = this.type.slice();
    for (const [k, v] of this.sparseAddress) t.sparseAddress.set(k, v);
    for (const [k, v] of this.sparseSize) t.sparseSize.set(k, v);
    return t;
  }
}

/**
 * Recording the calls a program makes, as a trace: an allocator that hands
 * every call to another and writes it down in trace-format v1, so that calls
 * made in code (by hand, or by RefCounter and the gc above it) can be
 * replayed under other profiles, compared, or stepped through with a
 * {@link TracePlayer} like a trace recorded from CPython.
 *
 * @module
 */

import { AddressTable } from "../internal/address-table.js";
import { checkAddress } from "../internal/arguments.js";
import { grown } from "../internal/typed-arrays.js";
import { type AllocatorStats, checkObjectAllocator, type ObjectAllocator } from "../object-allocator.js";
import type { Profile } from "../profiles.js";
import type { MallocStats } from "../pymalloc/stats.js";
import type { RawAllocator } from "../raw/raw-allocator.js";
import { joinBatches, type Trace, TraceBatch, type TraceHeader, TraceOp } from "./parse.js";

/** Options of {@link TraceRecorder}. */
export interface TraceRecorderOptions {
  /** What ran, for the trace's `# workload:` line. */
  workload?: string;
}

/**
 * An {@link ObjectAllocator} that passes every call to `allocator` and
 * records it. Blocks are named by IDs as trace-format v1 names them (a freed
 * block's ID is named again by a later block); calls that fail are not
 * recorded, and `free(0)` is not a call.
 *
 * @example
 * ```ts
 * import { createHeap, RefCounter, TracePlayer, TraceRecorder } from "pymem";
 *
 * const recorder = new TraceRecorder(createHeap({ profile: "cpython-3.11" }).blocks);
 * const objects = new RefCounter({ allocator: recorder });
 * const Pair = objects.defineType({ name: "Pair", slots: 2 });
 * objects.decref(objects.new(Pair));
 * recorder.malloc(700);
 * console.log(recorder.text().trim().split("\n").slice(1).join(", ")); // m 0 32, f 0, m 0 700
 *
 * // Step through them on a heap of their own, under another profile.
 * const player = new TracePlayer(recorder.trace(), createHeap({ profile: "cpython-3.8" }));
 * console.log(player.step()?.text, player.step()?.op); // m 0 32 free
 * ```
 */
export class TraceRecorder implements ObjectAllocator {
  /** The allocator the calls go to. */
  readonly allocator: ObjectAllocator;
  private readonly workload: string;
  private ops = new TraceBatch(256);
  // Live block address → its ID, and the IDs free to name again (a stack: the newest freed is reused first).
  private readonly ids = new AddressTable();
  private freeIds = new Float64Array(64);
  private nFreeIds = 0;
  private nextId = 0;
  /** The allocator's, when it holds listener errors. */
  readonly holdListenerErrors?: () => void;
  /** The allocator's, when it holds listener errors. */
  readonly releaseListenerErrors?: (discard?: boolean) => void;
  /** The allocator's stats report, when it has one (pymalloc). */
  readonly debugMallocStats?: () => string;
  /** pymalloc's numbers, when the allocator is pymalloc. */
  readonly mallocStats?: () => MallocStats;

  constructor(allocator: ObjectAllocator, options: TraceRecorderOptions = {}) {
    checkObjectAllocator(allocator, "allocator");
    if (typeof options !== "object" || options === null) {
      throw new TypeError(`options must be an object, got ${String(options)}`);
    }
    if (options.workload !== undefined && (typeof options.workload !== "string" || /[\r\n]/.test(options.workload))) {
      throw new TypeError(`options.workload must be a one-line string, got ${JSON.stringify(options.workload)}`);
    }
    this.allocator = allocator;
    this.workload = options.workload ?? "calls recorded by TraceRecorder";
    // What the allocator has beyond the interface's core, the recorder has too: the layers above look for it.
    const a = allocator;
    if (a.holdListenerErrors && a.releaseListenerErrors) {
      this.holdListenerErrors = () => a.holdListenerErrors?.();
      this.releaseListenerErrors = (discard) => a.releaseListenerErrors?.(discard);
    }
    if (a.debugMallocStats) this.debugMallocStats = () => a.debugMallocStats?.() ?? "";
    if (a.mallocStats) this.mallocStats = () => a.mallocStats?.() as MallocStats;
  }

  get raw(): RawAllocator {
    return this.allocator.raw;
  }

  get profile(): Profile | undefined {
    return this.allocator.profile;
  }

  /** Ops recorded so far. */
  get length(): number {
    return this.ops.length;
  }

  /** The trace ID of the live block at `address`, or -1 when no recorded block is live there. */
  idOf(address: number): number {
    return this.ids.get(checkAddress(address));
  }

  malloc(size: number): number {
    const p = this.allocator.malloc(size);
    this.record(TraceOp.Malloc, this.name(p), size, 0);
    return p;
  }

  calloc(nelem: number, elsize: number): number {
    const p = this.allocator.calloc(nelem, elsize);
    this.record(TraceOp.Calloc, this.name(p), nelem, elsize);
    return p;
  }

  realloc(address: number, size: number): number {
    if (address === 0) return this.malloc(size);
    const id = this.ids.get(address);
    const p = this.allocator.realloc(address, size);
    if (id < 0) return p; // a block from before the recording: its calls are not in the trace
    if (p !== address) {
      this.ids.delete(address);
      this.ids.set(p, id);
    }
    this.record(TraceOp.Realloc, id, size, 0);
    return p;
  }

  free(address: number): void {
    if (address === 0) {
      this.allocator.free(address);
      return;
    }
    const id = this.ids.get(address);
    this.allocator.free(address);
    if (id < 0) return;
    this.ids.delete(address);
    if (this.nFreeIds === this.freeIds.length) this.freeIds = grown(this.freeIds, this.nFreeIds * 2);
    this.freeIds[this.nFreeIds++] = id;
    this.record(TraceOp.Free, id, 0, 0);
  }

  /** Records an `s` line: a point where a replay reports the allocator's statistics. */
  checkpoint(): void {
    this.record(TraceOp.Stats, 0, 0, 0);
  }

  owns(address: number): boolean {
    return this.allocator.owns(address);
  }

  usableSize(address: number): number {
    return this.allocator.usableSize(address);
  }

  validate(): void {
    this.allocator.validate();
  }

  stats(): AllocatorStats {
    return this.allocator.stats();
  }

  /** What was recorded so far, as a {@link Trace} of its own (later calls do not change it). */
  trace(): Trace {
    const ops = joinBatches([this.ops], this.ops.length);
    const header: TraceHeader = {
      fields: { workload: this.workload },
      comments: [`workload: ${this.workload}`],
      typeNames: [],
    };
    return { kind: "trace", header, ops };
  }

  /** What was recorded so far, as trace-format v1 text (what `parseTrace` reads back). */
  text(): string {
    const lines = [`# workload: ${this.workload}`];
    for (let i = 0; i < this.ops.length; i++) lines.push(this.ops.text(i));
    return `${lines.join("\n")}\n`;
  }

  /** An ID for the new block at `p`: the last one freed, else a new one. */
  private name(p: number): number {
    const id = this.nFreeIds > 0 ? (this.freeIds[--this.nFreeIds] as number) : this.nextId++;
    this.ids.set(p, id);
    return id;
  }

  private record(op: number, id: number, a: number, b: number): void {
    let o = this.ops;
    const i = o.length;
    if (i === o.capacity) {
      o = joinBatches([o], 2 * i);
      this.ops = o;
    }
    o.op[i] = op;
    o.id[i] = id;
    o.a[i] = a;
    o.b[i] = b;
    // Line 1 is the workload comment.
    o.line[i] = i + 2;
    o.length = i + 1;
  }
}

/**
 * A trace played op by op, forward and backward: what a visualizer or a
 * teaching walkthrough drives. Going back restores the nearest snapshot
 * (a keyframe, taken as play passes it) and plays forward from there, so a
 * step back costs at most one keyframe interval of ops.
 *
 * @module
 */

import { TraceError } from "../errors.js";
import { checkSize } from "../internal/arguments.js";
import { type HeapSnapshot, restore, type Stack, snapshot } from "../snapshot/snapshot.js";
import { allocatorFailure, LiveTable } from "./live-table.js";
import { type Trace, TraceOp } from "./parse.js";

/** Options of {@link TracePlayer}. */
export interface TracePlayerOptions {
  /** At most this many keyframes (snapshots) are kept over the whole trace (default 64, at least 1). */
  keyframes?: number;
}

/** The kind of a trace op, by name. */
export type TraceOpName = "malloc" | "calloc" | "realloc" | "free" | "checkpoint";

const NAMES: TraceOpName[] = ["malloc", "calloc", "realloc", "free", "checkpoint"];

/** One op of the trace, and what playing it did. */
export interface TraceStep {
  /** Its index in the trace (0-based): the player's position before it. */
  index: number;
  /** Its 1-based line in the trace text. */
  line: number;
  /** What the line does: its letter (`m`, `c`, `r`, `f`, `s`) by name, `s` being "checkpoint". */
  op: TraceOpName;
  /** The trace's block ID (0 for a checkpoint). */
  id: number;
  /** Bytes asked for (calloc: nelem × elsize; 0 for free and checkpoints). */
  size: number;
  /** The line, as the trace writes it. */
  text: string;
  /**
   * The block the op is about: where it is after `m`, `c` and `r`; for `f`,
   * the address it freed (0 for a checkpoint, and for an op not played yet).
   */
  address: number;
  /** The block's address before the op (realloc and free; else 0). */
  oldAddress: number;
}

interface Keyframe {
  heap: HeapSnapshot;
  live: LiveTable;
  /** The op played just before it, and what it did (-1: none). */
  lastIndex: number;
  lastAddress: number;
  lastOld: number;
}

/**
 * Plays a parsed trace into a stack's allocator (its BlockAllocator, or the
 * RawAllocator when there is none), one op at a time. While a player drives a
 * stack, change the stack only through it: what is done to the heap between
 * steps is not in the keyframes, so going back and forth would drop it in
 * some places and not others.
 *
 * @example
 * ```ts
 * import { createHeap, parseTrace, TracePlayer } from "pymem";
 *
 * const heap = createHeap({ profile: "cpython-3.11" });
 * const player = new TracePlayer(parseTrace("m 0 24\nm 1 24\nf 0\nm 2 24\n"), heap);
 * player.seek(4);
 * const reused = player.addressOf(2); // the block that block 0 gave back
 * player.back();
 * console.log(player.addressOf(2)); // 0
 * console.log(player.step()?.address === reused); // true
 * ```
 */
export class TracePlayer {
  private readonly trace: Trace;
  private readonly stack: Stack;
  private live = new LiveTable();
  private pos = 0;
  private readonly interval: number;
  private readonly keyframes: Array<Keyframe | undefined> = [];
  private moving = false;
  // What the op played last did, kept as numbers; described only when asked for.
  private lastIndex = -1;
  private lastAddress = 0;
  private lastOld = 0;

  constructor(trace: Trace, stack: Stack, options: TracePlayerOptions = {}) {
    if (typeof trace !== "object" || trace === null || trace.kind !== "trace") {
      throw new TypeError(
        (trace as { kind?: unknown } | null)?.kind === "stream"
          ? "a TracePlayer needs the whole trace, to go back and forth: `await loadTrace(stream)` (or readTrace(path) from pymem/node) gives it"
          : "trace must be a parsed Trace: parseTrace(text), await loadTrace(bytes or stream), or a TraceRecorder's trace()",
      );
    }
    const max = options.keyframes ?? 64;
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`keyframes must be a positive integer, got ${max}`);
    this.trace = trace;
    this.stack = stack;
    // Snapshot first: it checks the stack's layers before anything else happens.
    const start = snapshot(stack);
    this.interval = Math.max(256, Math.ceil(trace.ops.length / max));
    this.keyframes[0] = { heap: start, live: this.live.clone(), lastIndex: -1, lastAddress: 0, lastOld: 0 };
  }

  /** Ops in the trace. */
  get length(): number {
    return this.trace.ops.length;
  }

  /** Ops played so far: the index of the next op. */
  get position(): number {
    return this.pos;
  }

  /** The op played last, and what it did (undefined at the start). */
  get last(): TraceStep | undefined {
    return this.lastIndex < 0 ? undefined : this.describe(this.lastIndex, this.lastAddress, this.lastOld);
  }

  /** Whether every op has been played. */
  get atEnd(): boolean {
    return this.pos >= this.length;
  }

  /** True while {@link TracePlayer.seek} replays ops, so that listeners can skip what they draw per op. */
  get seeking(): boolean {
    return this.moving;
  }

  /** The current address of trace block `id` (0 when it is not live). */
  addressOf(id: number): number {
    return this.live.get(checkSize(id, "id", Number.MAX_SAFE_INTEGER));
  }

  /** Op `index` of the trace as written (its addresses 0), or undefined outside the trace. */
  opAt(index: number): TraceStep | undefined {
    if (!Number.isInteger(index) || index < 0 || index >= this.length) return undefined;
    return this.describe(index, 0, 0);
  }

  /**
   * Plays the next op; returns what it did, or undefined at the end.
   * @throws TraceError naming the line when the trace is inconsistent or the allocator fails; nothing is played
   */
  step(): TraceStep | undefined {
    if (this.atEnd) return undefined;
    this.play();
    return this.last;
  }

  /** Plays the op at the position. */
  private play(): void {
    const i = this.pos;
    const o = this.trace.ops;
    const code = o.op[i] as number;
    const k = o.id[i] as number;
    const blocks = this.stack.blocks ?? this.stack.raw;
    let old: number;
    try {
      old = this.live.play(o, i, blocks);
    } catch (e) {
      if (e instanceof TraceError) throw e;
      throw allocatorFailure(o, i, e);
    }
    const address = code === TraceOp.Free ? old : code === TraceOp.Stats ? 0 : this.live.get(k);
    this.pos++;
    this.lastIndex = i;
    this.lastAddress = address;
    this.lastOld = old;
    // A keyframe where a seek back can land; none at the very end, which no seek back needs.
    const kf = this.pos / this.interval;
    if (this.pos % this.interval === 0 && this.pos < this.length && this.keyframes[kf] === undefined) {
      this.keyframes[kf] = {
        heap: snapshot(this.stack),
        live: this.live.clone(),
        lastIndex: i,
        lastAddress: address,
        lastOld: old,
      };
    }
  }

  /**
   * Goes back one op: undoes the op played last and returns it as
   * {@link TracePlayer.step} described it (undefined at the start).
   */
  back(): TraceStep | undefined {
    if (this.pos === 0) return undefined;
    const undone = this.last;
    this.seek(this.pos - 1);
    return undone;
  }

  /**
   * Moves to `position` (0 to {@link TracePlayer.length}): forward by
   * playing, backward by restoring the nearest keyframe at or before it and
   * playing from there.
   * @throws RangeError for a position outside the trace
   */
  seek(position: number): void {
    if (!Number.isInteger(position) || position < 0 || position > this.length) {
      throw new RangeError(`position must be an integer from 0 to ${this.length}, got ${String(position)}`);
    }
    this.moving = true;
    try {
      if (position < this.pos) {
        let k = Math.floor(position / this.interval);
        while (this.keyframes[k] === undefined) k--;
        const kf = this.keyframes[k] as Keyframe;
        restore(this.stack, kf.heap);
        this.live = kf.live.clone();
        this.pos = k * this.interval;
        this.lastIndex = kf.lastIndex;
        this.lastAddress = kf.lastAddress;
        this.lastOld = kf.lastOld;
      }
      while (this.pos < position) this.play();
    } finally {
      this.moving = false;
    }
  }

  private describe(i: number, address: number, oldAddress: number): TraceStep {
    const o = this.trace.ops;
    const code = o.op[i] as number;
    const a = o.a[i] as number;
    return {
      index: i,
      line: o.line[i] as number,
      op: NAMES[code] as TraceOpName,
      id: code === TraceOp.Stats ? 0 : (o.id[i] as number),
      size: code === TraceOp.Calloc ? a * (o.b[i] as number) : code === TraceOp.Free || code === TraceOp.Stats ? 0 : a,
      text: o.text(i),
      address,
      oldAddress,
    };
  }
}

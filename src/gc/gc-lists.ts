/**
 * PyGC_Head in simulated memory, and the gc's doubly linked lists through it,
 * as CPython threads them: `_gc_next` holds the next PyGC_Head (bit 0:
 * NEXT_MASK_UNREACHABLE during a collection; 3.14.0's incremental collector:
 * the old space, with the unreachable mark in bit 1), `_gc_prev` the previous
 * one with FINALIZED (bit 0) and COLLECTING (bit 1) flags, and during a
 * collection the copied reference count (shifted left by 2) instead of the
 * pointer. The list heads themselves are PyGC_Head structs in one raw block:
 * the generations, the permanent one, and the work lists of a collection.
 *
 * Words are 64 bits; pointers and flags live in the low half (addresses are
 * below 2^32), and only a large gc_refs reaches the high half.
 *
 * @module
 */

import { readWord, writeWord } from "../internal/words.js";

/** FINALIZED: tp_finalize has run (bit 0 of _gc_prev). */
export const PREV_MASK_FINALIZED = 1;
/** COLLECTING: in the set being collected (bit 1 of _gc_prev). */
export const PREV_MASK_COLLECTING = 2;
/** The generations (3.14.0: young, old[0], old[1]). */
export const NUM_GENERATIONS = 3;
// List heads in the heads block: the three generations, the permanent one, then a collection's work lists.
/** The permanent generation (gc.freeze). */
export const PERMANENT = 3;
/** Objects found unreachable. */
export const UNREACHABLE = 4;
/** What is still unreachable once finalizers have run (3.9+). */
export const STILL_UNREACHABLE = 5;
/** Weak references whose callbacks are to be called. */
export const WRCB_TO_CALL = 6;
/** finalize_garbage's seen list. */
export const SEEN = 7;
/** Objects with legacy finalizers, and what they reach. */
export const FINALIZERS = 8;
/** 3.14.0: an increment being collected. */
export const INCREMENT = 9;
/** 3.14.0: an increment's survivors. */
export const SURVIVORS = 10;
/** 3.14.0: marking's reachable list. */
export const REACHABLE = 11;
/** List heads in all. */
export const HEADS = 12;

/** The gc's words and lists over the memory's 32-bit words. */
export class GcLists {
  /**
   * The raw block holding the list heads, 0 until the gc first needs one.
   * CPython's heads are interpreter state, outside the heap pymalloc's arenas
   * come from; taken late, they leave the raw heap as pymalloc alone has it
   * for as long as no container exists (a replay into createHeap's heap then
   * places every arena where `pymem replay` does).
   */
  protected heads = 0;

  constructor(
    protected readonly u32: Uint32Array,
    /** Where the heads block comes from. */
    private readonly takeBlock: (size: number) => number,
    /** NEXT_MASK_UNREACHABLE: bit 0 of _gc_next in 3.8–3.13, bit 1 in 3.14.0 (bit 0 is the old space). */
    protected readonly unreachableMask: number,
    /** The _gc_next flag bits _PyGCHead_SET_NEXT keeps: the old-space bit in 3.14.0, none before. */
    protected readonly keptNextBits: number,
  ) {}

  protected head(i: number): number {
    if (this.heads === 0) this.takeHeads();
    return this.heads + 16 * i;
  }

  /** Takes the heads block, every list empty. */
  private takeHeads(): void {
    const heads = this.takeBlock(16 * HEADS);
    for (let i = 0; i < HEADS; i++) this.listInit(heads + 16 * i);
    this.heads = heads;
  }

  protected word(at: number): number {
    return readWord(this.u32, at);
  }

  protected setWord(at: number, v: number): void {
    writeWord(this.u32, at, v);
  }

  protected nextRaw(g: number): number {
    return this.word(g);
  }

  protected setNextRaw(g: number, v: number): void {
    this.setWord(g, v);
  }

  protected next(g: number): number {
    // _gc_next holds a pointer and flag bits: the low half of its word.
    const v = this.u32[g >>> 2] as number;
    return v - (v & 3);
  }

  /** _PyGCHead_SET_NEXT: the pointer; 3.14 keeps the old-space bit. */
  protected setNext(g: number, p: number): void {
    // A pointer and flag bits: the word's low half; the high half is zero.
    const i = g >>> 2;
    const u32 = this.u32;
    u32[i] = this.keptNextBits === 0 ? p : p + ((u32[i] as number) & this.keptNextBits);
    u32[i + 1] = 0;
  }

  protected setPrevRaw(g: number, v: number): void {
    this.setWord(g + 8, v);
  }

  /** The low half of _gc_prev, where its flag bits are (the high half only ever holds large gc_refs). */
  protected prevLow(g: number): number {
    return this.u32[(g + 8) >>> 2] as number;
  }

  /** Sets flag bits of _gc_prev, leaving the rest of the word as it is. */
  protected setPrevFlag(g: number, mask: number): void {
    const i = (g + 8) >>> 2;
    this.u32[i] = ((this.u32[i] as number) | mask) >>> 0;
  }

  /** Clears flag bits of _gc_prev, leaving the rest of the word as it is. */
  protected clearPrevFlag(g: number, mask: number): void {
    const i = (g + 8) >>> 2;
    this.u32[i] = ((this.u32[i] as number) & ~mask) >>> 0;
  }

  protected prev(g: number): number {
    const i = (g + 8) >>> 2;
    const v = this.u32[i] as number;
    // A pointer fits the low half; only gc_refs may not (and have no pointer to give).
    if (this.u32[i + 1] !== 0) return Math.floor(this.word(g + 8) / 4) * 4;
    return v - (v & 3);
  }

  /** _PyGCHead_SET_PREV: the pointer, keeping the flag bits. */
  protected setPrevPointer(g: number, p: number): void {
    const i = (g + 8) >>> 2;
    const u32 = this.u32;
    u32[i] = p + ((u32[i] as number) & 3);
    u32[i + 1] = 0;
  }

  protected refs(g: number): number {
    const i = (g + 8) >>> 2;
    const hi = this.u32[i + 1] as number;
    return hi === 0 ? (this.u32[i] as number) >>> 2 : Math.floor(this.word(g + 8) / 4);
  }

  protected setRefs(g: number, refs: number): void {
    const i = (g + 8) >>> 2;
    const v = ((this.u32[i] as number) & 3) + refs * 4;
    if (v >= 0 && v <= 0xffff_ffff) {
      this.u32[i] = v;
      this.u32[i + 1] = 0;
    } else {
      this.setWord(g + 8, v);
    }
  }

  protected isCollecting(g: number): boolean {
    return ((this.u32[(g + 8) >>> 2] as number) & PREV_MASK_COLLECTING) !== 0;
  }

  protected listInit(h: number): void {
    const i = h >>> 2;
    this.u32[i] = h;
    this.u32[i + 1] = 0;
    this.u32[i + 2] = h;
    this.u32[i + 3] = 0;
  }

  /** gc_list_append: at the tail, keeping the node's flag bits. */
  protected listAppend(g: number, list: number): void {
    const last = this.prev(list);
    this.setNext(last, g);
    this.setPrevPointer(g, last);
    this.setNext(g, list);
    const i = (list + 8) >>> 2;
    this.u32[i] = g;
    this.u32[i + 1] = 0;
  }

  protected unlink(g: number): void {
    const prev = this.prev(g);
    const next = this.next(g);
    this.setNext(prev, next);
    this.setPrevPointer(next, prev);
  }

  /** _PyObject_GC_UNTRACK: out of its list, `_gc_next` cleared, only the FINALIZED bit kept. */
  untrack(g: number): void {
    this.unlink(g);
    this.setNextRaw(g, 0);
    this.setPrevRaw(g, this.prevLow(g) & PREV_MASK_FINALIZED);
  }

  protected listMove(g: number, list: number): void {
    this.unlink(g);
    this.listAppend(g, list);
  }

  /** gc_list_merge: `from` spliced onto the tail of `to`; `from` left empty. */
  protected listMerge(from: number, to: number): void {
    if (this.next(from) === from) return;
    const toTail = this.prev(to);
    const fromHead = this.next(from);
    const fromTail = this.prev(from);
    this.setNext(toTail, fromHead);
    this.setPrevPointer(fromHead, toTail);
    this.setNext(fromTail, to);
    this.setWord(to + 8, fromTail);
    this.listInit(from);
  }

  protected listSize(list: number): number {
    let n = 0;
    for (let g = this.next(list); g !== list; g = this.next(g)) n++;
    return n;
  }
}

/**
 * Time travel: a whole stack's state (simulated memory, raw allocator,
 * pymalloc, objects, gc) captured in one value, put back later into the same
 * stack (step backward) or into a new one (fork and try two futures), and
 * saved as bytes to share or reload. Cheap because every layer keeps its
 * state in typed arrays: a snapshot is a few copies of them.
 *
 * @module
 */

import { CycleCollector } from "../gc/cycle-collector.js";
import { type LayerKind, type LayerRecord, layerOf } from "../internal/layer-state.js";
import { RefCounter } from "../objects/ref-counter.js";
import { type Profile, profiles } from "../profiles.js";
import type { ArenaAllocator } from "../pymalloc/arena-allocator.js";
import { BlockAllocator } from "../pymalloc/block-allocator.js";
import { resizeHeap } from "../raw/memory.js";
import { RawAllocator } from "../raw/raw-allocator.js";
import { VERSION } from "../version.js";
import {
  captureLayer,
  checkLayer,
  type Decoder,
  decodeValue,
  type Encoder,
  encodeValue,
  type FunctionLabel,
  MissingFunctionError,
  rebindFunctions,
  restoreLayer,
} from "./state.js";

/** The layers of one heap, each built on the one before: a raw allocator and any of the others. */
export interface Stack {
  /** The raw allocator that owns the simulated memory (the "system" malloc and mmap). */
  raw: RawAllocator;
  /** pymalloc, built on `raw`. */
  blocks?: BlockAllocator;
  /** The objects, built on `blocks` if present, else on `raw`. */
  objects?: RefCounter;
  /** The cycle collector of `objects`. */
  gc?: CycleCollector;
}

/** What a snapshot needs to build a stack like the one it was taken from. */
interface StackConfig {
  maxBytes: number;
  rawChecked: boolean;
  /** The raw allocator reserved its buffer whole (it makes no difference to behaviour, only to speed). */
  reserve?: boolean;
  /** `arenaAllocator`: the BlockAllocator took its arenas from the user's arena allocator, not the raw one. */
  blocks?: { profile: Profile; checked: boolean; arenaAllocator?: boolean };
  objects?: { profile: Profile };
  gc?: { profile: Profile };
}

/** The name of a layer of a {@link Stack}. */
export type Layer = "raw" | "blocks" | "objects" | "gc";
const LAYERS: Layer[] = ["raw", "blocks", "objects", "gc"];

/**
 * The functions of a snapshot's objects: what {@link HeapSnapshot.deserialize}
 * needs (bytes cannot carry functions), and what {@link instantiate} may put
 * in place of the original's, so that a fork's finalizers act on the fork.
 */
export interface DeserializeOptions {
  /** Finalizers of the snapshot's object types, by type name. */
  finalizers?: Record<string, (address: number) => void>;
  /** The callback of each weak reference that had one, by the weakref's address. */
  weakrefCallback?: (weakref: number) => ((weakref: number) => void) | undefined;
  /**
   * For {@link instantiate}: where the new stack's BlockAllocator takes its
   * arenas, when the snapshot's took them from an arena allocator of its own
   * (whose state a snapshot cannot hold).
   */
  arenaAllocator?: ArenaAllocator;
}

/** An arena allocator with nothing to give: pymalloc then serves every request from the raw allocator. */
const NO_ARENAS: ArenaAllocator = { alloc: () => 0, free: () => {} };

const MAGIC = "PYMEMSNP";
// 2: each layer holds the fields it declares as state (1 held every field but its wiring).
const FORMAT = 2;

// Snapshots are made and read by this module's functions only: their contents are not part of the public face.
let makeSnapshot: (
  config: StackConfig,
  layers: Partial<Record<Layer, Record<string, unknown>>>,
  memory: Uint8Array,
) => HeapSnapshot;
let contentsOf: (snap: HeapSnapshot) => {
  config: StackConfig;
  layers: Partial<Record<Layer, Record<string, unknown>>>;
  memory: Uint8Array;
};

/**
 * A stack's state at one moment. Take one with {@link snapshot}; put it back
 * with {@link restore}, build a new stack from it with {@link instantiate},
 * save it with {@link HeapSnapshot.serialize}.
 */
export class HeapSnapshot {
  static {
    makeSnapshot = (config, layers, memory) => new HeapSnapshot(config, layers, memory);
    contentsOf = (snap) => ({ config: snap.config, layers: snap.layers, memory: snap.memory });
  }

  private constructor(
    private readonly config: StackConfig,
    private readonly layers: Partial<Record<Layer, Record<string, unknown>>>,
    /** The simulated memory's bytes. */
    private readonly memory: Uint8Array,
  ) {}

  /** Bytes of simulated memory the snapshot holds (the buffer's size when it was taken). */
  get memoryBytes(): number {
    return this.memory.byteLength;
  }

  /** The profile of the stack it was taken from (undefined for a raw allocator alone). */
  get profile(): Profile | undefined {
    return this.config.blocks?.profile ?? this.config.objects?.profile;
  }

  /** The layers it holds, bottom first. */
  get stackLayers(): Layer[] {
    return LAYERS.filter((l) => this.layers[l] !== undefined);
  }

  /**
   * The snapshot as bytes: a header, the state as JSON, then the typed
   * arrays and the memory as binary. Functions (finalizers, weakref
   * callbacks) are named, not stored: {@link HeapSnapshot.deserialize} asks
   * for them.
   */
  serialize(): Uint8Array {
    const blobs: Uint8Array[] = [];
    const enc: Encoder = {
      add: (bytes) => blobs.push(bytes) - 1,
      frozen: new Map(),
    };
    // Shared records are written where first met and referred to after: decode in this same order.
    const config = encodeValue(this.config, enc, "config");
    const layers: Record<string, unknown> = {};
    for (const l of this.stackLayers) layers[l] = encodeValue(this.layers[l], enc, l);
    const head = {
      format: FORMAT,
      pymem: VERSION,
      config,
      layers,
      memory: enc.add(this.memory),
      blobs: [] as Array<[number, number]>,
    };
    let offset = 0;
    for (const b of blobs) {
      head.blobs.push([offset, b.byteLength]);
      offset += align8(b.byteLength);
    }
    const json = new TextEncoder().encode(JSON.stringify(head));
    const start = align8(16 + json.byteLength);
    const out = new Uint8Array(start + offset);
    for (let i = 0; i < MAGIC.length; i++) out[i] = MAGIC.charCodeAt(i);
    const view = new DataView(out.buffer);
    view.setUint32(8, FORMAT, true);
    view.setUint32(12, json.byteLength, true);
    out.set(json, 16);
    blobs.forEach((b, i) => {
      out.set(b, start + (head.blobs[i] as [number, number])[0]);
    });
    return out;
  }

  /**
   * A snapshot from {@link HeapSnapshot.serialize}'s bytes.
   * @throws RangeError when the bytes are not a pymem snapshot (or a newer format), naming what is wrong
   * @throws TypeError when the snapshot had finalizers or weakref callbacks that `options` does not supply
   */
  static deserialize(bytes: Uint8Array, options: DeserializeOptions = {}): HeapSnapshot {
    if (!(bytes instanceof Uint8Array)) throw new TypeError(`bytes must be a Uint8Array, got ${describe(bytes)}`);
    if (typeof options !== "object" || options === null) {
      throw new TypeError(`options must be an object, got ${describe(options)}`);
    }
    if (bytes.byteLength < 16 || String.fromCharCode(...bytes.subarray(0, 8)) !== MAGIC) {
      throw new RangeError(`not a pymem snapshot: the bytes do not start with "${MAGIC}"`);
    }
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const format = view.getUint32(8, true);
    if (format !== FORMAT)
      throw new RangeError(`snapshot format ${format} is not supported (this pymem reads ${FORMAT})`);
    const jsonBytes = view.getUint32(12, true);
    if (16 + jsonBytes > bytes.byteLength) {
      throw new RangeError(
        `truncated snapshot: its header says ${jsonBytes} bytes of state, ${bytes.byteLength - 16} follow`,
      );
    }
    let head: unknown;
    try {
      head = JSON.parse(new TextDecoder().decode(bytes.subarray(16, 16 + jsonBytes)));
    } catch (e) {
      throw new RangeError(`corrupt snapshot: its state is not JSON (${(e as Error).message})`);
    }
    const start = align8(16 + jsonBytes);
    const h = checkHead(head, bytes.byteLength - start);
    // Each blob is read once: a small input cannot ask for the same megabytes again and again.
    const used = new Set<number>();
    const dec: Decoder = {
      blob: (i) => {
        const entry = Number.isInteger(i) ? h.blobs[i] : undefined;
        if (entry === undefined) throw new RangeError(`corrupt snapshot: blob ${String(i)} is missing`);
        if (used.has(i)) throw new RangeError(`corrupt snapshot: blob ${i} is used twice`);
        used.add(i);
        const [offset, length] = entry;
        return bytes.slice(start + offset, start + offset + length);
      },
      frozen: new Map(),
      bind: (label: FunctionLabel) =>
        label.kind === "finalize"
          ? ownFunction(options.finalizers, label.type)
          : options.weakrefCallback?.(label.weakref),
      intern: builtInProfile,
    };
    let snap: HeapSnapshot;
    try {
      const config = decodeValue(h.config, dec, "config") as StackConfig;
      const layers: Partial<Record<Layer, Record<string, unknown>>> = {};
      for (const l of LAYERS) {
        const v = h.layers[l];
        if (v !== undefined) layers[l] = decodeValue(v, dec, l) as Record<string, unknown>;
      }
      if (layers.raw === undefined) throw new RangeError("corrupt snapshot: it has no raw allocator");
      snap = new HeapSnapshot(config, layers, dec.blob(h.memory));
      // A stack built from it must hold together: what validate() checks is what a corrupt snapshot breaks.
      // The probe allocates nothing, so an arena allocator that has no arenas to give will do for it.
      const probe = instantiate(snap, config.blocks?.arenaAllocator ? { arenaAllocator: NO_ARENAS } : undefined);
      probe.raw.validate();
      probe.blocks?.validate();
    } catch (e) {
      if (e instanceof MissingFunctionError) throw e;
      if (e instanceof RangeError && e.message.startsWith("corrupt snapshot")) throw e;
      throw new RangeError(`corrupt snapshot: ${(e as Error).message}`);
    }
    return snap;
  }
}

/** The header's shape, checked: blobs within the bytes and no longer, in all, than the bytes. */
function checkHead(
  head: unknown,
  room: number,
): { config: unknown; layers: Record<string, unknown>; memory: number; blobs: Array<[number, number]> } {
  const h = head as { config?: unknown; layers?: unknown; memory?: unknown; blobs?: unknown };
  if (typeof h !== "object" || h === null || typeof h.layers !== "object" || h.layers === null) {
    throw new RangeError("corrupt snapshot: its state has no layers");
  }
  if (typeof h.config !== "object" || h.config === null) throw new RangeError("corrupt snapshot: no configuration");
  if (!Number.isInteger(h.memory)) throw new RangeError("corrupt snapshot: no memory blob");
  if (!Array.isArray(h.blobs)) throw new RangeError("corrupt snapshot: no blob table");
  let total = 0;
  for (const [i, e] of h.blobs.entries()) {
    const ok =
      Array.isArray(e) &&
      e.length === 2 &&
      Number.isSafeInteger(e[0]) &&
      Number.isSafeInteger(e[1]) &&
      e[0] >= 0 &&
      e[1] >= 0 &&
      e[0] + e[1] <= room;
    if (!ok) throw new RangeError(`corrupt snapshot: blob ${i} is not inside the bytes`);
    total += e[1] as number;
  }
  if (total > room) throw new RangeError("corrupt snapshot: its blobs add up to more than the bytes");
  return h as { config: unknown; layers: Record<string, unknown>; memory: number; blobs: Array<[number, number]> };
}

/** A record's own function under `key`: a type named "constructor" must not find Object's. */
function ownFunction(
  record: Record<string, (address: number) => void> | undefined,
  key: string,
): ((address: number) => void) | undefined {
  return record !== undefined && Object.hasOwn(record, key) ? record[key] : undefined;
}

function align8(n: number): number {
  return Math.ceil(n / 8) * 8;
}

function describe(v: unknown): string {
  return v === null ? "null" : typeof v === "object" ? (v.constructor?.name ?? "object") : typeof v;
}

/** Built-in profiles come back as the library's own objects, so `blocks.profile === profiles[name]` holds after a reload. */
function builtInProfile(record: object): object {
  const name = (record as { name?: unknown }).name;
  if (typeof name !== "string" || !Object.hasOwn(profiles, name)) return record;
  const builtIn = (profiles as Record<string, Profile>)[name] as Profile;
  return JSON.stringify(builtIn) === JSON.stringify(record) ? builtIn : record;
}

/** The declaration of a stack's layer of kind `kind`, built on `below`; throws `message` when it is not one. */
function declared(layer: unknown, kind: LayerKind, below: unknown, message: string): LayerRecord {
  const r = layerOf(layer);
  if (r === undefined || r.kind !== kind || r.below !== below) throw new TypeError(message);
  return r;
}

/** The stack's layers after checking they are wired to each other. */
function layersOf(stack: Stack): Partial<Record<Layer, LayerRecord>> {
  if (typeof stack !== "object" || stack === null)
    throw new TypeError(`stack must be an object, got ${describe(stack)}`);
  const { raw, blocks, objects, gc } = stack;
  const out: Partial<Record<Layer, LayerRecord>> = {};
  out.raw = declared(raw, "raw", undefined, `stack.raw must be a RawAllocator, got ${describe(raw)}`);
  if (blocks !== undefined) {
    out.blocks = declared(blocks, "blocks", raw, "stack.blocks must be a BlockAllocator built on stack.raw");
  }
  if (objects !== undefined) {
    out.objects = declared(
      objects,
      "objects",
      blocks ?? raw,
      `stack.objects must be a RefCounter built on stack.${blocks ? "blocks" : "raw"}`,
    );
  }
  if (gc !== undefined) {
    out.gc = declared(gc, "gc", objects, "stack.gc must be a CycleCollector built on stack.objects");
  }
  // Memory is captured whole: a layer built on it but left out of the stack would fall out of step with it.
  const onRaw = (blocks ? 1 : 0) + (objects?.allocator === raw ? 1 : 0);
  const onBlocks = blocks !== undefined && objects?.allocator === blocks ? 1 : 0;
  if (out.raw.above !== onRaw || (out.blocks !== undefined && out.blocks.above !== onBlocks)) {
    throw new TypeError(
      "the stack leaves out a layer built on its allocators (a RefCounter or BlockAllocator): pass every layer",
    );
  }
  if (out.objects !== undefined && gc === undefined && out.objects.above !== 0) {
    throw new TypeError("the stack leaves out the CycleCollector built on stack.objects: pass it as stack.gc");
  }
  if (out.objects !== undefined && out.objects.above > 1) {
    throw new TypeError("snapshots do not take the built-ins yet: stack.objects has a Builtins over it");
  }
  return out;
}

function configOf(stack: Stack): StackConfig {
  return {
    maxBytes: stack.raw.maxBytes,
    rawChecked: stack.raw.checked,
    ...(stack.raw.reserved ? { reserve: true } : {}),
    ...(stack.blocks
      ? {
          blocks: {
            profile: stack.blocks.profile,
            checked: stack.blocks.checked,
            ...(stack.blocks.arenaAllocator ? { arenaAllocator: true } : {}),
          },
        }
      : {}),
    ...(stack.objects ? { objects: { profile: stack.objects.profile } } : {}),
    ...(stack.gc ? { gc: { profile: stack.gc.profile } } : {}),
  };
}

/** Whether a layer of the stack is mid-operation: inside a collection, or a deallocation. */
function busy(layers: Partial<Record<Layer, LayerRecord>>): boolean {
  return LAYERS.some((l) => layers[l]?.busy?.() === true);
}

/**
 * The stack's state now. Take it between calls (or from an event listener:
 * listeners run when the state is consistent), not from inside a finalizer
 * or weakref callback while a collection or deallocation is under way.
 *
 * @example
 * ```ts
 * import { createHeap, restore, snapshot } from "pymem";
 *
 * const heap = createHeap({ profile: "cpython-3.11" });
 * const a = heap.blocks.malloc(24);
 * const before = snapshot(heap);
 * heap.blocks.free(a);
 * restore(heap, before); // a is live again
 * console.log(heap.blocks.malloc(24) !== a); // true
 * ```
 * @throws TypeError when the layers are not built on each other
 * @throws RangeError during a collection or a deallocation
 */
export function snapshot(stack: Stack): HeapSnapshot {
  const layers = layersOf(stack);
  if (busy(layers)) throw new RangeError("cannot take a snapshot while a collection or a deallocation is under way");
  const memory = stack.raw.memory;
  const out: Partial<Record<Layer, Record<string, unknown>>> = {};
  for (const l of LAYERS) {
    const layer = layers[l];
    if (layer !== undefined) out[l] = captureLayer(layer);
  }
  return makeSnapshot(configOf(stack), out, memory.u8.slice(0, memory.byteLength));
}

/**
 * Puts `stack` back in the snapshot's state: the same stack it was taken from
 * (time goes back) or another built alike (same layers, profiles, checked
 * flags and maxBytes), which then behaves exactly as the original would from
 * that point. Listeners stay subscribed; nothing is emitted.
 * @throws TypeError or RangeError, changing nothing, when the stack is not built like the snapshot's
 */
export function restore(stack: Stack, snap: HeapSnapshot): void {
  if (!(snap instanceof HeapSnapshot)) throw new TypeError(`snapshot must be a HeapSnapshot, got ${describe(snap)}`);
  const layers = layersOf(stack);
  const have = LAYERS.filter((l) => layers[l] !== undefined);
  const want = snap.stackLayers;
  if (have.join() !== want.join()) {
    throw new TypeError(`the snapshot has layers ${want.join(", ")}; the stack has ${have.join(", ")}`);
  }
  const now = configOf(stack);
  const { config: c, layers: saved, memory: bytes } = contentsOf(snap);
  if (now.maxBytes !== c.maxBytes) {
    throw new RangeError(`the snapshot's raw allocator has maxBytes ${c.maxBytes}; this one has ${now.maxBytes}`);
  }
  if (now.rawChecked !== c.rawChecked || now.blocks?.checked !== c.blocks?.checked) {
    throw new RangeError("the snapshot's layers and the stack's differ in checked mode");
  }
  if ((now.blocks?.arenaAllocator ?? false) !== (c.blocks?.arenaAllocator ?? false)) {
    const from = (custom: boolean | undefined) => (custom ? "an arena allocator of its own" : "the raw allocator");
    throw new RangeError(
      `the snapshot's BlockAllocator took its arenas from ${from(c.blocks?.arenaAllocator)}; the stack's from ${from(now.blocks?.arenaAllocator)}`,
    );
  }
  for (const l of ["blocks", "objects", "gc"] as const) {
    const a = now[l]?.profile;
    const b = c[l]?.profile;
    if (a !== undefined && b !== undefined && a !== b && JSON.stringify(a) !== JSON.stringify(b)) {
      throw new RangeError(`the snapshot's ${l} follow profile ${b.name}; the stack's follow ${a.name}`);
    }
  }
  if (busy(layers)) {
    throw new RangeError("cannot restore a snapshot while a collection or a deallocation is under way");
  }
  const memory = stack.raw.memory;
  for (const l of want) checkLayer(layers[l] as LayerRecord, saved[l] as Record<string, unknown>, l);
  if (bytes.byteLength > memory.maxByteLength) {
    throw new RangeError(`the snapshot's memory (${bytes.byteLength} bytes) exceeds maxBytes ${memory.maxByteLength}`);
  }
  resizeHeap(memory, bytes.byteLength);
  memory.u8.set(bytes);
  for (const l of want) restoreLayer(layers[l] as LayerRecord, saved[l] as Record<string, unknown>);
}

/**
 * A new stack in the snapshot's state, with the snapshot's layers: fork a
 * heap (`instantiate(snapshot(heap))`) or reload a saved one. The new stack
 * shares the snapshot's object types, finalizers and weakref callbacks
 * unless `functions` supplies others (by type name and weakref address);
 * types given a new finalizer are new type objects: find them with
 * `stack.objects.types()`.
 *
 * @example
 * ```ts
 * import { createHeap, HeapSnapshot, instantiate, snapshot } from "pymem";
 *
 * const heap = createHeap({ profile: "cpython-3.9" });
 * heap.blocks.malloc(100);
 * const bytes = snapshot(heap).serialize();
 * const copy = instantiate(HeapSnapshot.deserialize(bytes));
 * console.log(copy.blocks?.malloc(100) === heap.blocks.malloc(100)); // true
 * ```
 */
export function instantiate(snap: HeapSnapshot, functions?: DeserializeOptions): Stack {
  if (!(snap instanceof HeapSnapshot)) throw new TypeError(`snapshot must be a HeapSnapshot, got ${describe(snap)}`);
  const { config: c, layers: saved, memory: bytes } = contentsOf(snap);
  const raw = new RawAllocator({
    maxBytes: c.maxBytes,
    initialBytes: bytes.byteLength,
    checked: c.rawChecked,
    reserve: c.reserve === true,
  });
  const stack: Stack = { raw };
  if (c.blocks) {
    const arenaAllocator = functions?.arenaAllocator;
    if (c.blocks.arenaAllocator && arenaAllocator === undefined) {
      throw new TypeError(
        "the snapshot's BlockAllocator took its arenas from an arena allocator of its own: pass one as options.arenaAllocator",
      );
    }
    stack.blocks = new BlockAllocator({
      raw,
      profile: c.blocks.profile,
      checked: c.blocks.checked,
      ...(c.blocks.arenaAllocator ? { arenaAllocator } : {}),
    });
  }
  if (c.objects) stack.objects = new RefCounter({ allocator: stack.blocks ?? raw, profile: c.objects.profile });
  if (c.gc && stack.objects) stack.gc = new CycleCollector({ objects: stack.objects, profile: c.gc.profile });
  if (functions === undefined) {
    restore(stack, snap);
  } else {
    const bind = (label: FunctionLabel) =>
      label.kind === "finalize"
        ? ownFunction(functions.finalizers, label.type)
        : functions.weakrefCallback?.(label.weakref);
    const layers = rebindFunctions(saved, bind) as typeof saved;
    restore(stack, makeSnapshot(c, layers, bytes));
  }
  return stack;
}

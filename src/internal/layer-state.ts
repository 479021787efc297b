/**
 * What each layer declares about itself, for snapshots: which layer of a
 * stack it is, the layer it is built on, and the objects that hold its state,
 * each with its own fields sorted into state (captured and put back) and
 * fixed (settings, views of the memory, links, event wiring). A snapshot
 * copies exactly the declared state; a test checks that every own field of
 * every part is sorted one way or the other, so state moved into a new field
 * or a new helper object cannot fall out of snapshots unnoticed.
 *
 * The declarations live in a registry beside the layers rather than on them,
 * so the package's public types carry none of it.
 *
 * @module
 */

/** Which layer of a stack a layer is; "debug" layers wrap another and hold no heap state of their own. */
export type LayerKind = "raw" | "blocks" | "objects" | "gc" | "builtins" | "debug";

/** One object that holds part of a layer's state. */
export interface StatePart {
  /** The object. */
  readonly owner: object;
  /** Its own fields that are the heap's state: a snapshot copies them, restore puts them back. */
  readonly state: readonly string[];
  /**
   * Its own fields that are not: settings fixed at construction, views of
   * memory, links to other parts or layers, what an operation in progress
   * keeps (settled between calls), caches.
   */
  readonly fixed: readonly string[];
}

/** A layer's declaration. */
export interface LayerRecord {
  /** Which layer it is. */
  readonly kind: LayerKind;
  /** The layer it is built on (undefined for a raw allocator). */
  readonly below: object | undefined;
  /** The objects holding its state; field names are unique across them (a snapshot keeps them in one record). */
  readonly parts: readonly StatePart[];
  /** Layers built on this one that a snapshot of a stack holding it must take along. */
  above: number;
  /** True while the layer is mid-operation (a collection or a deallocation), when no snapshot may be taken. */
  readonly busy?: () => boolean;
}

/** Field names written as one string, separated by white space (declarations read better that way). */
export function fields(names: string): string[] {
  return names.split(/\s+/).filter((n) => n !== "");
}

/** The fields every event emitter has: who listens, and errors held mid-operation. Never heap state. */
export const EMITTER_FIELDS: readonly string[] = ["listeners", "subscribed", "holding", "held", "heldError"];

const records = new WeakMap<object, LayerRecord>();

/**
 * Declares `layer`. A layer built on another is counted there, so that a
 * snapshot of the lower one alone can refuse; a debug layer passes the count
 * on to the layer it wraps, since it keeps no heap state itself.
 */
export function declareLayer(layer: object, record: Omit<LayerRecord, "above">): void {
  const names = new Set<string>();
  for (const part of record.parts) {
    for (const name of part.state) {
      if (names.has(name)) throw new Error(`internal: state field ${name} is declared twice`);
      names.add(name);
    }
  }
  records.set(layer, { ...record, above: 0 });
  if (record.kind === "debug") return;
  let below = record.below;
  // Built on an allocator that is not one of ours (a user's own): its memory is its raw allocator's, so the
  // layer is counted there, and a snapshot of that raw allocator's stack refuses to leave it out.
  if (below !== undefined && !records.has(below)) below = (below as { raw?: object }).raw;
  for (; below !== undefined; ) {
    const r = records.get(below);
    if (r === undefined) break;
    r.above++;
    below = r.kind === "debug" ? r.below : undefined;
  }
}

/** The declaration of `layer`, or undefined when it is not a layer of this package. */
export function layerOf(layer: unknown): LayerRecord | undefined {
  return typeof layer === "object" && layer !== null ? records.get(layer) : undefined;
}

/** Own fields of `part.owner` that the part declares neither as state nor as fixed. */
export function undeclaredFields(part: StatePart): string[] {
  const known = new Set([...part.state, ...part.fixed, ...EMITTER_FIELDS]);
  return Object.keys(part.owner).filter((k) => !known.has(k));
}

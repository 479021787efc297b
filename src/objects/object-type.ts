/**
 * Object types: what an object of a type looks like in simulated memory, as
 * 64-bit CPython lays it out.
 *
 * ```
 *  block (from the allocator)
 *  | PyGC_Head (containers): _gc_next, _gc_prev | ob_refcnt | ob_type | ob_size (var-sized) | weaklist (weakrefable) | slots... | data... |
 *                                               ^ the object's address
 * ```
 *
 * @module
 */

/** What {@link RefCounter.defineType} takes. */
export interface TypeSpec {
  /** The type's name (for messages and views). */
  name: string;
  /** Reference slots of every instance (default 0); for var-sized types, the minimum. */
  slots?: number;
  /** Instances choose their number of slots at `new` (tuple- and list-like); stored in `ob_size`. */
  varSized?: boolean;
  /** A gc container: carries a PyGC_Head before the object and can be tracked (default false). */
  container?: boolean;
  /** Called once per object when its refcount reaches zero (PEP 442); it may resurrect the object. */
  finalize?: (address: number) => void;
  /** Instances can be the target of weak references (adds the weaklist word; default false). */
  weakrefable?: boolean;
  /**
   * Order in which a dying object releases its slots: `"forward"` (slot 0 first,
   * as `__slots__` instances and dicts do) or `"reverse"` (last slot first, as
   * lists and tuples do). Default `"forward"`.
   */
  clearOrder?: "forward" | "reverse";
  /** Bytes of non-reference data after the slots (rounded up to 8). */
  dataBytes?: number;
  /** Whether deallocation goes through CPython's trashcan (default: containers do, as list, tuple, dict and classes do). */
  trashcan?: boolean;
}

/** A defined type: frozen, with its layout worked out. */
export interface ObjectType {
  /** The value stored in `ob_type` (1, 2, ...). */
  readonly id: number;
  readonly name: string;
  readonly slots: number;
  readonly varSized: boolean;
  readonly container: boolean;
  readonly weakrefable: boolean;
  readonly clearOrder: "forward" | "reverse";
  readonly dataBytes: number;
  readonly finalize: ((address: number) => void) | undefined;
  readonly trashcan: boolean;
  /** Offset of slot 0 from the object's address. */
  readonly slotOffset: number;
  /** Offset of the weaklist word, or -1. */
  readonly weaklistOffset: number;
}

/** `ob_refcnt`'s offset. */
export const OB_REFCNT = 0;
/** `ob_type`'s offset. */
export const OB_TYPE = 8;
/** `ob_size`'s offset in var-sized objects. */
export const OB_SIZE = 16;
/** The most slots an object may have. */
export const MAX_SLOTS = 1 << 24;

/** Validates `spec` and works out the layout of type number `id`. */
export function makeType(id: number, spec: TypeSpec): ObjectType {
  if (typeof spec !== "object" || spec === null)
    throw new TypeError(`type spec must be an object, got ${String(spec)}`);
  if (typeof spec.name !== "string" || spec.name.length === 0) {
    throw new TypeError(`type name must be a non-empty string, got ${JSON.stringify(spec.name)}`);
  }
  const slots = spec.slots ?? 0;
  if (!Number.isInteger(slots) || slots < 0 || slots > MAX_SLOTS) {
    throw new RangeError(`type ${spec.name}: slots must be an integer in [0, ${MAX_SLOTS}], got ${String(slots)}`);
  }
  for (const k of ["varSized", "container", "weakrefable", "trashcan"] as const) {
    if (spec[k] !== undefined && typeof spec[k] !== "boolean") {
      throw new TypeError(`type ${spec.name}: ${k} must be a boolean, got ${String(spec[k])}`);
    }
  }
  if (spec.finalize !== undefined && typeof spec.finalize !== "function") {
    throw new TypeError(`type ${spec.name}: finalize must be a function, got ${typeof spec.finalize}`);
  }
  const clearOrder = spec.clearOrder ?? "forward";
  if (clearOrder !== "forward" && clearOrder !== "reverse") {
    throw new RangeError(
      `type ${spec.name}: clearOrder must be "forward" or "reverse", got ${JSON.stringify(clearOrder)}`,
    );
  }
  const dataBytes = spec.dataBytes ?? 0;
  if (!Number.isInteger(dataBytes) || dataBytes < 0 || dataBytes > 2 ** 30) {
    throw new RangeError(`type ${spec.name}: dataBytes must be a non-negative integer, got ${String(dataBytes)}`);
  }
  const varSized = spec.varSized ?? false;
  const weakrefable = spec.weakrefable ?? false;
  let offset = varSized ? 24 : 16;
  const weaklistOffset = weakrefable ? offset : -1;
  if (weakrefable) offset += 8;
  return Object.freeze({
    id,
    name: spec.name,
    slots,
    varSized,
    container: spec.container ?? false,
    weakrefable,
    clearOrder,
    dataBytes: Math.ceil(dataBytes / 8) * 8,
    finalize: spec.finalize,
    trashcan: spec.trashcan ?? spec.container ?? false,
    slotOffset: offset,
    weaklistOffset,
  });
}

/** Bytes to request for an instance with `n` slots, the gc head included. */
export function instanceBytes(type: ObjectType, n: number, gcHeadSize: number): number {
  return (type.container ? gcHeadSize : 0) + type.slotOffset + 8 * n + type.dataBytes;
}

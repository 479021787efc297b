/**
 * Object types: what an object of a type looks like in simulated memory, as
 * 64-bit CPython lays it out.
 *
 * ```
 *  block (from the allocator)
 *  | pre-header | PyGC_Head (containers): _gc_next, _gc_prev | ob_refcnt | ob_type | ob_size (var-sized) | weaklist (weakrefable) | slots... | data... |
 *                                                            ^ the object's address
 * ```
 *
 * The pre-header (none unless asked) holds words CPython 3.11+ keeps before
 * the gc head of instances of classes: the managed dict and weaklist.
 *
 * List-like types keep their slots in a separate block, as `list` does:
 * `ob_size`, `ob_item` (the items block) and `allocated` follow the header, and
 * the items block grows and shrinks with CPython's over-allocation.
 *
 * @module
 */

/** What {@link RefCounter.defineType} takes. */
export interface TypeSpec {
  /** The type's name (for messages and views). */
  name: string;
  /** Reference slots of every instance (default 0); for var-sized types, the minimum. */
  slots?: number;
  /** Instances choose their number of slots at `new` (tuple-like: inline); stored in `ob_size`. */
  varSized?: boolean;
  /**
   * Instances keep their slots in a separate, resizable items block (list-like:
   * `ob_size`, `ob_item`, `allocated`), grown by `append` and shrunk by `pop`
   * with CPython's list over-allocation. Releases its items last first.
   */
  listLike?: boolean;
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
  /**
   * Bytes of non-reference fields between the header and the slots (rounded
   * up to 8), such as the cached hash 3.14's tuples keep before their items.
   */
  headerBytes?: number;
  /** Whether deallocation goes through CPython's trashcan (default: containers do, as list, tuple, dict and classes do). */
  trashcan?: boolean;
  /**
   * Bytes before the gc head (or before the object, for a type that is not a
   * container), a multiple of 8: the pre-header CPython 3.11+ gives
   * instances of classes (the managed dict and weaklist words). Default 0.
   */
  preHeaderBytes?: number;
  /**
   * Where the weaklist word is, from the object's address, when it is not
   * after the header (weakrefable types only): a multiple of 8, at or past
   * the end of the header, or inside the pre-header (negative), as CPython
   * 3.12+ keeps the weaklist of instances of classes. Default: after the header.
   */
  weaklistOffset?: number;
  /**
   * Tuple semantics for the gc (var-sized containers only): a collection
   * untracks an instance whose slots all hold non-containers or untracked
   * tuple-likes, as CPython's `_PyTuple_MaybeUntrack` does.
   */
  tupleLike?: boolean;
  /**
   * A legacy `tp_del` finalizer (C types only in CPython): the gc never
   * collects such an object in a cycle, nor what it reaches; they go to
   * `gc.garbage` as uncollectable. `finalize` still runs when refcounting frees it.
   */
  legacyFinalizer?: boolean;
}

/** A defined type: frozen, with its layout worked out. */
export interface ObjectType {
  /** The value stored in `ob_type` (1, 2, ...). */
  readonly id: number;
  /** The type's name, as given in the spec (CPython's tp_name). */
  readonly name: string;
  /** Reference slots of every instance; for var-sized and list-like types, the count `new` uses when no size is given. */
  readonly slots: number;
  /** Instances choose their slot count at `new` and store it in `ob_size` (a PyVarObject, as tuple). */
  readonly varSized: boolean;
  /** Instances keep their slots in a separate, resizable items block (`ob_item`, `allocated`), as list does. */
  readonly listLike: boolean;
  /** A gc container (Py_TPFLAGS_HAVE_GC): instances carry a PyGC_Head and can be tracked. */
  readonly container: boolean;
  /** Instances have a weaklist word (tp_weaklistoffset) and can be weakly referenced. */
  readonly weakrefable: boolean;
  /** Order a dying instance releases its slots in; always `"reverse"` for list-like types. */
  readonly clearOrder: "forward" | "reverse";
  /** Bytes of non-reference data after the slots, rounded up to a multiple of 8. */
  readonly dataBytes: number;
  /** The PEP 442 finalizer (tp_finalize) called once before deallocation, if any. */
  readonly finalize: ((address: number) => void) | undefined;
  /** Whether deallocation goes through CPython's trashcan (defaults to `container`). */
  readonly trashcan: boolean;
  /** A collection untracks instances whose items cannot be tracked, as `_PyTuple_MaybeUntrack` does. */
  readonly tupleLike: boolean;
  /** Has a legacy tp_del: unreachable instances and what they reach are uncollectable (instances go to `gc.garbage`). */
  readonly legacyFinalizer: boolean;
  /** Offset of slot 0 from the object's address. */
  readonly slotOffset: number;
  /** Offset of the weaklist word from the object's address (negative: in the pre-header); -1 when not weakrefable. */
  readonly weaklistOffset: number;
  /** Bytes of pre-header before the gc head (or before the object, for a type that is not a container). */
  readonly preHeader: number;
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
  for (const k of [
    "varSized",
    "listLike",
    "container",
    "weakrefable",
    "trashcan",
    "tupleLike",
    "legacyFinalizer",
  ] as const) {
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
  const headerBytes = spec.headerBytes ?? 0;
  if (!Number.isInteger(headerBytes) || headerBytes < 0 || headerBytes > 2 ** 16) {
    throw new RangeError(`type ${spec.name}: headerBytes must be an integer in [0, 65536], got ${String(headerBytes)}`);
  }
  const listLike = spec.listLike ?? false;
  if (listLike && spec.varSized) throw new TypeError(`type ${spec.name}: listLike and varSized exclude each other`);
  const varSized = spec.varSized ?? false;
  if (spec.tupleLike && !(varSized && spec.container)) {
    throw new TypeError(`type ${spec.name}: tupleLike needs a var-sized container type`);
  }
  const weakrefable = spec.weakrefable ?? false;
  const preHeader = spec.preHeaderBytes ?? 0;
  if (!Number.isInteger(preHeader) || preHeader < 0 || preHeader > 4096 || preHeader % 8 !== 0) {
    throw new RangeError(
      `type ${spec.name}: preHeaderBytes must be a multiple of 8 in [0, 4096], got ${String(spec.preHeaderBytes)}`,
    );
  }
  let offset = (listLike ? 40 : varSized ? 24 : 16) + Math.ceil(headerBytes / 8) * 8;
  let weaklistOffset = weakrefable ? offset : -1;
  if (spec.weaklistOffset !== undefined) {
    const at = spec.weaklistOffset;
    const lowest = -(preHeader + (spec.container ? 16 : 0));
    const inPreHeader = at >= lowest && at + 8 <= lowest + preHeader;
    if (!weakrefable || !Number.isInteger(at) || at % 8 !== 0 || !(inPreHeader || at >= offset)) {
      throw new RangeError(
        `type ${spec.name}: weaklistOffset must be a multiple of 8 in the pre-header or past the header of a weakrefable type, got ${String(at)}`,
      );
    }
    weaklistOffset = at;
  } else if (weakrefable) offset += 8;
  return Object.freeze({
    id,
    name: spec.name,
    slots,
    varSized,
    listLike,
    container: spec.container ?? false,
    weakrefable,
    clearOrder: listLike ? "reverse" : clearOrder,
    dataBytes: Math.ceil(dataBytes / 8) * 8,
    finalize: spec.finalize,
    trashcan: spec.trashcan ?? spec.container ?? false,
    tupleLike: spec.tupleLike ?? false,
    legacyFinalizer: spec.legacyFinalizer ?? false,
    slotOffset: offset,
    weaklistOffset,
    preHeader,
  });
}

/** `ob_item`'s offset in list-like objects. */
export const OB_ITEM = 24;
/** `allocated`'s offset in list-like objects. */
export const OB_ALLOCATED = 32;

/** Bytes to request for an instance with `n` slots, the pre-header and gc head included (list-like items live apart). */
export function instanceBytes(type: ObjectType, n: number, gcHeadSize: number): number {
  return (
    type.preHeader + (type.container ? gcHeadSize : 0) + type.slotOffset + (type.listLike ? 0 : 8 * n) + type.dataBytes
  );
}

/**
 * list_resize's new capacity for `newSize` items when `size` are held and
 * `allocated` fit: -1 when the block stays as it is. `minor` is the CPython
 * 3 release (0 for a custom profile: today's rules).
 */
export function listCapacity(size: number, allocated: number, newSize: number, minor: number): number {
  if (allocated >= newSize && newSize >= allocated >> 1) return -1;
  // 3.14: a small array is not shrunk until the list is empty.
  if (allocated >= newSize && (minor === 0 || minor >= 14) && allocated <= LIST_NO_SHRINK) return -1;
  if (newSize === 0) return 0;
  if (minor === 8) return newSize + (newSize >> 3) + (newSize < 9 ? 3 : 6);
  // 3.9+ (bpo-38373): round to a multiple of 4, and do not over-allocate when growing by a lot at once.
  let capacity = (newSize + (newSize >> 3) + 6) & ~3;
  if (newSize - size > capacity - newSize) capacity = (newSize + 3) & ~3;
  return capacity;
}

/** 3.14+: list_resize never shrinks an array of at most this many items (popping the last item still frees it). */
export const LIST_NO_SHRINK = 32;

/** Whether popping a list's last item frees its array (3.12+: the list is cleared) rather than list_resize's realloc to 0 bytes. */
export function listFreesAtZero(minor: number): boolean {
  return minor === 0 || minor >= 12;
}

/**
 * The capacity list.extend gives a list without an array: 3.10+ allocate
 * `n` rounded up to even (list_preallocate_exact); -1 before 3.10, where
 * list_resize grows it as any other.
 */
export function listPreallocated(n: number, minor: number): number {
  return minor === 0 || minor >= 10 ? (n + 1) & ~1 : -1;
}

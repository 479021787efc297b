/**
 * Equality and hashing of the built-in values, as dict and set keys need
 * them: numbers equal across int and float (1 == 1.0), strs and bytes by
 * their content, tuples item by item, anything else by identity. The hashes
 * are pymem's own, not CPython's (which are salted per process for strs):
 * where an entry sits in a table's index depends on them, but no allocation
 * does.
 *
 * @module
 */

/** The kinds of built-in value the rules tell apart. */
export const ValueKind = {
  Other: 0,
  Int: 1,
  Float: 2,
  Str: 3,
  Bytes: 4,
  Tuple: 5,
  /** list, dict, set: unhashable. */
  Unhashable: 6,
} as const;
/** One of {@link ValueKind}'s values. */
export type ValueKind = (typeof ValueKind)[keyof typeof ValueKind];

/** What the rules read of the objects. */
export interface ValueReader {
  kindOf(address: number): ValueKind;
  intValue(address: number): number | bigint;
  floatValue(address: number): number;
  /** A str's code points or a bytes object's bytes, one at a time. */
  contentLength(address: number): number;
  contentAt(address: number, i: number): number;
  /** A tuple's items. */
  itemCount(address: number): number;
  itemAt(address: number, i: number): number;
}

const f64 = new Float64Array(1);
const f64Words = new Uint32Array(f64.buffer);

/** A 32-bit hash of an integral number, the same for an int and the equal float. */
function integralHash(v: number | bigint): number {
  if (typeof v === "number" && Number.isSafeInteger(v)) return (v % 4294967296) >>> 0;
  return Number(BigInt.asUintN(32, BigInt(v)));
}

/** The hash of a hashable value, or -1 when it is unhashable (a list, a dict). */
export function hashValue(r: ValueReader, a: number): number {
  switch (r.kindOf(a)) {
    case ValueKind.Int:
      return integralHash(r.intValue(a));
    case ValueKind.Float: {
      const v = r.floatValue(a);
      if (Number.isInteger(v)) return integralHash(Number.isSafeInteger(v) ? v : BigInt(v));
      f64[0] = v;
      return ((f64Words[0] as number) ^ Math.imul(f64Words[1] as number, 0x9e3779b1)) >>> 0;
    }
    case ValueKind.Str:
    case ValueKind.Bytes: {
      // FNV-1a over the code points (or bytes).
      let h = 0x811c9dc5;
      for (let i = 0, n = r.contentLength(a); i < n; i++) h = Math.imul(h ^ r.contentAt(a, i), 0x01000193);
      return h >>> 0;
    }
    case ValueKind.Tuple: {
      let h = 0x27d4eb2f;
      for (let i = 0, n = r.itemCount(a); i < n; i++) {
        const item = hashValue(r, r.itemAt(a, i));
        if (item === -1) return -1;
        h = Math.imul(h ^ item, 0x85ebca77) >>> 0;
        h = ((h << 13) | (h >>> 19)) >>> 0;
      }
      return h;
    }
    case ValueKind.Unhashable:
      return -1;
    default:
      // Identity, as object.__hash__.
      return (a >>> 4) >>> 0;
  }
}

/** Python's `==` between two keys (identity first, as CPython's lookups test it). */
export function valuesEqual(r: ValueReader, a: number, b: number): boolean {
  if (a === b) return true;
  const ka = r.kindOf(a);
  const kb = r.kindOf(b);
  if ((ka === ValueKind.Int || ka === ValueKind.Float) && (kb === ValueKind.Int || kb === ValueKind.Float)) {
    const x = ka === ValueKind.Int ? r.intValue(a) : r.floatValue(a);
    const y = kb === ValueKind.Int ? r.intValue(b) : r.floatValue(b);
    if (typeof x === "number" && typeof y === "number") return x === y;
    // A bigint against a number: equal only when the number is integral and the same value.
    const nx = typeof x === "number" ? (Number.isInteger(x) ? BigInt(x) : undefined) : x;
    const ny = typeof y === "number" ? (Number.isInteger(y) ? BigInt(y) : undefined) : y;
    return nx !== undefined && ny !== undefined && nx === ny;
  }
  if (ka !== kb) return false;
  if (ka === ValueKind.Str || ka === ValueKind.Bytes) {
    const n = r.contentLength(a);
    if (n !== r.contentLength(b)) return false;
    for (let i = 0; i < n; i++) if (r.contentAt(a, i) !== r.contentAt(b, i)) return false;
    return true;
  }
  if (ka === ValueKind.Tuple) {
    const n = r.itemCount(a);
    if (n !== r.itemCount(b)) return false;
    for (let i = 0; i < n; i++) if (!valuesEqual(r, r.itemAt(a, i), r.itemAt(b, i))) return false;
    return true;
  }
  return false;
}

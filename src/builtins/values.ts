/**
 * Equality and hashing of the built-in values, as dict and set keys need
 * them: numbers equal across int and float (1 == 1.0), strs and bytes by
 * their content, tuples item by item, anything else by identity; the hashes
 * are CPython's own (hashes.ts), under the hash secret a PYTHONHASHSEED
 * gives.
 *
 * @module
 */

import { bytesHash, floatHash, intHash, siphashHigh, tupleHash } from "./hashes.js";

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
  FrozenSet: 7,
  None: 8,
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
  /** The bytes CPython hashes: a str's characters as stored (1, 2 or 4 bytes each), a bytes object's data. */
  storedBytes(address: number): Uint8Array;
  /** The low half of the hash of those bytes (bytesHashHalves), the high half left in siphashHigh. */
  hashStored(address: number): number;
  /** A tuple's items. */
  itemCount(address: number): number;
  itemAt(address: number, i: number): number;
  /** A frozenset's hash (frozenset_hash) and whether two frozensets hold equal items. */
  frozensetHash(address: number): bigint;
  frozensetsEqual(a: number, b: number): boolean;
  /** The SipHash key of the hash secret (and as 32-bit halves), and the release (which SipHash). */
  readonly secret: readonly [bigint, bigint];
  readonly secretHalves: Uint32Array;
  readonly minor: number;
}

/** The high 32 bits of the last hash {@link hashValue} returned the low bits of. */
export let hashHigh = 0;

/** Splits a signed 64-bit hash: returns the low 32 bits, leaves the high ones in {@link hashHigh}. */
function split(h: bigint): number {
  hashHigh = Number((h >> 32n) & 0xffffffffn);
  return Number(h & 0xffffffffn);
}

/** A safe integer's hash (itself; -1 is -2), split without a bigint. */
function smallIntHash(v: number): number {
  const h = v === -1 ? -2 : v;
  hashHigh = Math.floor(h / 4294967296) >>> 0;
  return h >>> 0;
}

/** A hashable value's hash as CPython computes it (bigint), or undefined when it is unhashable (a list, a dict). */
export function fullHash(r: ValueReader, a: number): bigint | undefined {
  switch (r.kindOf(a)) {
    case ValueKind.Int: {
      const v = r.intValue(a);
      return intHash(BigInt(v));
    }
    case ValueKind.Float:
      return floatHash(r.floatValue(a));
    case ValueKind.Str:
    case ValueKind.Bytes:
      return bytesHash(r.storedBytes(a), r.secret, r.minor);
    case ValueKind.Tuple: {
      const items: bigint[] = [];
      for (let i = 0, n = r.itemCount(a); i < n; i++) {
        const h = fullHash(r, r.itemAt(a, i));
        if (h === undefined) return undefined;
        items.push(h);
      }
      return tupleHash(items);
    }
    case ValueKind.FrozenSet:
      return r.frozensetHash(a);
    case ValueKind.Unhashable:
      return undefined;
    case ValueKind.None:
      // 3.12+: a constant (gh-99540); before, object.__hash__ of its address, as below.
      if (r.minor >= 12) return 0xfca86420n;
      return pointerHash(a);
    default:
      return pointerHash(a);
  }
}

/** object.__hash__: the address rotated by 4 bits (_Py_HashPointer). */
function pointerHash(a: number): bigint {
  return BigInt.asIntN(64, (BigInt(a) >> 4n) | ((BigInt(a) & 15n) << 60n));
}

/**
 * A value's hash, split: returns its low 32 bits (unsigned) and leaves the
 * high 32 in {@link hashHigh}; -1 when the value is unhashable. Ints and
 * integral floats within 2**53 take no bigint.
 */
export function hashValue(r: ValueReader, a: number): number {
  const kind = r.kindOf(a);
  if (kind === ValueKind.Int) {
    const v = r.intValue(a);
    if (typeof v === "number") return smallIntHash(v);
  } else if (kind === ValueKind.Float) {
    const v = r.floatValue(a);
    if (Number.isSafeInteger(v)) return smallIntHash(v === 0 ? 0 : v);
  } else if (kind === ValueKind.Str || kind === ValueKind.Bytes) {
    const lo = r.hashStored(a);
    hashHigh = siphashHigh;
    return lo;
  }
  const h = fullHash(r, a);
  return h === undefined ? -1 : split(h);
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
  if (ka === ValueKind.FrozenSet) return r.frozensetsEqual(a, b);
  return false;
}

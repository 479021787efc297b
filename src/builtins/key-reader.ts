/**
 * What hashing and key equality read of the built-in objects (values.ts
 * works on this view), and the hash cache strs and bytes keep in their hash
 * field, as CPython's do.
 *
 * @module
 */

import type { ObjectCore } from "../objects/object-core.js";
import { OB_SIZE, type ObjectType } from "../objects/object-type.js";
import type { BuiltinRules } from "./builtin-rules.js";
import { bytesHashHalves, frozensetHash, hashSecret, secretHalves, siphashHigh } from "./hashes.js";
import { hashHigh, hashValue, ValueKind, type ValueReader } from "./values.js";

// PyASCIIObject.state's ascii bit.
const STATE_ASCII = 1 << 6;

/** The built-in types a reader tells apart. */
export interface KeyTypes {
  int: ObjectType;
  float: ObjectType;
  str: ObjectType;
  bytes: ObjectType;
  tuple: ObjectType;
  frozenset: ObjectType;
  bool: ObjectType;
  none: ObjectType;
  /** Types whose objects are unhashable (list, dict, set). */
  unhashable: readonly ObjectType[];
}

// PySetObject's `hash`, which a frozenset caches its hash in.
const FROZENSET_HASH = 48;

/** The keys' view of the objects, with CPython's hashes under one hash secret. */
export class KeyReader implements ValueReader {
  readonly secret: readonly [bigint, bigint];
  readonly secretHalves: Uint32Array;
  readonly minor: number;
  /** The high half of the last hash {@link KeyReader.hashKey} returned. */
  hashHi = 0;
  private readonly core: ObjectCore;
  private readonly rules: BuiltinRules;
  private typesNow: KeyTypes | undefined;
  private readonly typesOf: () => KeyTypes;
  private readonly ints: (a: number) => number | bigint;
  private readonly floats: (a: number) => number;
  private readonly setHashes: (a: number) => bigint[];
  private readonly setsEqual: (a: number, b: number) => boolean;

  constructor(
    core: ObjectCore,
    rules: BuiltinRules,
    seed: number,
    types: () => KeyTypes,
    values: {
      int: (a: number) => number | bigint;
      float: (a: number) => number;
      setHashes: (a: number) => bigint[];
      setsEqual: (a: number, b: number) => boolean;
    },
  ) {
    this.core = core;
    this.rules = rules;
    this.secret = hashSecret(seed);
    this.secretHalves = secretHalves(this.secret);
    this.minor = rules.minor;
    this.typesOf = types;
    this.ints = values.int;
    this.floats = values.float;
    this.setHashes = values.setHashes;
    this.setsEqual = values.setsEqual;
  }

  /** The types, looked up once they exist (the reader is made before them). */
  private types(): KeyTypes {
    if (this.typesNow === undefined) this.typesNow = this.typesOf();
    return this.typesNow;
  }

  kindOf(a: number): ValueKind {
    const t = this.core.typeAt(a);
    const k = this.types();
    if (t === k.int || t === k.bool) return ValueKind.Int;
    if (t === k.none) return ValueKind.None;
    if (t === k.float) return ValueKind.Float;
    if (t === k.str) return ValueKind.Str;
    if (t === k.bytes) return ValueKind.Bytes;
    if (t === k.tuple) return ValueKind.Tuple;
    if (t === k.frozenset) return ValueKind.FrozenSet;
    if (k.unhashable.includes(t)) return ValueKind.Unhashable;
    return ValueKind.Other;
  }

  intValue(a: number): number | bigint {
    return this.ints(a);
  }

  floatValue(a: number): number {
    return this.floats(a);
  }

  frozensetHash(a: number): bigint {
    return frozensetHash(this.setHashes(a));
  }

  frozensetsEqual(a: number, b: number): boolean {
    return this.setsEqual(a, b);
  }

  private isStr(a: number): boolean {
    return this.core.typeAt(a) === this.types().str;
  }

  /** A str's characters: where they start, and its state word. */
  private strData(a: number): number {
    const state = this.core.u32[(a + 32) >>> 2] as number;
    return a + ((state & STATE_ASCII) !== 0 ? this.rules.strAsciiHeader : this.rules.strCompactHeader);
  }

  contentLength(a: number): number {
    return this.isStr(a) ? this.core.readWord(a + 16) : (this.core.u32[(a + OB_SIZE) >>> 2] as number);
  }

  contentAt(a: number, i: number): number {
    const u8 = this.core.memory.u8;
    if (!this.isStr(a)) return u8[a + 32 + i] as number;
    const kind = ((this.core.u32[(a + 32) >>> 2] as number) >>> 2) & 7;
    const data = this.strData(a);
    if (kind === 1) return u8[data + i] as number;
    if (kind === 2) return (u8[data + 2 * i] as number) | ((u8[data + 2 * i + 1] as number) << 8);
    return this.core.u32[(data + 4 * i) >>> 2] as number;
  }

  hashStored(a: number): number {
    if (this.isStr(a)) return this.strHash(a);
    const n = this.core.u32[(a + OB_SIZE) >>> 2] as number;
    return bytesHashHalves(this.core.memory.u8, this.secretHalves, this.minor, a + 32, n, this.core.u32);
  }

  /** A str's hash from its characters in memory (low half; the high one in siphashHigh). */
  private strHash(a: number): number {
    const kind = ((this.core.u32[(a + 32) >>> 2] as number) >>> 2) & 7;
    const n = this.core.readWord(a + 16) * kind;
    return bytesHashHalves(this.core.memory.u8, this.secretHalves, this.minor, this.strData(a), n, this.core.u32);
  }

  storedBytes(a: number): Uint8Array {
    const u8 = this.core.memory.u8;
    if (!this.isStr(a)) return u8.subarray(a + 32, a + 32 + (this.core.u32[(a + OB_SIZE) >>> 2] as number));
    const kind = ((this.core.u32[(a + 32) >>> 2] as number) >>> 2) & 7;
    const data = this.strData(a);
    return u8.subarray(data, data + this.core.readWord(a + 16) * kind);
  }

  itemCount(a: number): number {
    return this.core.u32[(a + OB_SIZE) >>> 2] as number;
  }

  itemAt(a: number, i: number): number {
    return this.core.readWord(a + this.types().tuple.slotOffset + 8 * i);
  }

  /**
   * A key's hash, CPython's: the low 32 bits returned, the high ones left in
   * `hashHi`; -1 when unhashable. Strs, bytes and frozensets cache theirs in their hash
   * field (-1 until computed).
   */
  hashKey(a: number): number {
    const t = this.core.typeAt(a);
    const k = this.types();
    // Strs and bytes keep their hash after the header, a frozenset in its `hash` field.
    const cached = t === k.str || t === k.bytes || t === k.frozenset;
    const u32 = this.core.u32;
    const i = (a + (t === k.frozenset ? FROZENSET_HASH : 24)) >>> 2;
    if (cached && !(u32[i] === 0xffffffff && u32[i + 1] === 0xffffffff)) {
      this.hashHi = u32[i + 1] as number;
      return u32[i] as number;
    }
    // A str, the common key, straight to its bytes' hash; anything else by its kind.
    const str = t === k.str;
    const lo = str ? this.strHash(a) : hashValue(this, a);
    this.hashHi = str ? siphashHigh : hashHigh;
    if (cached) {
      u32[i] = lo;
      u32[i + 1] = this.hashHi;
    }
    return lo;
  }

  /** The hash of a key (low half; `hashHi` the high), or a TypeError naming it when it has none. */
  hashOf(key: number): number {
    const h = this.hashKey(key);
    if (h === -1) throw new TypeError(`unhashable type: '${this.core.typeAt(key).name}' (key ${key})`);
    return h;
  }
}

/**
 * The interpreter's static objects, which live in its binary's data and are
 * never freed: the small ints, the empty str, bytes and tuple, the
 * one-character latin-1 strs and one-byte bytes, None, True and False, the
 * empty dict keys, the set dummy and (3.8–3.9) the empty frozenset, in one
 * region of the raw allocator, each made the first time it is asked for; and
 * interned attribute names, each in a raw block of its own (in CPython the
 * code objects hold them; 3.12+ make them immortal).
 *
 * @module
 */

import type { ObjectCore } from "../objects/object-core.js";
import { OB_SIZE, type ObjectType } from "../objects/object-type.js";
import type { BuiltinRules } from "./builtin-rules.js";
import { digitCount, INT_HEADER, intHeaderWord, SMALL_INT_MIN, writeDigits } from "./int-layout.js";
import { strAllocBytes, strShape, utf8Length } from "./str-layout.js";
import type { StrOps } from "./str-ops.js";

// The static region: each kind of static object at its own stride, the small ints last (their number varies).
const INT_STRIDE = 32;
const CHAR_STRIDE = 80;
const BYTE_STRIDE = 48;
const LATIN1_AT = 0;
const BYTES_AT = LATIN1_AT + 256 * CHAR_STRIDE;
const EMPTY_STR_AT = BYTES_AT + 256 * BYTE_STRIDE;
const EMPTY_BYTES_AT = EMPTY_STR_AT + 64;
const EMPTY_TUPLE_AT = EMPTY_BYTES_AT + 64;
const EMPTY_KEYS_AT = EMPTY_TUPLE_AT + 64;
const DUMMY_AT = EMPTY_KEYS_AT + 64;
const EMPTY_FROZENSET_AT = DUMMY_AT + 64;
const NONE_AT = EMPTY_FROZENSET_AT + 224;
const TRUE_AT = NONE_AT + 32;
const FALSE_AT = TRUE_AT + 32;
const SMALL_INTS_AT = FALSE_AT + 32;

/** Writes an int's size (or tag) word and its digits. */
export function writeInt(core: ObjectCore, tagged: boolean, a: number, v: number | bigint, n: number): void {
  const u32 = core.u32;
  const head = intHeaderWord(v, n, tagged);
  // A signed 64-bit word: two's complement in two halves.
  u32[(a + OB_SIZE) >>> 2] = head >>> 0;
  u32[((a + OB_SIZE) >>> 2) + 1] = head < 0 ? 0xffffffff : 0;
  writeDigits(u32, (a + INT_HEADER) >>> 2, v, n);
}

/** Writes a bytes object's size and its hash, not yet computed. */
export function writeBytesHeader(core: ObjectCore, a: number, n: number): void {
  core.writeWord(a + OB_SIZE, n);
  core.u32[(a + 24) >>> 2] = 0xffffffff;
  core.u32[(a + 28) >>> 2] = 0xffffffff;
}

/** The types static objects are of. */
export interface StaticTypes {
  int: ObjectType;
  str: ObjectType;
  bytes: ObjectType;
  tuple: ObjectType;
  none: ObjectType;
  bool: ObjectType;
}

/** The static objects of one Builtins. */
export class StaticObjects {
  /** Py_EMPTY_KEYS: the keys every new dict shares. */
  readonly emptyKeys: number;
  /** The set dummy. */
  readonly dummy: number;
  private readonly core: ObjectCore;
  private readonly rules: BuiltinRules;
  private readonly types: () => StaticTypes;
  private readonly strs: () => StrOps;
  private readonly base: number;
  // Which of the region's objects are in place.
  private readonly placed: Uint8Array;

  constructor(core: ObjectCore, rules: BuiltinRules, types: () => StaticTypes, strs: () => StrOps) {
    this.core = core;
    this.rules = rules;
    this.types = types;
    this.strs = strs;
    const bytes = SMALL_INTS_AT + (rules.smallIntMax - SMALL_INT_MIN + 1) * INT_STRIDE;
    this.base = core.allocator.raw.malloc(bytes);
    core.memory.u8.fill(0, this.base, this.base + bytes);
    this.placed = new Uint8Array(bytes >>> 4);
    this.emptyKeys = this.base + EMPTY_KEYS_AT;
    this.dummy = this.base + DUMMY_AT;
  }

  /** A new reference to the static object at `at`, whose fields `write` lays down the first time it is asked for. */
  private place(t: ObjectType, at: number, address: number, write: (address: number) => void): number {
    const core = this.core;
    write(address);
    core.placeStatic(t, address, core.profile.immortalRefcount ?? 1);
    this.placed[at >>> 4] = 1;
    core.incref(address);
    return address;
  }

  /** A new reference to a static object already in place (no closure is made on this, the common path). */
  private shared(at: number, address: number): number {
    if (this.placed[at >>> 4] === 0) return 0;
    this.core.incref(address);
    return address;
  }

  /** The small int `v` (-5 … the release's largest). */
  smallInt(v: number): number {
    const at = SMALL_INTS_AT + (v - SMALL_INT_MIN) * INT_STRIDE;
    const address = this.base + at;
    return (
      this.shared(at, address) ||
      this.place(this.types().int, at, address, (a) => writeInt(this.core, this.rules.intTagged, a, v, digitCount(v)))
    );
  }

  /** None (`_Py_NoneStruct`). */
  none(): number {
    const address = this.base + NONE_AT;
    return this.shared(NONE_AT, address) || this.place(this.types().none, NONE_AT, address, () => {});
  }

  /** True or False: ints of one digit 1 and of no digit (3.12+: a compact zero). */
  bool(v: boolean): number {
    const at = v ? TRUE_AT : FALSE_AT;
    const address = this.base + at;
    return (
      this.shared(at, address) ||
      this.place(this.types().bool, at, address, (a) =>
        writeInt(this.core, this.rules.intTagged, a, v ? 1 : 0, v ? 1 : 0),
      )
    );
  }

  /** The empty str, or the one-character latin-1 str `s`. */
  str(s: string, shape: { length: number; maxChar: number }): number {
    const at = shape.length === 0 ? EMPTY_STR_AT : LATIN1_AT + shape.maxChar * CHAR_STRIDE;
    const address = this.base + at;
    return (
      this.shared(at, address) ||
      this.place(this.types().str, at, address, (a) => {
        this.strs().write(a, s, shape);
        this.latin1Utf8(a, s, shape.maxChar);
      })
    );
  }

  /** 3.12+: the static latin-1 strings above ASCII carry their UTF-8 form after the characters. */
  private latin1Utf8(a: number, s: string, maxChar: number): void {
    if (this.rules.latin1Utf8 && maxChar >= 0x80) {
      const field = this.rules.strCompactHeader - 16;
      this.core.writeWord(a + field, utf8Length(s));
      this.core.writeWord(a + field + 8, a + this.rules.strCompactHeader + 2);
    }
  }

  /** `b""` (`b` -1), or the one-byte bytes of byte `b`. */
  bytes(b: number): number {
    const at = b < 0 ? EMPTY_BYTES_AT : BYTES_AT + b * BYTE_STRIDE;
    const address = this.base + at;
    return (
      this.shared(at, address) ||
      this.place(this.types().bytes, at, address, (a) => {
        writeBytesHeader(this.core, a, b < 0 ? 0 : 1);
        if (b >= 0) this.core.memory.u8[a + 32] = b;
      })
    );
  }

  /**
   * The shared empty frozenset of 3.8–3.9 (`emptyfrozenset`, made on the
   * first `frozenset()` and never freed; tracked, as any set): `init` lays
   * down its empty table.
   */
  emptyFrozenset(t: ObjectType, init: (address: number) => void): number {
    const address = this.base + EMPTY_FROZENSET_AT + this.core.profile.gcHeadSize;
    const shared = this.shared(EMPTY_FROZENSET_AT, address);
    if (shared !== 0) return shared;
    this.place(t, EMPTY_FROZENSET_AT, address, init);
    this.core.trackNow(address);
    return address;
  }

  /** The empty tuple. */
  emptyTuple(): number {
    const address = this.base + EMPTY_TUPLE_AT + this.core.profile.gcHeadSize;
    return this.shared(EMPTY_TUPLE_AT, address) || this.place(this.types().tuple, EMPTY_TUPLE_AT, address, () => {});
  }

  /**
   * An interned attribute name: the shared str for a one-character latin-1
   * name, else a str of its own in a raw block, never freed (immortal 3.12+).
   * The caller keeps the reference.
   */
  intern(name: string): number {
    const shape = strShape(name);
    if (shape.length === 1 && shape.maxChar < 256) return this.str(name, shape);
    const r = this.rules;
    const core = this.core;
    const bytes = strAllocBytes(shape, r.strAsciiHeader, r.strCompactHeader);
    const a = core.allocator.raw.malloc(bytes);
    core.memory.u8.fill(0, a, a + bytes);
    this.strs().write(a, name, shape);
    core.placeStatic(this.types().str, a, core.profile.immortalRefcount ?? 1);
    return a;
  }
}

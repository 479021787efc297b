/**
 * What strs do to each other in memory: `a + b` (PyUnicode_Concat, a new
 * string), `s += t` (PyUnicode_Append: grown in place with PyObject_Realloc
 * when the string is the caller's alone, unhashed and wide enough, else a new
 * string), and `sep.join(items)` (_PyUnicode_JoinArray, one new string).
 *
 * @module
 */

import type { ObjectCore } from "../objects/object-core.js";
import type { ObjectType } from "../objects/object-type.js";
import type { BuiltinRules } from "./builtin-rules.js";

// PyASCIIObject.state: kind in bits 2–4, compact bit 5, ascii bit 6.
const STATE_COMPACT = 1 << 5;
const STATE_ASCII = 1 << 6;

/** The widest character class a str can hold: PyUnicode_MAX_CHAR_VALUE. */
function maxCharOf(kind: number, ascii: boolean): number {
  return ascii ? 0x7f : kind === 1 ? 0xff : kind === 2 ? 0xffff : 0x10ffff;
}

/** The str operations of one Builtins. */
export class StrOps {
  private readonly core: ObjectCore;
  private readonly rules: BuiltinRules;
  private readonly strType: () => ObjectType;
  private readonly empty: () => number;

  constructor(core: ObjectCore, rules: BuiltinRules, strType: () => ObjectType, empty: () => number) {
    this.core = core;
    this.rules = rules;
    this.strType = strType;
    this.empty = empty;
  }

  length(a: number): number {
    return this.core.readWord(a + 16);
  }

  kind(a: number): number {
    return ((this.core.u32[(a + 32) >>> 2] as number) >>> 2) & 7;
  }

  ascii(a: number): boolean {
    return ((this.core.u32[(a + 32) >>> 2] as number) & STATE_ASCII) !== 0;
  }

  private header(ascii: boolean): number {
    return ascii ? this.rules.strAsciiHeader : this.rules.strCompactHeader;
  }

  /** Where a str's characters start. */
  data(a: number): number {
    return a + this.header(this.ascii(a));
  }

  /** Character `i` of a str. */
  charAt(a: number, i: number): number {
    const k = this.kind(a);
    const d = this.data(a);
    const u8 = this.core.memory.u8;
    if (k === 1) return u8[d + i] as number;
    if (k === 2) return (u8[d + 2 * i] as number) | ((u8[d + 2 * i + 1] as number) << 8);
    return this.core.u32[(d + 4 * i) >>> 2] as number;
  }

  private setChar(d: number, kind: number, i: number, c: number): void {
    const u8 = this.core.memory.u8;
    if (kind === 1) u8[d + i] = c;
    else if (kind === 2) {
      u8[d + 2 * i] = c & 0xff;
      u8[d + 2 * i + 1] = c >>> 8;
    } else this.core.u32[(d + 4 * i) >>> 2] = c;
  }

  /** Writes a compact str's header: its length, no hash yet, its kind. */
  writeHeader(a: number, length: number, kind: number, ascii: boolean): void {
    const core = this.core;
    core.writeWord(a + 16, length);
    core.u32[(a + 24) >>> 2] = 0xffffffff;
    core.u32[(a + 28) >>> 2] = 0xffffffff;
    core.u32[(a + 32) >>> 2] = (kind << 2) | STATE_COMPACT | (ascii ? STATE_ASCII : 0);
  }

  /** A new str's header and characters, from a JavaScript string of that shape. */
  write(a: number, s: string, shape: { length: number; maxChar: number }): void {
    const kind = shape.maxChar < 0x100 ? 1 : shape.maxChar < 0x10000 ? 2 : 4;
    const ascii = shape.maxChar < 0x80;
    this.writeHeader(a, shape.length, kind, ascii);
    const data = a + this.header(ascii);
    const u8 = this.core.memory.u8;
    if (kind === 1) {
      // One byte per character, and no surrogates below 256: code units are the characters.
      for (let i = 0; i < s.length; i++) u8[data + i] = s.charCodeAt(i);
      return;
    }
    let i = 0;
    for (let j = 0; j < s.length; j++) {
      const c = s.codePointAt(j) as number;
      if (c > 0xffff) j++;
      this.setChar(data, kind, i++, c);
    }
  }

  /** unicode___sizeof__: header and characters, plus a UTF-8 copy kept apart from them. */
  sizeof(a: number): number {
    const core = this.core;
    const r = this.rules;
    const n = this.length(a);
    if (this.ascii(a)) return r.strAsciiHeader + n + 1;
    // The compact header's utf8_length and utf8 pointer are its last fields but one (3.8–3.11: wstr_length last).
    const at = r.strCompactHeader - (r.strCompactHeader === 72 ? 24 : 16);
    const utf8 = core.readWord(a + at + 8);
    return r.strCompactHeader + (n + 1) * this.kind(a) + (utf8 !== 0 ? core.readWord(a + at) + 1 : 0);
  }

  /** PyUnicode_New(length, maxChar): the empty str for 0, else a new object with room for the characters and a NUL. */
  newStr(length: number, maxChar: number): number {
    if (length === 0) return this.empty();
    const kind = maxChar < 0x100 ? 1 : maxChar < 0x10000 ? 2 : 4;
    const ascii = maxChar < 0x80;
    const a = this.core.newObject(this.strType(), 0, this.header(ascii) + (length + 1) * kind);
    this.writeHeader(a, length, kind, ascii);
    return a;
  }

  /** Copies `n` characters of `src` from `from` into `dst` at `at` (kinds may differ, the target's the wider). */
  private copy(dst: number, at: number, src: number, from: number, n: number): void {
    const kind = this.kind(dst);
    const d = this.data(dst);
    if (kind === this.kind(src)) {
      const s = this.data(src);
      this.core.memory.u8.copyWithin(d + at * kind, s + from * kind, s + (from + n) * kind);
      return;
    }
    for (let i = 0; i < n; i++) this.setChar(d, kind, at + i, this.charAt(src, from + i));
  }

  /** The NUL after the last character. */
  private terminate(a: number): void {
    this.setChar(this.data(a), this.kind(a), this.length(a), 0);
  }

  /** PyUnicode_Concat: `a + b`, a new reference (one side empty: the other, shared). */
  concat(a: number, b: number): number {
    const core = this.core;
    if (this.length(a) === 0) {
      core.incref(b);
      return b;
    }
    if (this.length(b) === 0) {
      core.incref(a);
      return a;
    }
    const la = this.length(a);
    const lb = this.length(b);
    const r = this.newStr(
      la + lb,
      Math.max(maxCharOf(this.kind(a), this.ascii(a)), maxCharOf(this.kind(b), this.ascii(b))),
    );
    this.copy(r, 0, a, 0, la);
    this.copy(r, la, b, 0, lb);
    this.terminate(r);
    return r;
  }

  /** unicode_modifiable: the caller's alone, never hashed, exact (and, 3.12+, not static: its refcount would not be 1). */
  private modifiable(a: number): boolean {
    const u32 = this.core.u32;
    return this.core.refcount(a) === 1 && u32[(a + 24) >>> 2] === 0xffffffff && u32[(a + 28) >>> 2] === 0xffffffff;
  }

  /**
   * PyUnicode_Append: `s += t` with the caller's reference to `s`, returning
   * the reference to the result: `s` grown in place (PyObject_Realloc, which
   * may move it) when modifiable and wide enough for `t` (not ASCII growing by
   * latin-1), else a new string and `s` released.
   */
  append(s: number, t: number): number {
    const core = this.core;
    if (this.length(s) === 0) {
      core.decref(s);
      core.incref(t);
      return t;
    }
    if (this.length(t) === 0) return s;
    const ls = this.length(s);
    const lt = this.length(t);
    const kind = this.kind(s);
    if (this.modifiable(s) && this.kind(t) <= kind && !(this.ascii(s) && !this.ascii(t))) {
      // resize_compact: the object reallocated to the new length, then t's characters after s's.
      const bytes = this.header(this.ascii(s)) + (ls + lt + 1) * kind;
      const moved = core.allocator.realloc(s, bytes);
      if (moved !== s) core.moveObject(s, moved);
      core.writeWord(moved + 16, ls + lt);
      this.copy(moved, ls, t, 0, lt);
      this.terminate(moved);
      return moved;
    }
    const r = this.concat(s, t);
    core.decref(s);
    return r;
  }

  /** _PyUnicode_JoinArray: `sep.join(items)`; one item that is a str: itself; none: the empty str. */
  join(sep: number, items: readonly number[]): number {
    const core = this.core;
    const n = items.length;
    if (n === 0) {
      const e = this.empty();
      core.incref(e);
      return e;
    }
    if (n === 1) {
      core.incref(items[0] as number);
      return items[0] as number;
    }
    let total = this.length(sep) * (n - 1);
    let maxChar = this.length(sep) > 0 ? maxCharOf(this.kind(sep), this.ascii(sep)) : 0;
    for (const item of items) {
      total += this.length(item);
      maxChar = Math.max(maxChar, maxCharOf(this.kind(item), this.ascii(item)));
    }
    const r = this.newStr(total, maxChar);
    if (total === 0) {
      core.incref(r);
      return r;
    }
    let at = 0;
    for (let i = 0; i < n; i++) {
      if (i > 0) {
        this.copy(r, at, sep, 0, this.length(sep));
        at += this.length(sep);
      }
      const item = items[i] as number;
      this.copy(r, at, item, 0, this.length(item));
      at += this.length(item);
    }
    this.terminate(r);
    return r;
  }
}

/**
 * Builtins: CPython's built-in objects over a RefCounter, with the layouts,
 * allocation sizes, growth rules, free lists and shared (immortal) objects of
 * the profile's release: int, float, str, bytes, tuple, list, dict, set, and
 * instances of user classes (instances.ts).
 *
 * Objects are made as the interpreter's C API makes them (`PyLong_FromLong`,
 * `PyFloat_FromDouble`, `PyUnicode_New`, `PyBytes_FromStringAndSize`,
 * `PyTuple_New`, `PyList_New`, `PyDict_New`), so the allocator sees the
 * same calls.
 * The interpreter's static objects (small ints, the empty str, bytes and
 * tuple, the one-character latin-1 strings and bytes, interned attribute
 * names) live in the raw allocator, as they live in the binary's data, and
 * are never freed (static-objects.ts).
 *
 * @module
 */

import { declareLayer } from "../internal/layer-state.js";
import type { ObjectCore } from "../objects/object-core.js";
import { OB_ALLOCATED, OB_SIZE, type ObjectType } from "../objects/object-type.js";
import { objectCoreOf, type RefCounter } from "../objects/ref-counter.js";
import { type BuiltinRules, builtinRules } from "./builtin-rules.js";
import { BuiltinChecks } from "./checks.js";
import { DictTables } from "./dict-tables.js";
import type { FreeList } from "./free-list.js";
import { type FreeListSizes, FreeLists } from "./free-lists.js";
import { Frozensets } from "./frozensets.js";
import { type ClassDescription, type ClassOptions, Instances } from "./instances.js";
import { digitCount, headerDigits, intAllocBytes, intAt, intSizeof, SMALL_INT_MIN } from "./int-layout.js";
import { Interning } from "./interning.js";
import { KeyReader } from "./key-reader.js";
import { SetTables } from "./set-tables.js";
import { SplitValues } from "./split-values.js";
import { StaticObjects, writeBytesHeader, writeInt } from "./static-objects.js";
import { strAllocBytes, strShape } from "./str-layout.js";
import { StrOps } from "./str-ops.js";
import { fullHash, valuesEqual } from "./values.js";

/** Options for {@link Builtins}. */
export interface BuiltinsOptions {
  /** The objects the built-ins are made of; their profile's release sets the rules. */
  objects: RefCounter;
  /**
   * PYTHONHASHSEED: the hash secret strs and bytes are hashed with (default
   * 0: no randomization). With the seed a real run used, every dict entry
   * sits in the index slot it had there.
   */
  hashSeed?: number;
}

// PyBytesObject: the var-object header, the cached hash, then the data and a NUL.
const BYTES_HEADER = 33;
const FLOAT_BYTES = 24;

// Float64 to two 32-bit words without a DataView per call.
const f64 = new Float64Array(1);
const f64Words = new Uint32Array(f64.buffer);

/**
 * The built-in objects.
 *
 * @example
 * ```ts
 * import { Builtins, RefCounter } from "pymem";
 *
 * const objects = new RefCounter();
 * const py = new Builtins({ objects });
 * const list = py.list();
 * for (let i = 0; i < 5; i++) {
 *   const item = py.int(1000 + i);
 *   py.append(list, item); // the list takes its own reference
 *   objects.decref(item);
 * }
 * console.log(py.getsizeof(list)); // 120: 56 + 8 slots (0, 4, 8, ... as CPython 3.11 grows it)
 * objects.decref(list); // frees the ints, the items block, and keeps the list on the free list
 * ```
 */
export class Builtins {
  /** The objects underneath. */
  readonly objects: RefCounter;
  /** The release's rules: layouts, sizes, free lists. */
  readonly rules: BuiltinRules;
  /** `int`, as `objects.typeOf` reports it. */
  readonly intType: ObjectType;
  /** `float`. */
  readonly floatType: ObjectType;
  /** `bool`: True and False, ints laid out as the int type's. */
  readonly boolType: ObjectType;
  /** `NoneType`. */
  readonly noneType: ObjectType;
  /** `str`. */
  readonly strType: ObjectType;
  /** `bytes`. */
  readonly bytesType: ObjectType;
  /** `tuple` (the objects' own tuple type, which their weak references' callbacks use too). */
  readonly tupleType: ObjectType;
  /** `list`. */
  readonly listType: ObjectType;
  /** `dict`. */
  readonly dictType: ObjectType;
  /** `set`. */
  readonly setType: ObjectType;
  /** `frozenset`: a set's layout and table, hashable, without the methods that change it. */
  readonly frozensetType: ObjectType;
  private readonly frozensets: Frozensets;
  private readonly core: ObjectCore;
  // Free lists (CPython's per-type free_list / numfree).
  private readonly free: FreeLists;
  private readonly dicts: DictTables;
  private readonly sets: SetTables;
  private readonly reader: KeyReader;
  private readonly strs: StrOps;
  private readonly interning: Interning;
  private readonly instances: Instances;
  private readonly check: BuiltinChecks;
  // The static objects (made on first use).
  private readonly statics: StaticObjects;

  constructor(options: BuiltinsOptions) {
    if (typeof options !== "object" || options === null) {
      throw new TypeError(`options must be an object, got ${String(options)}`);
    }
    const core = objectCoreOf(options.objects);
    if (core === undefined) throw new TypeError(`options.objects must be a RefCounter, got ${String(options.objects)}`);
    const rules = builtinRules(core.minor === 0 ? 15 : core.minor);
    if (rules === undefined) {
      throw new TypeError(`${core.profile.name} models CPython ${core.profile.python}: Builtins models 3.8 and later`);
    }
    const taken = ["int", "float", "str", "bytes", "list", "dict", "set"].filter((n) =>
      options.objects.types().some((t) => t.name === n),
    );
    if (taken.length > 0) {
      throw new TypeError(`a type named ${JSON.stringify(taken[0])} is already defined on these objects`);
    }
    if (core.freeListClearer !== undefined) throw new TypeError("these objects already have a Builtins");
    const seed = options.hashSeed ?? 0;
    if (!Number.isInteger(seed) || seed < 0 || seed > 4294967295) {
      throw new RangeError(`hashSeed must be an integer in [0, 4294967295] (PYTHONHASHSEED), got ${String(seed)}`);
    }
    const reader = new KeyReader(
      core,
      rules,
      seed,
      () => ({
        int: this.intType,
        float: this.floatType,
        str: this.strType,
        bytes: this.bytesType,
        tuple: this.tupleType,
        frozenset: this.frozensetType,
        bool: this.boolType,
        none: this.noneType,
        unhashable: [this.listType, this.dictType, this.setType],
      }),
      {
        int: (a) => this.intValue(a),
        float: (a) => this.floatValue(a),
        setHashes: (a) => this.sets.keyHashes(a),
        setsEqual: (a, b) => this.sets.equal(a, b),
      },
    );
    this.reader = reader;
    this.objects = options.objects;
    this.core = core;
    this.rules = rules;
    this.free = new FreeLists(rules);
    this.statics = new StaticObjects(
      core,
      rules,
      () => ({
        int: this.intType,
        str: this.strType,
        bytes: this.bytesType,
        tuple: this.tupleType,
        none: this.noneType,
        bool: this.boolType,
      }),
      () => this.strs,
    );
    const gcHead = core.profile.gcHeadSize;
    this.intType = core.defineNativeType(
      { name: "int" },
      {
        dispose: (a) =>
          this.free.ints.capacity > 0 &&
          headerDigits(core.u32[(a + OB_SIZE) >>> 2] as number, rules.intTagged) <= 1 &&
          this.free.ints.push(a)
            ? 0
            : a,
      },
    );
    this.floatType = core.defineNativeType({ name: "float" }, { dispose: (a) => (this.free.floats.push(a) ? 0 : a) });
    this.strType = core.defineNativeType({ name: "str" }, { dispose: (a) => this.interning.dying(a) });
    this.bytesType = core.defineType({ name: "bytes" });
    // Static objects only: nothing of theirs is ever freed.
    this.boolType = core.defineType({ name: "bool" });
    this.noneType = core.defineType({ name: "NoneType" });
    this.listType = core.defineNativeType(
      { name: "list", listLike: true, container: true },
      { dispose: (a) => (this.free.lists.push(a) ? 0 : a - gcHead) },
    );
    this.tupleType = core.types().find((t) => t.name === "tuple") as ObjectType;
    core.setNativeHooks(this.tupleType, {
      dispose: (a) => {
        const n = core.u32[(a + OB_SIZE) >>> 2] as number;
        return n <= rules.tupleFreeMaxPush && (this.free.tuples[n] as FreeList).push(a) ? 0 : a - gcHead;
      },
    });
    const dicts = new DictTables(
      core,
      rules,
      this.reader,
      {
        dict: () => this.dictType,
        isStr: (a) => core.typeAt(a) === this.strType,
        hash: (a) => reader.hashKey(a),
        hashHigh: () => reader.hashHi,
      },
      { dicts: this.free.dictObjects, keys: this.free.dictKeys },
      this.statics.emptyKeys,
      new SplitValues(core, rules.minor <= 10 ? "array" : rules.minor <= 12 ? "prefix" : "header"),
    );
    this.dicts = dicts;
    this.dictType = core.defineNativeType(
      { name: "dict", container: true },
      {
        dispose: (a) => dicts.dispose(a),
        refCount: (a) => dicts.refCount(a),
        refAt: (a, k) => dicts.refAt(a, k),
        traverseAt: (a, k) => dicts.traverseAt(a, k),
        clear: (a) => dicts.clear(a),
        untrackInFull: (a) => dicts.untrackInFull(a),
      },
    );
    const sets = new SetTables(core, this.reader, () => this.setType, this.statics.dummy, rules.setReusesDummy);
    this.sets = sets;
    const setHooks = {
      dispose: (a: number) => sets.dispose(a),
      refCount: (a: number) => sets.refCount(a),
      refAt: (a: number, k: number) => sets.refAt(a, k),
      clear: (a: number) => sets.clear(a),
    };
    this.setType = core.defineNativeType({ name: "set", container: true }, setHooks);
    this.frozensetType = core.defineNativeType({ name: "frozenset", container: true }, setHooks);
    this.frozensets = new Frozensets(core, rules, {
      sets,
      reader,
      statics: this.statics,
      free: this.free,
      frozenset: this.frozensetType,
      tuple: () => this.tupleType,
    });
    this.strs = new StrOps(
      core,
      rules,
      () => this.strType,
      () => {
        const e = this.str("");
        core.decref(e);
        return e;
      },
    );
    this.interning = new Interning(
      core,
      rules.minor,
      (a) => reader.hashOf(a),
      (a, b) => valuesEqual(reader, a, b),
    );
    this.instances = new Instances(core, rules, dicts, {
      intern: (name) => this.interning.internName(this.statics.intern(name)),
      text: (a) => (core.typeAt(a) === this.strType ? this.strValue(a) : undefined),
      hash: (a) => reader.hashKey(a),
      hashHigh: () => reader.hashHi,
    });
    this.check = new BuiltinChecks(core, this.objects, (t) => this.instances.isClass(t));
    core.freeListClearer = () => this.clearFreeLists();
    declareLayer(this, {
      kind: "builtins",
      below: options.objects,
      parts: [],
    });
  }

  /**
   * An int (`PyLong_FromLong`, or from its digits for larger values): the
   * shared small int for -5 … 256 (3.15: … 1024), else a new object.
   */
  int(v: number | bigint): number {
    if (typeof v === "number") {
      if (!Number.isSafeInteger(v)) throw new RangeError(`int value must be a safe integer or a bigint, got ${v}`);
      if (v >= SMALL_INT_MIN && v <= this.rules.smallIntMax) return this.statics.smallInt(v);
    } else if (typeof v === "bigint") {
      if (v >= BigInt(SMALL_INT_MIN) && v <= BigInt(this.rules.smallIntMax)) return this.statics.smallInt(Number(v));
    } else {
      throw new TypeError(`int value must be a number or a bigint, got ${typeof v}`);
    }
    const r = this.rules;
    const n = digitCount(v);
    const reuse = n <= 1 ? this.free.ints.pop() : 0;
    const a = this.core.newObject(this.intType, 0, intAllocBytes(n, r.intMediumBytes), reuse);
    writeInt(this.core, r.intTagged, a, v, n);
    return a;
  }

  /** A float (`PyFloat_FromDouble`): from the free list when it holds one. */
  float(v: number): number {
    if (typeof v !== "number") throw new TypeError(`float value must be a number, got ${typeof v}`);
    const a = this.core.newObject(this.floatType, 0, FLOAT_BYTES, this.free.floats.pop());
    f64[0] = v;
    this.core.u32[(a + 16) >>> 2] = f64Words[0] as number;
    this.core.u32[(a + 20) >>> 2] = f64Words[1] as number;
    return a;
  }

  /** A str (`PyUnicode_New` and its characters): the shared empty string and one-character latin-1 strings. */
  str(s: string): number {
    if (typeof s !== "string") throw new TypeError(`str value must be a string, got ${typeof s}`);
    const shape = strShape(s);
    if (shape.length === 0 || (shape.length === 1 && shape.maxChar < 256)) return this.statics.str(s, shape);
    const r = this.rules;
    const a = this.core.newObject(this.strType, 0, strAllocBytes(shape, r.strAsciiHeader, r.strCompactHeader));
    this.strs.write(a, s, shape);
    return a;
  }

  /**
   * `sys.intern(s)`: a new reference to the one str interned with the text of
   * `s` (attribute names are interned too), `s` itself when it is the first;
   * immortal in 3.12, mortal in the other releases.
   */
  intern(s: number): number {
    this.check.type(s, this.strType, "str");
    return this.interning.intern(s);
  }

  /** A new reference to None (static; immortal from 3.12). */
  none(): number {
    return this.statics.none();
  }

  /** A new reference to True or False (static ints; immortal from 3.12). */
  bool(v: boolean): number {
    if (typeof v !== "boolean") throw new TypeError(`bool needs a boolean, got ${String(v)}`);
    return this.statics.bool(v);
  }

  /** `a + b` of two strs (PyUnicode_Concat): a new reference; with one side empty, the other. */
  concat(a: number, b: number): number {
    this.check.type(a, this.strType, "str");
    this.check.type(b, this.strType, "str");
    return this.strs.concat(a, b);
  }

  /**
   * `s += t` of strs where the statement is CPython's in-place form (a local
   * rebound, as a warm loop runs it): takes the caller's reference to `s` and
   * returns the reference to the result. A str the caller alone holds, never
   * hashed, at least as wide as `t` (and not ASCII growing by latin-1), is grown
   * in place with `PyObject_Realloc`, which may move it; otherwise a new str
   * is made and `s` released.
   */
  iadd(s: number, t: number): number {
    this.check.type(s, this.strType, "str");
    this.check.type(t, this.strType, "str");
    return this.strs.append(s, t);
  }

  /** `sep.join(items)` of strs (_PyUnicode_JoinArray): one new str; one item: itself; none: the empty str. */
  join(sep: number, items: readonly number[]): number {
    this.check.type(sep, this.strType, "str");
    this.check.items(items);
    for (let i = 0; i < items.length; i++) {
      const v = items[i] as number;
      if (this.core.typeAt(v) !== this.strType) this.check.type(v, this.strType, `items[${i}]: str`);
    }
    return this.strs.join(sep, items);
  }

  /** The text of a str object. */
  strValue(address: number): string {
    this.check.type(address, this.strType, "str");
    let out = "";
    for (let i = 0, n = this.strs.length(address); i < n; i++)
      out += String.fromCodePoint(this.strs.charAt(address, i));
    return out;
  }

  /**
   * A bytes object: of `data` (`PyBytes_FromStringAndSize`, which shares the
   * empty and one-byte values), or of `data` zero bytes (`bytes(n)`: a new
   * object for any length but 0).
   */
  bytes(data: Uint8Array | number): number {
    let n: number;
    if (typeof data === "number") {
      if (!Number.isSafeInteger(data) || data < 0)
        throw new RangeError(`bytes length must be a non-negative integer, got ${data}`);
      n = data;
    } else if (data instanceof Uint8Array) {
      n = data.length;
    } else {
      throw new TypeError(`bytes data must be a Uint8Array or a length, got ${String(data)}`);
    }
    if (n === 0) return this.statics.bytes(-1);
    if (n === 1 && typeof data !== "number") return this.statics.bytes(data[0] as number);
    const a = this.core.newObject(this.bytesType, 0, BYTES_HEADER + n);
    writeBytesHeader(this.core, a, n);
    if (typeof data !== "number") this.core.memory.u8.set(data, a + 32);
    return a;
  }

  /**
   * A tuple of `items` (`PyTuple_New`, each item a new reference): the shared
   * empty tuple, or from its size's free list; 3.14+ leave a tuple of
   * objects the gc never tracks (ints, strs, ...) untracked from the start.
   */
  tuple(items: readonly number[]): number {
    this.check.items(items);
    const n = items.length;
    if (n === 0) return this.statics.emptyTuple();
    const reuse = n <= this.rules.tupleFreeMaxPop ? (this.free.tuples[n] as FreeList).pop() : 0;
    const block = reuse === 0 ? 0 : reuse - this.core.profile.gcHeadSize;
    const t = this.tupleType;
    const bytes = this.core.profile.gcHeadSize + t.slotOffset + 8 * n;
    const a = this.core.newObject(t, n, bytes, block);
    const base = a + t.slotOffset;
    let gcItems = false;
    for (let i = 0; i < n; i++) {
      const v = items[i] as number;
      this.core.incref(v);
      this.core.writeWord(base + 8 * i, v);
      if (!gcItems) gcItems = this.core.isContainerAt(v);
    }
    if (!gcItems && this.rules.tupleUntracksAtoms) this.core.untrackNow(a);
    return a;
  }

  /** A list of `items` (`PyList_New(n)` and a new reference to each), the object from the free list when it holds one. */
  list(items: readonly number[] = []): number {
    this.check.items(items);
    const n = items.length;
    const reuse = this.free.lists.pop();
    const gcHead = this.core.profile.gcHeadSize;
    const a = this.core.newObject(
      this.listType,
      n,
      gcHead + this.listType.slotOffset,
      reuse === 0 ? 0 : reuse - gcHead,
    );
    const base = this.core.slotBase(a, this.listType);
    for (let i = 0; i < n; i++) {
      const v = items[i] as number;
      this.core.incref(v);
      this.core.writeWord(base + 8 * i, v);
    }
    return a;
  }

  /** list.append (over-allocating as the release does). */
  append(list: number, item: number): void {
    this.check.type(list, this.listType, "list");
    this.check.object(item, "item");
    this.core.append(list, item);
  }

  /** list.extend with a list or tuple of `items`. */
  extend(list: number, items: readonly number[]): void {
    this.check.type(list, this.listType, "list");
    this.objects.extend(list, items);
  }

  /** list.pop(): the last item; its reference passes to the caller. */
  pop(list: number): number {
    this.check.type(list, this.listType, "list");
    if (this.core.slotCount(list, this.listType) === 0) throw new RangeError("pop from empty list");
    return this.core.pop(list);
  }

  /**
   * A dict: empty (`PyDict_New`: from the free list when it holds one, untracked), or the display `{k: v, ...}` of
   * `entries` (BUILD_MAP's `_PyDict_FromItems`, presized past five entries; docs/builtins.md says how).
   * @throws TypeError for an unhashable key, before anything is made
   */
  dict(entries?: ReadonlyArray<readonly [number, number]>): number {
    if (entries === undefined) return this.dicts.newDict();
    const [lo, hi] = this.check.entries(
      entries,
      (k) => this.reader.hashOf(k),
      () => this.reader.hashHi,
    );
    return this.dicts.fromItems(entries, lo, hi, this.rules.stackScratchMax);
  }

  /**
   * `d[key] = value` (insertdict): the dict takes a reference to both (an
   * equal key already there is kept, the value replaced); resizes as the
   * release does.
   * @throws TypeError for an unhashable key (a list, a dict)
   */
  setItem(dict: number, key: number, value: number): void {
    this.check.type(dict, this.dictType, "dict");
    this.check.object(key, "key");
    this.check.object(value, "value");
    const lo = this.reader.hashOf(key);
    this.dicts.setItem(dict, key, value, lo, this.reader.hashHi);
  }

  /** `d[key]`: the value (a borrowed reference), or 0 when the key is absent. */
  getItem(dict: number, key: number): number {
    this.check.type(dict, this.dictType, "dict");
    this.check.object(key, "key");
    const lo = this.reader.hashOf(key);
    return this.dicts.getItem(dict, key, lo, this.reader.hashHi);
  }

  /**
   * `del d[key]`: the entry becomes a dummy; the key and value are released.
   * @throws RangeError when the key is absent (Python's KeyError)
   */
  delItem(dict: number, key: number): void {
    this.check.type(dict, this.dictType, "dict");
    this.check.object(key, "key");
    const lo = this.reader.hashOf(key);
    if (!this.dicts.delItem(dict, key, lo, this.reader.hashHi)) {
      throw new RangeError(`KeyError: key ${key} (a ${this.objects.typeOf(key).name}) is not in the dict`);
    }
  }

  /** An empty set (`set()`): a new 216-byte gc object with its inline table of 8 entries, tracked. */
  set(): number {
    return this.sets.newSet();
  }

  /**
   * `frozenset(items)` (make_new_frozenset): a new frozenset holding each
   * item once, added in order as from any iterable (the set's resize rule);
   * with no items, 3.8–3.9 give the one shared empty frozenset (`frozenset([])`
   * makes an empty set and drops it first, as they do). 3.15 untracks a new
   * frozenset whose items the gc would never track. Items are hashed before
   * anything is made, so an unhashable one changes nothing. Given an object:
   * `frozenset(f)` of a frozenset is `f`, of a set its table merged in
   * (copied slot for slot when it has no dummies), of a dict its keys.
   * @throws TypeError for an unhashable item, or an object other than a set, frozenset or dict
   */
  frozenset(items?: readonly number[] | number): number {
    if (typeof items === "number") {
      const t = this.objects.typeOf(items);
      if (t === this.frozensetType || t === this.setType) {
        return this.frozensets.makeOf(items, t === this.setType ? "set" : "frozenset");
      }
      if (t === this.dictType) return this.frozensets.makeOf(items, "dict", this.dicts.keys(items));
      throw new TypeError(`frozenset of an object takes a set, frozenset or dict, got a ${t.name} at ${items}`);
    }
    if (items !== undefined) {
      this.check.items(items);
      for (let i = 0; i < items.length; i++) this.reader.hashOf(items[i] as number);
    }
    return this.frozensets.make(items);
  }

  /**
   * `s.add(item)`: the set takes a reference unless it holds an equal item;
   * a removed item's slot on the way is taken back; resizes as CPython does.
   * @throws TypeError for an unhashable item
   */
  add(set: number, item: number): void {
    this.check.type(set, this.setType, "set");
    this.check.object(item, "item");
    const lo = this.reader.hashOf(item);
    this.sets.add(set, item, lo, this.reader.hashHi);
  }

  /** `s.discard(item)`: the item's entry becomes the dummy and the item is released; nothing when absent. */
  discard(set: number, item: number): void {
    this.check.type(set, this.setType, "set");
    this.check.object(item, "item");
    const lo = this.reader.hashOf(item);
    this.sets.discard(set, item, lo, this.reader.hashHi);
  }

  /**
   * `o.clear()` of a list, dict or set (`_list_clear`, `PyDict_Clear`,
   * `set_clear_internal`, which are also what the gc calls on garbage): the
   * object empties itself, then releases what it held and frees its table.
   */
  clear(address: number): void {
    const t = this.objects.typeOf(address);
    if (t !== this.listType && t !== this.dictType && t !== this.setType) {
      throw new TypeError(`clear needs a list, dict or set, got a ${t.name} at ${address}`);
    }
    this.core.clearObject(address, t);
  }

  /**
   * `list(o)` of a dict or set, as addresses (borrowed): a dict's keys in
   * insertion order, a set's items in the order of its table, which CPython
   * iterates (and which the hash seed decides).
   */
  keys(address: number): number[] {
    const t = this.objects.typeOf(address);
    if (t === this.dictType) return this.dicts.keys(address);
    if (t === this.setType || t === this.frozensetType) return this.sets.items(address);
    throw new TypeError(`keys needs a dict, set or frozenset, got a ${t.name} at ${address}`);
  }

  /** `item in s` of a set or frozenset. */
  contains(set: number, item: number): boolean {
    if (this.objects.typeOf(set) !== this.frozensetType) this.check.type(set, this.setType, "set");
    this.check.object(item, "item");
    const lo = this.reader.hashOf(item);
    return this.sets.contains(set, item, lo, this.reader.hashHi);
  }

  /**
   * A class, as `class Name: pass` (instances with a `__dict__` and a
   * `__weakref__`) or `class Name: __slots__ = slots` (member slots, no dict;
   * a weaklist when `"__weakref__"` is among them) makes it: the handle of
   * its type, which {@link Builtins.instance} takes. A class with a
   * `__dict__` makes its shared keys (`ht_cached_keys`: 168 bytes up to
   * 3.10, 768 from 3.11); nothing else of the class object is simulated.
   * @throws TypeError for a bad name or slots (not identifiers, repeated, or `"__dict__"`)
   */
  newClass(name: string, options?: ClassOptions): ObjectType {
    return this.instances.newClass(name, options);
  }

  /**
   * `cls()`: a new instance, tracked by the gc. 3.11–3.12 also allocate its
   * values array, 3.13+ hold the values inside the object, sized by the
   * class's shared keys as they are now.
   */
  instance(cls: ObjectType): number {
    this.check.cls(cls);
    return this.instances.instance(cls);
  }

  /**
   * `o.name = value`: a member slot of a `__slots__` class, else the
   * instance's attributes (its values, or its dict, made at the first store
   * up to 3.10), taking a reference to `value`.
   * @throws RangeError (Python's AttributeError) for a name a `__slots__` class lacks
   */
  setAttr(obj: number, name: string, value: number): void {
    this.check.attr(obj, name, true);
    this.check.object(value, "value");
    if (!this.instances.setAttr(obj, name, value)) {
      throw new RangeError(`AttributeError: '${this.core.typeAt(obj).name}' object has no attribute '${name}'`);
    }
  }

  /** `o.name` of an instance's own attributes (a borrowed reference), 0 when it has none. */
  getAttr(obj: number, name: string): number {
    this.check.attr(obj, name, true);
    return this.instances.getAttr(obj, name);
  }

  /**
   * `del o.name`: the attribute's reference released.
   * @throws RangeError (Python's AttributeError) when the instance has no such attribute
   */
  delAttr(obj: number, name: string): void {
    this.check.attr(obj, name, true);
    if (this.instances.getAttr(obj, name) === 0) {
      throw new RangeError(`AttributeError: '${this.core.typeAt(obj).name}' object has no attribute '${name}'`);
    }
    this.instances.setAttr(obj, name, 0);
  }

  /**
   * `o.__dict__`: a new reference to the instance's dict, made when it has
   * none (3.11+ over its values, which it then shares).
   * @throws TypeError for an instance of a `__slots__` class
   */
  instanceDict(obj: number): number {
    this.check.attr(obj, "__dict__");
    if (!this.instances.hasDict(obj)) {
      throw new TypeError(`'${this.core.typeAt(obj).name}' object (${obj}) has no attribute '__dict__'`);
    }
    return this.instances.instanceDict(obj);
  }

  /** A class's slots, layout, shared keys (their address) and live instances, as they are now. */
  classInfo(cls: ObjectType): ClassDescription {
    this.check.cls(cls);
    return this.instances.describe(cls);
  }

  /**
   * The class goes: it lets go of its shared keys (freed once no dict holds
   * them), and makes no more instances.
   * @throws TypeError while an instance of it is alive
   */
  dropClass(cls: ObjectType): void {
    this.check.cls(cls);
    const n = this.instances.liveInstances(cls);
    if (n > 0) throw new TypeError(`class ${cls.name} still has ${n} live instance(s)`);
    this.instances.dropClass(cls);
  }

  /**
   * `hash(o)`: CPython's hash of an int, float, str, bytes or tuple of them
   * (strs and bytes under the `hashSeed`), or of any other object by its
   * address, as `object.__hash__`.
   * @throws TypeError for an unhashable object (a list, a dict, a tuple holding one)
   */
  hash(address: number): bigint {
    const t = this.objects.typeOf(address);
    if (t === this.strType || t === this.bytesType) {
      // Computed once and kept in the object, as CPython keeps it (which bars a str from growing in place).
      const lo = this.reader.hashKey(address);
      return BigInt.asIntN(64, (BigInt(this.reader.hashHi) << 32n) | BigInt(lo));
    }
    const h = fullHash(this.reader, address);
    if (h === undefined) throw new TypeError(`unhashable type: '${this.core.typeAt(address).name}' (${address})`);
    return h;
  }

  /** `len(o)` of a dict, list, tuple, str or bytes. */
  len(address: number): number {
    const t = this.objects.typeOf(address);
    if (t === this.dictType) return this.dicts.used(address);
    if (t === this.setType || t === this.frozensetType) return this.sets.used(address);
    if (t === this.listType || t === this.tupleType || t === this.bytesType) {
      return this.core.u32[(address + OB_SIZE) >>> 2] as number;
    }
    if (t === this.strType) return this.core.readWord(address + 16);
    throw new TypeError(`object of type '${t.name}' has no len()`);
  }

  /** `sys.getsizeof`: the object's `__sizeof__` plus its gc head; for other types, their instance size. */
  getsizeof(address: number): number {
    const t = this.objects.typeOf(address);
    const u32 = this.core.u32;
    const r = this.rules;
    const gcHead = this.core.profile.gcHeadSize;
    switch (t) {
      case this.intType:
      case this.boolType:
        return intSizeof(headerDigits(u32[(address + OB_SIZE) >>> 2] as number, r.intTagged), r.intSizeofMinDigits);
      case this.floatType:
        return FLOAT_BYTES;
      case this.bytesType:
        return BYTES_HEADER + (u32[(address + OB_SIZE) >>> 2] as number);
      case this.tupleType:
        return gcHead + t.slotOffset + 8 * (u32[(address + OB_SIZE) >>> 2] as number);
      case this.listType:
        return gcHead + t.slotOffset + 8 * this.core.readWord(address + OB_ALLOCATED);
      case this.strType:
        return this.strs.sizeof(address);
      case this.dictType:
        return this.dicts.sizeof(address);
      case this.setType:
      case this.frozensetType:
        return this.sets.sizeof(address);
      default:
        if (this.instances.isClass(t)) return this.instances.sizeof(address);
        return (
          (t.container ? gcHead : 0) +
          t.slotOffset +
          (t.listLike ? 8 * this.objects.capacity(address) : 8 * this.objects.size(address)) +
          t.dataBytes
        );
    }
  }

  /** The value of an int object. */
  intValue(address: number): number | bigint {
    if (!(this.core.isAlive(address) && this.core.typeAt(address) === this.boolType)) {
      this.check.type(address, this.intType);
    }
    return intAt(this.core.u32, address, this.rules.intTagged);
  }

  /** The value of a float object. */
  floatValue(address: number): number {
    this.check.type(address, this.floatType);
    f64Words[0] = this.core.u32[(address + 16) >>> 2] as number;
    f64Words[1] = this.core.u32[(address + 20) >>> 2] as number;
    return f64[0] as number;
  }

  /** How many dead objects each free list keeps, as `sys._debugmallocstats()` reports them. */
  freeListSizes(): FreeListSizes {
    return this.free.sizes();
  }

  /** clear_freelists: frees what every free list keeps, in the release's order, most recently kept first. */
  clearFreeLists(): void {
    this.free.clear(this.core);
  }
}

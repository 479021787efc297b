/**
 * A layer's state, field by field: captured as copies, put back in place,
 * and written to and read from JSON with binary blobs. What is state is what
 * each layer declares (internal/layer-state.ts): the named fields of the
 * objects that hold it, nothing else.
 *
 * @module
 */

import type { LayerRecord } from "../internal/layer-state.js";

type TypedArray =
  | Uint8Array
  | Int8Array
  | Uint16Array
  | Int16Array
  | Uint32Array
  | Int32Array
  | Float32Array
  | Float64Array
  | BigInt64Array
  | BigUint64Array;

const TYPED: Record<string, new (n: number) => TypedArray> = {
  Uint8Array,
  Int8Array,
  Uint16Array,
  Int16Array,
  Uint32Array,
  Int32Array,
  Float32Array,
  Float64Array,
};

function isTypedArray(v: unknown): v is TypedArray {
  return ArrayBuffer.isView(v) && !(v instanceof DataView);
}

/** A copy that shares nothing mutable with `v`; functions and frozen objects (types, profiles) are shared. */
function copy<T>(v: T): T {
  if (typeof v !== "object" || v === null || Object.isFrozen(v)) return v;
  if (isTypedArray(v)) return v.slice() as T;
  if (Array.isArray(v)) return v.map(copy) as T;
  if (v instanceof Set) return new Set([...v].map(copy)) as T;
  if (v instanceof Map) return new Map([...v].map(([k, x]) => [k, copy(x)])) as T;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v)) out[k] = copy((v as Record<string, unknown>)[k]);
  return out as T;
}

/** The object holding `field` of the layer's declared state, or undefined when it declares no such field. */
function holderOf(layer: LayerRecord, field: string): Record<string, unknown> | undefined {
  const part = layer.parts.find((p) => p.state.includes(field));
  return part?.owner as Record<string, unknown> | undefined;
}

/** The state of a layer: a copy of every field it declares as state, in one record. */
export function captureLayer(layer: LayerRecord): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const part of layer.parts) {
    const owner = part.owner as Record<string, unknown>;
    for (const field of part.state) out[field] = copy(owner[field]);
  }
  return out;
}

function kindOf(v: unknown): string {
  if (v === null) return "null";
  if (typeof v !== "object") return typeof v;
  if (isTypedArray(v)) return v.constructor.name;
  if (Array.isArray(v)) return "an array";
  if (v instanceof Set) return "a set";
  if (v instanceof Map) return "a map";
  return "a record";
}

/**
 * Throws unless the captured fields are exactly those the layer declares as
 * state, each of the same kind: a snapshot from another build (or a forged
 * one) cannot leave state out, write over a layer's settings or wiring, or
 * put a number where an array belongs.
 */
export function checkLayer(layer: LayerRecord, fields: Record<string, unknown>, name: string): void {
  for (const [key, v] of Object.entries(fields)) {
    const holder = holderOf(layer, key);
    if (holder === undefined) {
      throw new RangeError(`the snapshot's ${name} holds ${JSON.stringify(key)}, which this ${name} does not keep`);
    }
    const cur = holder[key];
    if (kindOf(v) !== kindOf(cur)) {
      throw new RangeError(`the snapshot's ${name}.${key} is ${kindOf(v)}; this ${name}'s is ${kindOf(cur)}`);
    }
  }
  for (const part of layer.parts) {
    const missing = part.state.find((f) => !Object.hasOwn(fields, f));
    if (missing !== undefined) {
      throw new RangeError(`the snapshot's ${name} lacks ${JSON.stringify(missing)}, which this ${name} keeps`);
    }
  }
}

/**
 * Puts captured fields back. Arrays, sets, maps and typed arrays of the same
 * shape are refilled in place, so references users hold (as `gc.garbage`)
 * stay the live ones.
 */
export function restoreLayer(layer: LayerRecord, fields: Record<string, unknown>): void {
  for (const [key, v] of Object.entries(fields)) {
    const o = holderOf(layer, key) as Record<string, unknown>;
    const cur = o[key];
    if (isTypedArray(v) && isTypedArray(cur) && cur.constructor === v.constructor && cur.length === v.length) {
      (cur as Uint8Array).set(v as Uint8Array);
    } else if (Array.isArray(v) && Array.isArray(cur)) {
      cur.length = 0;
      for (const x of v) cur.push(copy(x));
    } else if (v instanceof Set && cur instanceof Set) {
      cur.clear();
      for (const x of v) cur.add(copy(x));
    } else if (v instanceof Map && cur instanceof Map) {
      cur.clear();
      for (const [k, x] of v) cur.set(k, copy(x));
    } else {
      o[key] = copy(v);
    }
  }
}

// ------------------------------------------------------------- serialization

/** How a function found in the state is named, so that a reader can bind its own in its place. */
export type FunctionLabel = { kind: "finalize"; type: string } | { kind: "callback"; weakref: number };

/** A snapshot's finalizer or weakref callback that nobody supplied: the caller's to fix, not corruption. */
export class MissingFunctionError extends TypeError {
  override name = "TypeError";
}

/** Supplies the functions a serialized state cannot carry. */
export type FunctionBinder = (label: FunctionLabel) => ((arg: number) => void) | undefined;

/** Where encoding puts binary data (by index), and the frozen records already written (by identity). */
export interface Encoder {
  add(bytes: Uint8Array): number;
  readonly frozen: Map<object, number>;
}

/** The blobs' bytes by index, the frozen records read so far, and who supplies functions. */
export interface Decoder {
  blob(i: number): Uint8Array;
  readonly frozen: Map<number, object>;
  bind: FunctionBinder;
  /** A record to use in place of a decoded frozen one (the library's own profile objects). */
  intern(record: object): object;
}

/** JSON for a captured value; typed arrays go to blobs, a frozen record shared by several fields is written once. */
export function encodeValue(v: unknown, blobs: Encoder, path: string, label?: FunctionLabel): unknown {
  if (v === undefined) return { $: "u" };
  if (typeof v === "number") return Number.isFinite(v) ? v : { $: "n", v: String(v) };
  if (typeof v === "boolean" || typeof v === "string" || v === null) return v;
  if (typeof v === "function") {
    if (label === undefined) throw new TypeError(`cannot serialize the function at ${path}`);
    return { $: "f", label };
  }
  if (typeof v !== "object") throw new TypeError(`cannot serialize ${typeof v} at ${path}`);
  if (isTypedArray(v)) {
    const name = v.constructor.name;
    if (!(name in TYPED)) throw new TypeError(`cannot serialize a ${name} at ${path}`);
    return { $: "t", type: name, blob: blobs.add(new Uint8Array(v.buffer, v.byteOffset, v.byteLength)) };
  }
  if (Array.isArray(v)) return v.map((x, i) => encodeValue(x, blobs, `${path}[${i}]`));
  if (v instanceof Set) return { $: "s", v: [...v].map((x, i) => encodeValue(x, blobs, `${path}{${i}}`)) };
  if (v instanceof Map) {
    return {
      $: "m",
      v: [...v].map(([k, x]) => [
        encodeValue(k, blobs, `${path} key`),
        encodeValue(x, blobs, `${path}.get(${String(k)})`, { kind: "callback", weakref: Number(k) }),
      ]),
    };
  }
  const seen = blobs.frozen.get(v);
  if (seen !== undefined) return { $: "r", id: seen };
  const id = blobs.frozen.size;
  if (Object.isFrozen(v)) blobs.frozen.set(v, id);
  const rec = v as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(rec)) {
    const fnLabel: FunctionLabel | undefined =
      k === "finalize" && typeof rec.name === "string" ? { kind: "finalize", type: rec.name } : undefined;
    out[k] = encodeValue(rec[k], blobs, `${path}.${k}`, fnLabel);
  }
  return Object.isFrozen(v) ? { $: "z", id, v: out } : { $: "o", v: out };
}

/** How deep a layer's state nests (records in arrays in fields): deeper input is not a snapshot. */
const MAX_DEPTH = 32;

/** A captured value from its JSON. */
export function decodeValue(j: unknown, d: Decoder, path: string, depth = 0): unknown {
  if (depth > MAX_DEPTH) throw new RangeError(`corrupt snapshot: ${path} nests too deep`);
  if (typeof j !== "object" || j === null) return j;
  if (Array.isArray(j)) return j.map((x, i) => decodeValue(x, d, `${path}[${i}]`, depth + 1));
  const m = j as { $?: string; v?: unknown; type?: string; blob?: number; id?: number; label?: FunctionLabel };
  switch (m.$) {
    case "u":
      return undefined;
    case "n":
      return Number(m.v);
    case "f": {
      const fn = m.label === undefined ? undefined : d.bind(m.label);
      if (typeof fn !== "function") {
        const what =
          m.label?.kind === "finalize"
            ? `type ${m.label.type} has a finalizer: pass it as options.finalizers[${JSON.stringify(m.label.type)}]`
            : m.label?.kind === "callback"
              ? `weakref ${m.label.weakref} has a callback: pass options.weakrefCallback to supply it`
              : `a function at ${path} cannot be restored`;
        throw new MissingFunctionError(`the snapshot's ${what}`);
      }
      return fn;
    }
    case "t": {
      const Ctor = TYPED[m.type as string];
      if (Ctor === undefined || typeof m.blob !== "number") throw new RangeError(`bad typed array at ${path}`);
      const bytes = d.blob(m.blob);
      const width = (Ctor as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT;
      if (bytes.byteLength % width !== 0) throw new RangeError(`typed array at ${path} has a partial element`);
      const out = new Ctor(bytes.byteLength / width);
      new Uint8Array(out.buffer).set(bytes);
      return out;
    }
    case "s":
      if (!Array.isArray(m.v)) throw new RangeError(`corrupt snapshot: ${path} is not a set`);
      return new Set(m.v.map((x, i) => decodeValue(x, d, `${path}{${i}}`, depth + 1)));
    case "m":
      if (!Array.isArray(m.v) || !m.v.every((e) => Array.isArray(e) && e.length === 2)) {
        throw new RangeError(`corrupt snapshot: ${path} is not a map`);
      }
      return new Map(
        (m.v as Array<[unknown, unknown]>).map(([k, x]) => [
          decodeValue(k, d, `${path} key`, depth + 1),
          decodeValue(x, d, `${path}.get(${String(k)})`, depth + 1),
        ]),
      );
    case "r": {
      const shared = d.frozen.get(m.id as number);
      if (shared === undefined) throw new RangeError(`reference to an unknown record ${String(m.id)} at ${path}`);
      return shared;
    }
    case "o":
    case "z": {
      if (typeof m.v !== "object" || m.v === null || Array.isArray(m.v)) {
        throw new RangeError(`corrupt snapshot: ${path} is not a record`);
      }
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(m.v as Record<string, unknown>)) {
        out[k] = decodeValue(x, d, `${path}.${k}`, depth + 1);
      }
      if (m.$ === "o") return out;
      const frozen = d.intern(Object.freeze(out));
      d.frozen.set(m.id as number, frozen);
      return frozen;
    }
    default:
      throw new RangeError(`unknown value tag ${JSON.stringify(m.$)} at ${path}`);
  }
}

/**
 * The captured value with its functions replaced where `bind` supplies new
 * ones: finalizers of frozen type records (a record is replaced by one copy,
 * wherever it is shared) and the values of maps (weakref callbacks).
 */
export function rebindFunctions(v: unknown, bind: FunctionBinder, memo = new Map<object, unknown>()): unknown {
  if (typeof v !== "object" || v === null || isTypedArray(v) || v instanceof Set) return v;
  const known = memo.get(v);
  if (known !== undefined) return known;
  let out: unknown;
  if (Array.isArray(v)) {
    out = v.map((x) => rebindFunctions(x, bind, memo));
  } else if (v instanceof Map) {
    out = new Map(
      [...v].map(([k, x]) => [
        k,
        typeof x === "function"
          ? (bind({ kind: "callback", weakref: Number(k) }) ?? x)
          : rebindFunctions(x, bind, memo),
      ]),
    );
  } else if (Object.isFrozen(v)) {
    const rec = v as Record<string, unknown>;
    const fn =
      typeof rec.finalize === "function" && typeof rec.name === "string"
        ? bind({ kind: "finalize", type: rec.name })
        : undefined;
    out = fn === undefined ? v : Object.freeze({ ...rec, finalize: fn });
  } else {
    const rec: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) rec[k] = rebindFunctions(x, bind, memo);
    out = rec;
  }
  memo.set(v, out);
  return out;
}

/**
 * Seeded construction sequences of built-in objects, run three ways: as a
 * Python program (straight-line code, so each construction is the bytecode
 * CPython runs for it: BUILD_TUPLE, BUILD_LIST, list.append, ...), and
 * with pymem's {@link Builtins}. Each step records `sys.getsizeof` of the
 * object it made or changed.
 *
 * No vitest here: tools import it too.
 */
import { spawnSync } from "node:child_process";
import {
  BlockAllocator,
  Builtins,
  type CycleCollector,
  CycleCollector as Gc,
  type ObjectType,
  type Profile,
  RefCounter,
  TraceRecorder,
} from "../../src/index.js";
import { stdinProgram } from "../support/python.js";
import { intIn, pickOne, rng } from "../support/random.js";
import { Registers } from "./registers.js";

const REGISTERS = 12;

/** One step: the register it writes or changes, and what it does. */
export type Step =
  | { op: "int"; dst: number; value: bigint }
  | { op: "float"; dst: number; value: number }
  | { op: "str"; dst: number; value: string }
  | { op: "bytes"; dst: number; length: number }
  | { op: "byte"; dst: number; value: number }
  /** `r = None`, `r = True`, `r = False`: the static objects. */
  | { op: "none"; dst: number }
  | { op: "bool"; dst: number; value: boolean }
  | { op: "tuple"; dst: number; items: number[] }
  | { op: "list"; dst: number; items: number[] }
  | { op: "append"; dst: number; item: number }
  | { op: "extend"; dst: number; items: number[] }
  | { op: "pop"; dst: number }
  | { op: "dict"; dst: number }
  | { op: "setitem"; dst: number; key: number; value: number }
  | { op: "delitem"; dst: number; key: number }
  | { op: "set"; dst: number }
  | { op: "add"; dst: number; item: number }
  | { op: "discard"; dst: number; item: number }
  | { op: "clear"; dst: number }
  | { op: "del"; dst: number }
  | { op: "concat"; dst: number; a: number; b: number }
  | { op: "iadd"; dst: number; item: number }
  | { op: "join"; dst: number; sep: number; items: number[] }
  /** `s += part` for each part, in a warm `while` loop (CPython's in-place form); the parts are made beforehand. */
  | { op: "iaddLoop"; dst: number; parts: string[] }
  /** `"".join(parts)` of parts made beforehand (a tuple constant). */
  | { op: "joinParts"; dst: number; parts: string[] }
  /** gc.collect(): a full collection, which empties the free lists. */
  | { op: "collect"; dst: number }
  /** `r = C()`: an instance of {@link CLASSES}[cls]. */
  | { op: "object"; dst: number; cls: number }
  /** `r.name = value`. */
  | { op: "setattr"; dst: number; name: string; value: number }
  /** `del r.name`. */
  | { op: "delattr"; dst: number; name: string }
  /** `r = src.__dict__`. */
  | { op: "getdict"; dst: number; src: number }
  /** `r = frozenset([items])`, or `frozenset()` without items. */
  | { op: "frozenset"; dst: number; items?: number[] }
  /** `r = frozenset(src)` of a register holding a set, frozenset or dict. */
  | { op: "frozensetOf"; dst: number; src: number }
  /** `r = {k: v, ...}`: a dict display of [key register, value register] pairs. */
  | { op: "dictDisplay"; dst: number; entries: Array<[number, number]> }
  /** `r = sys.intern(src)`. */
  | { op: "intern"; dst: number; src: number };

/**
 * The classes instance steps make, defined afresh by each sequence (a class's
 * shared keys change as its instances are made and given attributes): two
 * plain classes, a `__slots__` class, and one with a slot and a weaklist.
 */
export const CLASSES: ReadonlyArray<{ name: string; slots?: readonly string[]; del?: boolean }> = [
  { name: "A" },
  { name: "C" },
  { name: "B", slots: ["x", "y"] },
  { name: "W", slots: ["x", "__weakref__"] },
  // `def __del__(self): pass`: a finalizer that runs no code of its own.
  { name: "D", del: true },
];

/** The member slots of class `cls` (without `__weakref__`), empty for a class with a `__dict__`. */
export function slotNames(cls: number): string[] {
  return (CLASSES[cls]?.slots ?? []).filter((s) => s !== "__weakref__");
}

/** Whether the steps make instances (and so define the classes). */
export function usesClasses(steps: readonly Step[]): boolean {
  return steps.some((s) => s.op === "object");
}

/** The Python statements defining {@link CLASSES}, indented by `indent`. */
export function classDefinitions(indent: string): string[] {
  return CLASSES.flatMap((c) =>
    c.del === true
      ? [`${indent}class ${c.name}:`, `${indent}    def __del__(self): pass`]
      : c.slots === undefined
        ? [`${indent}class ${c.name}: pass`]
        : [`${indent}class ${c.name}: __slots__ = (${c.slots.map((n) => JSON.stringify(n)).join(", ")},)`],
  );
}

/** Code points of a kind: ASCII, latin-1 above ASCII, the BMP beyond latin-1 (surrogates too), beyond the BMP. */
function codePoint(rand: () => number, kind: number): number {
  if (kind === 0) return intIn(rand, 0, 0x7f);
  if (kind === 1) return intIn(rand, 0x80, 0xff);
  if (kind === 2) return rand() < 0.05 ? intIn(rand, 0xd800, 0xdfff) : intIn(rand, 0x100, 0xffff);
  return intIn(rand, 0x10000, 0x10ffff);
}

function randomStr(rand: () => number): string {
  const length = pickOne(rand, [0, 1, 1, 2, 3, intIn(rand, 4, 20), intIn(rand, 20, 300)]);
  const top = intIn(rand, 0, 3);
  const codes: number[] = [];
  for (let i = 0; i < length; i++) codes.push(codePoint(rand, i === 0 ? top : intIn(rand, 0, top)));
  // A lone surrogate next to another would pair up in JavaScript: keep them apart.
  for (let i = 1; i < codes.length; i++) {
    const a = codes[i - 1] as number;
    const b = codes[i] as number;
    if (a >= 0xd800 && a < 0xdc00 && b >= 0xdc00 && b < 0xe000) codes[i] = 0x41;
  }
  return String.fromCodePoint(...codes);
}

function randomInt(rand: () => number): bigint {
  const digits = pickOne(rand, [0, 1, 1, 2, 2, 3, intIn(rand, 4, 12), intIn(rand, 12, 60)]);
  // Small ints (shared; 3.15 shares up to 1024).
  if (digits === 0) return BigInt(rand() < 0.7 ? intIn(rand, -5, 256) : intIn(rand, 257, 1100));
  let v = 0n;
  for (let i = 0; i < digits; i++) v = (v << 30n) | BigInt(intIn(rand, i === digits - 1 ? 1 : 0, 2 ** 30 - 1));
  // Boundaries: 2**(30k) - 1 and 2**(30k).
  if (rand() < 0.1) v = (1n << BigInt(30 * digits)) - (rand() < 0.5 ? 1n : 0n);
  return rand() < 0.3 ? -v : v;
}

/** A sequence of `length` steps from `seed`. */
/**
 * `length` seeded steps: each round draws `x` in [0, 1) and a register `dst`,
 * then `next` picks the step from them and the registers as the steps so far
 * leave them.
 */
function seeded(
  seed: number,
  length: number,
  next: (rand: () => number, regs: Registers, x: number, dst: number) => Step,
): Step[] {
  const rand = rng(seed);
  const steps: Step[] = [];
  const regs = new Registers(REGISTERS);
  for (let k = 0; k < length; k++) {
    const x = rand();
    const dst = intIn(rand, 0, REGISTERS - 1);
    const step = next(rand, regs, x, dst);
    regs.apply(step);
    steps.push(step);
  }
  return steps;
}

export function constructionSequence(seed: number, length: number): Step[] {
  return seeded(seed, length, (rand, regs, x, dst) => {
    const someItems = (max: number) => {
      const live = regs.live();
      const n = live.length === 0 ? 0 : intIn(rand, 0, max);
      return Array.from({ length: n }, () => pickOne(rand, live));
    };
    const lists = regs.lists();
    const dicts = regs.dicts();
    const keys = regs.hashable();
    const live = regs.live();
    let step: Step;
    if (x < 0.1 || live.length === 0) step = { op: "int", dst, value: randomInt(rand) };
    else if (x < 0.13) step = { op: "float", dst, value: (rand() - 0.5) * 10 ** intIn(rand, 0, 30) };
    else if (x < 0.25) step = { op: "str", dst, value: randomStr(rand) };
    else if (x < 0.28) step = { op: "bytes", dst, length: pickOne(rand, [0, 1, 2, intIn(rand, 3, 700)]) };
    else if (x < 0.29) step = { op: "byte", dst, value: intIn(rand, 0, 255) };
    else if (x < 0.3) step = rand() < 0.3 ? { op: "none", dst } : { op: "bool", dst, value: rand() < 0.5 };
    else if (x < 0.37) step = { op: "tuple", dst, items: someItems(pickOne(rand, [3, 25])) };
    else if (x < 0.43) step = { op: "list", dst, items: someItems(pickOne(rand, [3, 40])) };
    else if (lists.length > 0 && x < 0.56)
      step = { op: "append", dst: pickOne(rand, lists), item: pickOne(rand, live) };
    else if (lists.length > 0 && x < 0.6) step = { op: "extend", dst: pickOne(rand, lists), items: someItems(40) };
    else if (regs.lists(true).length > 0 && x < 0.68) step = { op: "pop", dst: pickOne(rand, regs.lists(true)) };
    else if (x < 0.69) step = { op: "dict", dst };
    else if (keys.length > 0 && x < 0.71) {
      const n = intIn(rand, 0, 15);
      step = {
        op: "dictDisplay",
        dst,
        entries: Array.from({ length: n }, () => [pickOne(rand, keys), pickOne(rand, live)]),
      };
    } else if (dicts.length > 0 && keys.length > 0 && x < 0.88) {
      step = { op: "setitem", dst: pickOne(rand, dicts), key: pickOne(rand, keys), value: pickOne(rand, live) };
    } else if (dicts.length > 0 && x < 0.95) {
      const d = pickOne(rand, dicts);
      const present = regs.keysIn(d);
      step = present.length > 0 ? { op: "delitem", dst: d, key: pickOne(rand, present) } : { op: "dict", dst };
    } else if (regs.has(dst)) step = { op: "del", dst };
    else step = { op: "int", dst, value: randomInt(rand) };
    // A share of the steps go to sets instead: made, grown, and emptied in part.
    const y = rand();
    const sets = regs.sets();
    if (y < 0.03) step = { op: "set", dst };
    else if (y < 0.035 && sets.length + regs.dicts().length + lists.length > 0) {
      step = { op: "clear", dst: pickOne(rand, [...sets, ...regs.dicts(), ...lists]) };
    } else if (y < 0.11 && sets.length > 0 && keys.length > 0)
      step = { op: "add", dst: pickOne(rand, sets), item: pickOne(rand, keys) };
    else if (y < 0.15 && sets.length > 0 && keys.length > 0) {
      const s = pickOne(rand, sets);
      const present = regs.keysIn(s);
      step = {
        op: "discard",
        dst: s,
        item: present.length > 0 && rand() < 0.8 ? pickOne(rand, present) : pickOne(rand, keys),
      };
    }
    // Now and then a full collection (which untracks dicts of atoms up to 3.13, and empties the free lists).
    if (rand() < 0.01) step = { op: "collect", dst };
    // And some to strs: concatenated, grown by +=, joined.
    const strs = regs.strs();
    const z = rand();
    if (strs.length > 0 && z < 0.03) step = { op: "concat", dst, a: pickOne(rand, strs), b: pickOne(rand, strs) };
    else if (strs.length > 1 && z < 0.06) {
      const target = pickOne(rand, strs);
      step = { op: "iadd", dst: target, item: pickOne(rand, strs) };
    } else if (strs.length > 0 && z < 0.075) {
      step = {
        op: "join",
        dst,
        sep: pickOne(rand, strs),
        items: Array.from({ length: intIn(rand, 0, 6) }, () => pickOne(rand, strs)),
      };
    } else if (strs.length > 0 && z < 0.09) step = { op: "intern", dst, src: pickOne(rand, strs) };
    return step;
  });
}

/** Steps after which the object's iteration order and its tracking by the gc are compared too (sets: where the keys landed). */
const ORDERED = new Set<Step["op"]>([
  "set",
  "add",
  "discard",
  "setitem",
  "delitem",
  "getdict",
  "frozenset",
  "frozensetOf",
  "dictDisplay",
]);

/**
 * Sequences aimed at what random ones rarely reach: ints that all start their
 * probe at one slot, so a set's table fills by linear probing and jumps
 * (LINEAR_PROBES), with removals on the way.
 */
export function directedSequences(): Step[][] {
  const collide: Step[] = [{ op: "set", dst: 0 }];
  for (const stride of [32, 64, 128]) {
    for (let k = 1; k <= 24; k++)
      collide.push({ op: "int", dst: 1, value: BigInt(stride * k) }, { op: "add", dst: 0, item: 1 });
    for (let k = 1; k <= 24; k += 3)
      collide.push({ op: "int", dst: 1, value: BigInt(stride * k) }, { op: "discard", dst: 0, item: 1 });
    for (let k = 25; k <= 40; k++)
      collide.push({ op: "int", dst: 1, value: BigInt(stride * k) }, { op: "add", dst: 0, item: 1 });
  }
  return [collide];
}

/**
 * A sequence aimed at frozensets: made of ints, floats, strs, tuples and
 * other frozensets (equal items once), empty both ways, nested, used as
 * dict keys and set items (their hash), dropped; now and then a full
 * collection.
 */
export function frozensetSequence(seed: number, length: number): Step[] {
  return seeded(70_000 + seed, length, (rand, regs, x, dst) => {
    const keys = regs.hashable();
    const containers = [...regs.sets(), ...regs.dicts()];
    let step: Step;
    if (x < 0.15 || keys.length === 0) step = { op: "int", dst, value: BigInt(intIn(rand, -10, 5000)) };
    else if (x < 0.2) step = { op: "float", dst, value: intIn(rand, 0, 40) / 2 };
    else if (x < 0.3)
      step = { op: "str", dst, value: pickOne(rand, ["ab", "key", "x1", "\u00e9t\u00e9", "\u03b1\u03b2"]) };
    else if (x < 0.36)
      step = { op: "tuple", dst, items: Array.from({ length: intIn(rand, 1, 3) }, () => pickOne(rand, keys)) };
    else if (x < 0.62) {
      const n = pickOne(rand, [0, 1, 2, 3, 5, intIn(rand, 6, 30)]);
      step =
        n === 0 && rand() < 0.5
          ? { op: "frozenset", dst }
          : { op: "frozenset", dst, items: Array.from({ length: n }, () => pickOne(rand, keys)) };
    } else if (x < 0.66) step = rand() < 0.5 ? { op: "set", dst } : { op: "dict", dst };
    else if (x < 0.86 && containers.length > 0) {
      const c = pickOne(rand, containers);
      step = regs.sets().includes(c)
        ? { op: "add", dst: c, item: pickOne(rand, keys) }
        : { op: "setitem", dst: c, key: pickOne(rand, keys), value: pickOne(rand, regs.live()) };
    } else if (x < 0.98 && regs.has(dst)) step = { op: "del", dst };
    else if (x < 0.99) step = { op: "collect", dst };
    else step = { op: "int", dst, value: 7n };
    return step;
  });
}

/**
 * A sequence aimed at `frozenset(x)` of sets (with and without dummies,
 * small and grown), frozensets (itself) and dicts (their keys, resized for
 * at once), made empty and full, nested, used as keys and dropped;
 * `collects`: with full collections on the way (see instanceSequence).
 */
export function frozensetOfSequence(seed: number, length: number, collects = true): Step[] {
  return seeded(90_000 + seed, length, (rand, regs, x, dst) => {
    const keys = regs.hashable();
    const sources = [...regs.sets(), ...regs.dicts(), ...regs.frozensets()];
    let step: Step;
    if (x < 0.14 || keys.length === 0) step = { op: "int", dst, value: BigInt(intIn(rand, -10, 5000)) };
    else if (x < 0.22)
      step = { op: "str", dst, value: pickOne(rand, ["ab", "key", "x1", `k${intIn(rand, 0, 60)}`, "\u03b1\u03b2"]) };
    else if (x < 0.26)
      step = { op: "tuple", dst, items: Array.from({ length: intIn(rand, 1, 2) }, () => pickOne(rand, keys)) };
    else if (x < 0.32) step = rand() < 0.6 ? { op: "set", dst } : { op: "dict", dst };
    else if (x < 0.56 && regs.sets().length + regs.dicts().length > 0) {
      const c = pickOne(rand, [...regs.sets(), ...regs.dicts()]);
      const inside = regs.keysIn(c);
      if (!regs.sets().includes(c))
        step = { op: "setitem", dst: c, key: pickOne(rand, keys), value: pickOne(rand, keys) };
      else if (inside.length > 0 && rand() < 0.2) step = { op: "discard", dst: c, item: pickOne(rand, inside) };
      else step = { op: "add", dst: c, item: pickOne(rand, keys) };
    } else if (x < 0.82 && sources.length > 0) step = { op: "frozensetOf", dst, src: pickOne(rand, sources) };
    else if (x < 0.84) step = { op: "frozenset", dst };
    else if (x < 0.97 && regs.has(dst)) step = { op: "del", dst };
    else if (x < 0.98 && collects) step = { op: "collect", dst };
    else step = { op: "set", dst };
    return step;
  });
}

/** An attribute name: mostly among the first few, now and then one of 40 (more than 3.11+'s shared keys take). */
function attrName(rand: () => number): string {
  return `a${rand() < 0.7 ? intIn(rand, 0, 7) : intIn(rand, 0, 39)}`;
}

/** The classes instanceSequence draws from (A thrice as often): those without `__del__`. */
const PLAIN_DRAW = [0, 0, 0, 1, 2, 3];

/**
 * A sequence aimed at instances: made from the classes, given attributes in
 * different orders and more than their shared keys hold, attributes
 * overwritten and deleted, `__dict__` asked for and changed as a dict, the
 * instances dropped (some in cycles, which collections free), with ints,
 * strs and lists as values. `collects`: with full collections on the way
 * (the allocator-call oracle's mixtures have none: what a collection
 * allocates of its own would shift the names of the blocks after it).
 * `classes`: the {@link CLASSES} indices a new instance is drawn from.
 */
export function instanceSequence(seed: number, length: number, collects = true, classes = PLAIN_DRAW): Step[] {
  return seeded(50_000 + seed, length, (rand, regs, x, dst) => {
    const objects = regs.instances();
    const live = regs.live();
    const withAttrs = objects.filter((r) => regs.attrsOf(r).length > 0);
    const dicts = regs.dicts();
    let step: Step;
    if (x < 0.1 || objects.length === 0) step = { op: "object", dst, cls: pickOne(rand, classes) };
    else if (x < 0.5 && live.length > 0) {
      const o = pickOne(rand, objects);
      const slots = slotNames(regs.classOf(o));
      const name = slots.length > 0 ? pickOne(rand, slots) : attrName(rand);
      step = { op: "setattr", dst: o, name, value: pickOne(rand, live) };
    } else if (x < 0.58 && withAttrs.length > 0) {
      const o = pickOne(rand, withAttrs);
      step = { op: "delattr", dst: o, name: pickOne(rand, regs.attrsOf(o)) };
    } else if (x < 0.63) {
      const plain = objects.filter((r) => slotNames(regs.classOf(r)).length === 0);
      step = plain.length > 0 ? { op: "getdict", dst, src: pickOne(rand, plain) } : { op: "int", dst, value: 7n };
    } else if (x < 0.68 && dicts.length > 0 && regs.hashable().length > 0) {
      step = {
        op: "setitem",
        dst: pickOne(rand, dicts),
        key: pickOne(rand, regs.hashable()),
        value: pickOne(rand, live),
      };
    } else if (x < 0.7 && dicts.some((d) => regs.keysIn(d).length > 0)) {
      const d = pickOne(
        rand,
        dicts.filter((r) => regs.keysIn(r).length > 0),
      );
      step = { op: "delitem", dst: d, key: pickOne(rand, regs.keysIn(d)) };
    } else if (x < 0.71 && dicts.length > 0) step = { op: "clear", dst: pickOne(rand, dicts) };
    else if (x < 0.8 && regs.has(dst)) step = { op: "del", dst };
    else if (x < 0.84) step = { op: "int", dst, value: BigInt(intIn(rand, 300, 100_000)) };
    else if (x < 0.88) step = { op: "str", dst, value: pickOne(rand, ["a1", "a5", "a30", "value", "xy"]) };
    else if (x < 0.92) step = { op: "list", dst, items: live.length > 0 ? [pickOne(rand, live)] : [] };
    else if (x < 0.925 && collects) step = { op: "collect", dst };
    else step = { op: "float", dst, value: intIn(rand, 0, 1000) / 4 };
    return step;
  });
}

/** A register's Python name. */
export const reg = (r: number) => `r${r}`;

/** A Python literal of a str: escaped ASCII text, or joined characters (a fresh string, no UTF-8 copy cached). */
function strExpr(s: string): string {
  const codes = [...s].map((c) => c.codePointAt(0) as number);
  // Lone surrogates are one code unit in JavaScript and one code point in Python.
  const units: number[] = [];
  for (const c of codes) units.push(c);
  if (units.every((c) => c < 0x80)) return JSON.stringify(s);
  return `"".join(map(chr, ${JSON.stringify(units)}))`;
}

/** The Python statement of a step. */
export function statement(s: Step): string {
  const d = reg(s.dst);
  switch (s.op) {
    case "int":
      return `${d} = ${s.value}`;
    case "float":
      return `${d} = float(${JSON.stringify(String(s.value))})`;
    case "str":
      return `${d} = ${strExpr(s.value)}`;
    case "bytes":
      return `${d} = bytes(${s.length})`;
    case "byte":
      return `${d} = b"\\x${s.value.toString(16).padStart(2, "0")}"`;
    case "none":
      return `${d} = None`;
    case "bool":
      return `${d} = ${s.value ? "True" : "False"}`;
    case "tuple":
      return `${d} = (${s.items.map(reg).join(", ")}${s.items.length === 1 ? "," : ""})`;
    case "list":
      return `${d} = [${s.items.map(reg).join(", ")}]`;
    case "append":
      return `${d}.append(${reg(s.item)})`;
    case "extend":
      return `${d}.extend([${s.items.map(reg).join(", ")}])`;
    case "pop":
      return `${d}.pop()`;
    case "dict":
      return `${d} = {}`;
    case "setitem":
      return `${d}[${reg(s.key)}] = ${reg(s.value)}`;
    case "delitem":
      return `del ${d}[${reg(s.key)}]`;
    case "set":
      return `${d} = set()`;
    case "add":
      return `${d}.add(${reg(s.item)})`;
    case "discard":
      return `${d}.discard(${reg(s.item)})`;
    case "clear":
      return `${d}.clear()`;
    case "concat":
      return `${d} = ${reg(s.a)} + ${reg(s.b)}`;
    case "iadd":
      return `${d} += ${reg(s.item)}`;
    case "join":
      return `${d} = ${reg(s.sep)}.join([${s.items.map(reg).join(", ")}])`;
    case "iaddLoop":
    case "joinParts":
      throw new Error(`${s.op} is rendered by the allocator-call oracle's scripts only`);
    case "del":
      return `del ${d}`;
    case "collect":
      return "gc.collect()";
    case "object":
      return `${d} = ${(CLASSES[s.cls] as { name: string }).name}()`;
    case "setattr":
      return `${d}.${s.name} = ${reg(s.value)}`;
    case "delattr":
      return `del ${d}.${s.name}`;
    case "getdict":
      return `${d} = ${reg(s.src)}.__dict__`;
    case "frozenset":
      return s.items === undefined ? `${d} = frozenset()` : `${d} = frozenset([${s.items.map(reg).join(", ")}])`;
    case "frozensetOf":
      return `${d} = frozenset(${reg(s.src)})`;
    case "intern":
      return `${d} = sys.intern(${reg(s.src)})`;
    case "dictDisplay":
      return `${d} = {${s.entries.map(([k, v]) => `${reg(k)}: ${reg(v)}`).join(", ")}}`;
  }
}

/**
 * A Python program printing, per sequence, one JSON line: getsizeof after each
 * step (-1 after a del), and after a set or dict step the hash of its
 * iteration order and whether the gc tracks it.
 */
export function pythonProgram(sequences: readonly Step[][]): string {
  // No automatic collection on either side: whether a dict is tracked follows the program alone.
  const lines = ["import gc, json, sys", "gc.disable()", "g = sys.getsizeof"];
  sequences.forEach((steps, k) => {
    lines.push(`def seq${k}():`, "    out = []; o = out.append");
    if (usesClasses(steps)) lines.push(...classDefinitions("    "));
    for (const s of steps) {
      lines.push(`    ${statement(s)}`);
      lines.push(s.op === "del" || s.op === "collect" ? "    o(-1)" : `    o(g(${reg(s.dst)}))`);
      // A set's (or dict's) iteration order, as the hash of a tuple of it: where every key landed.
      if (ORDERED.has(s.op)) lines.push(`    o(str(hash(tuple(${reg(s.dst)})))); o(int(gc.is_tracked(${reg(s.dst)})))`);
      // A new tuple: whether the gc tracks it (3.14+ untrack one of atoms at once).
      if (s.op === "tuple") lines.push(`    o(int(gc.is_tracked(${reg(s.dst)})))`);
    }
    lines.push("    return out", `print(json.dumps(seq${k}()))`);
  });
  return `${lines.join("\n")}\n`;
}

/** Runs the sequences in `python`: the sizes per sequence, or the error text. */
export function runInPython(python: string, sequences: readonly Step[][]): Array<Array<number | string>> | string {
  // PYTHONHASHSEED=0, as pymem's default: where a set's keys land (and so its size) depends on their hashes.
  const r = spawnSync(python, stdinProgram("-s"), {
    input: pythonProgram(sequences),
    encoding: "utf8",
    maxBuffer: 1 << 28,
    env: { ...process.env, PYTHONHASHSEED: "0" },
  });
  if (r.status !== 0) return `${python} failed: ${r.stderr}`;
  return r.stdout
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as number[]);
}

/** What pymem made of a sequence: the sizes, and the heap it ran in. */
export interface PymemRun {
  /** getsizeof after each step, and the hash of a set's or dict's iteration order after steps on one. */
  sizes: Array<number | string>;
  objects: RefCounter;
  py: Builtins;
  gc: CycleCollector;
  /** With `record`: the allocator calls, a checkpoint before each step and after the last. */
  recorder?: TraceRecorder;
}

/** Runs a sequence with pymem's built-ins under `profile`, dropping every register at the end. */
export function runInPymem(profile: Profile, steps: readonly Step[], record = false, hashSeed = 0): PymemRun {
  const blocks = new BlockAllocator({ profile });
  const recorder = record ? new TraceRecorder(blocks) : undefined;
  const objects = new RefCounter({ allocator: recorder ?? blocks });
  const gc = new Gc({ objects });
  // The Python programs run with the gc disabled (collections come from collect steps only).
  gc.disable();
  const py = new Builtins({ objects, hashSeed });
  const regs = new Array<number>(REGISTERS).fill(0);
  const sizes: Array<number | string> = [];
  // The classes, made afresh, as the Python side defines them in its function.
  // D's __del__ is `pass`: a finalizer that does nothing.
  const classes = usesClasses(steps)
    ? CLASSES.map((c) => py.newClass(c.name, c.slots ? { slots: c.slots } : c.del ? { finalize: () => undefined } : {}))
    : [];
  const set = (r: number, a: number) => {
    const old = regs[r] as number;
    regs[r] = a;
    if (old !== 0) objects.decref(old);
  };
  const items = (rs: number[]) => rs.map((r) => regs[r] as number);
  // 3.10+ compile a display of more than 30 items as an empty list and an append per item (STACK_USE_GUIDELINE).
  const listDisplay = (rs: number[]) => {
    if (py.rules.minor < 10 || rs.length <= 30) return py.list(items(rs));
    const list = py.list();
    for (const r of rs) py.append(list, regs[r] as number);
    return list;
  };
  // Parts of str loops and joins are constants of the Python code: made before anything is recorded.
  const prepared = new Map<Step, number[]>();
  for (const s of steps) {
    if (s.op === "iaddLoop" || s.op === "joinParts")
      prepared.set(
        s,
        s.parts.map((p) => py.str(p)),
      );
  }
  for (const s of steps) {
    recorder?.checkpoint();
    switch (s.op) {
      case "int":
        set(s.dst, py.int(s.value));
        break;
      case "float":
        set(s.dst, py.float(s.value));
        break;
      case "str":
        set(s.dst, py.str(s.value));
        break;
      case "bytes":
        set(s.dst, py.bytes(s.length));
        break;
      case "byte":
        set(s.dst, py.bytes(Uint8Array.of(s.value)));
        break;
      case "none":
        set(s.dst, py.none());
        break;
      case "bool":
        set(s.dst, py.bool(s.value));
        break;
      case "tuple":
        set(s.dst, py.tuple(items(s.items)));
        break;
      case "list":
        set(s.dst, listDisplay(s.items));
        break;
      case "append":
        py.append(regs[s.dst] as number, regs[s.item] as number);
        break;
      case "extend": {
        // The argument is a list display, made and dropped around the call.
        const arg = listDisplay(s.items);
        py.extend(regs[s.dst] as number, items(s.items));
        objects.decref(arg);
        break;
      }
      case "pop":
        objects.decref(py.pop(regs[s.dst] as number));
        break;
      case "dict":
        set(s.dst, py.dict());
        break;
      case "setitem":
        py.setItem(regs[s.dst] as number, regs[s.key] as number, regs[s.value] as number);
        break;
      case "delitem":
        py.delItem(regs[s.dst] as number, regs[s.key] as number);
        break;
      case "set":
        set(s.dst, py.set());
        break;
      case "add":
        py.add(regs[s.dst] as number, regs[s.item] as number);
        break;
      case "discard":
        py.discard(regs[s.dst] as number, regs[s.item] as number);
        break;
      case "clear":
        py.clear(regs[s.dst] as number);
        break;
      case "concat":
        set(s.dst, py.concat(regs[s.a] as number, regs[s.b] as number));
        break;
      case "iadd":
        // The register's reference goes in, the result's comes back.
        regs[s.dst] = py.iadd(regs[s.dst] as number, regs[s.item] as number);
        break;
      case "join": {
        const arg = listDisplay(s.items);
        const joined = py.join(regs[s.sep] as number, items(s.items));
        objects.decref(arg);
        set(s.dst, joined);
        break;
      }
      case "iaddLoop":
        for (const p of prepared.get(s) as number[]) {
          recorder?.checkpoint();
          if (py.rules.minor === 11) {
            // 3.11 grows a str in place only in quickened code (a function called 8 times or more); the oracle's
            // runs twice, so `+=` is the generic BINARY_OP there: a new str each time.
            const old = regs[s.dst] as number;
            regs[s.dst] = py.concat(old, p);
            objects.decref(old);
          } else regs[s.dst] = py.iadd(regs[s.dst] as number, p);
        }
        break;
      case "joinParts": {
        const empty = py.str("");
        set(s.dst, py.join(empty, prepared.get(s) as number[]));
        objects.decref(empty);
        break;
      }
      case "del":
        set(s.dst, 0);
        break;
      case "collect":
        gc.collect();
        break;
      case "object":
        set(s.dst, py.instance(classes[s.cls] as ObjectType));
        break;
      case "setattr":
        py.setAttr(regs[s.dst] as number, s.name, regs[s.value] as number);
        break;
      case "delattr":
        py.delAttr(regs[s.dst] as number, s.name);
        break;
      case "getdict":
        set(s.dst, py.instanceDict(regs[s.src] as number));
        break;
      case "intern":
        set(s.dst, py.intern(regs[s.src] as number));
        break;
      case "dictDisplay":
        set(s.dst, py.dict(s.entries.map(([k, v]) => [regs[k] as number, regs[v] as number] as const)));
        break;
      case "frozenset": {
        if (s.items === undefined) {
          set(s.dst, py.frozenset());
          break;
        }
        // The argument is a list display, made and dropped around the call.
        const arg = listDisplay(s.items);
        const f = py.frozenset(items(s.items));
        objects.decref(arg);
        set(s.dst, f);
        break;
      }
      case "frozensetOf":
        set(s.dst, py.frozenset(regs[s.src] as number));
        break;
    }
    sizes.push(s.op === "del" || s.op === "collect" ? -1 : py.getsizeof(regs[s.dst] as number));
    // (Not while recording calls: the Python side of that oracle makes no such tuple.)
    if (ORDERED.has(s.op) && !record) {
      const order = py.tuple(py.keys(regs[s.dst] as number));
      sizes.push(String(py.hash(order)));
      objects.decref(order);
      // Tracked by the gc: dicts lazily up to 3.13, untracked again by a full collection.
      sizes.push(gc.isTracked(regs[s.dst] as number) ? 1 : 0);
    }
    if (s.op === "tuple" && !record) sizes.push(gc.isTracked(regs[s.dst] as number) ? 1 : 0);
  }
  recorder?.checkpoint();
  for (let r = 0; r < REGISTERS; r++) set(r, 0);
  if (classes.length > 0) {
    // Instances in cycles go with a collection; then the classes, and their shared keys.
    gc.collect();
    for (const c of classes) py.dropClass(c);
  }
  return { sizes, objects, py, gc, ...(recorder ? { recorder } : {}) };
}

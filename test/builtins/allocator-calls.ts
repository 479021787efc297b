/**
 * The allocator-call oracle of the built-ins: scripted operations run in a
 * real CPython under `pymem record`, a checkpoint (an `s` line) between any
 * two, and the same operations run with pymem's {@link Builtins} through a
 * TraceRecorder. Between each pair of checkpoints both must make the same
 * calls: sizes, order, and which block each realloc and free names.
 *
 * The Python side is written so that each step's calls are the object's own:
 * the operands of arithmetic and concatenation are locals bound to constants
 * before the first checkpoint (no constant folding, no operand reused in
 * place), the function runs once before it is recorded (frames, caches), and
 * a full collection empties the free lists before the first checkpoint (and
 * what it drops itself after emptying them is taken off again).
 *
 * No vitest here.
 */
import type { Profile } from "../../src/index.js";
import { intIn, pickOne, rng } from "../support/random.js";
import {
  CLASSES,
  classDefinitions,
  frozensetOfSequence,
  instanceSequence,
  reg,
  runInPymem,
  type Step,
  statement,
  usesClasses,
} from "./constructions.js";
import { Registers } from "./registers.js";

/** A Python str literal of any code points (lone surrogates included), escaped to ASCII. */
export function pyStr(s: string): string {
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const c = s.codePointAt(i) as number;
    if (c > 0xffff) i++;
    if (c >= 0x20 && c < 0x7f && c !== 0x22 && c !== 0x5c) out += String.fromCharCode(c);
    else if (c < 0x10000) out += `\\u${c.toString(16).padStart(4, "0")}`;
    else out += `\\U${c.toString(16).padStart(8, "0")}`;
  }
  return `"${out}"`;
}

/** The Python statements of a step whose object is made by arithmetic or concatenation of prepared locals. */
function faithful(s: Step, k: number, setup: string[]): string {
  const d = reg(s.dst);
  switch (s.op) {
    case "int":
      setup.push(`k${k} = ${s.value}`);
      return `${d} = k${k} + z`;
    case "float":
      setup.push(`k${k} = float(${JSON.stringify(String(s.value))})`);
      return `${d} = k${k} + zf`;
    case "str": {
      const chars = [...s.value];
      const cut = 1 + ((k * 7) % (chars.length - 1));
      const [a, b] = [chars.slice(0, cut).join(""), chars.slice(cut).join("")];
      setup.push(`k${k} = ${pyStr(a)}`, `q${k} = ${pyStr(b)}`);
      return `${d} = k${k} + q${k}`;
    }
    case "bytes": {
      const cut = 1 + (k % (s.length - 1));
      setup.push(`k${k} = bytes(${cut})`, `q${k} = bytes(${s.length - cut})`);
      return `${d} = k${k} + q${k}`;
    }
    case "iaddLoop":
      setup.push(`p${k} = (${s.parts.map(pyStr).join(", ")},)`);
      return [
        "i = 0",
        `    while i < ${s.parts.length}:`,
        "        ck()",
        `        ${d} += p${k}[i]`,
        "        i += 1",
      ].join("\n");
    case "joinParts":
      setup.push(`p${k} = (${s.parts.map(pyStr).join(", ")},)`);
      return `${d} = "".join(p${k})`;
    default:
      return statement(s);
  }
}

/** The step each segment belongs to: one segment per step, and one more per part of a str loop. */
export function segmentSteps(steps: readonly Step[]): Step[] {
  return steps.flatMap((s): Step[] => (s.op === "iaddLoop" ? [s, ...s.parts.map(() => s)] : [s]));
}

/**
 * The classes, defined afresh in the function (so the recorded run starts
 * from new shared keys), and CPython's type attribute cache filled for every
 * name the steps look up on them: a miss there replaces an entry and may free
 * the name it held, a block of the interpreter's own.
 */
function classSetup(steps: readonly Step[]): string[] {
  if (!usesClasses(steps)) return [];
  const names = new Set(["__init__", "__new__", "__dict__", "__del__"]);
  for (const s of steps) if (s.op === "setattr" || s.op === "delattr") names.add(s.name);
  const warm = CLASSES.map((c) => [...names].map((n) => `hasattr(${c.name}, ${JSON.stringify(n)})`).join("; "));
  return [...classDefinitions(""), ...warm];
}

/** The Python program: the steps in a function run twice, the second time recorded with checkpoints. */
export function pythonScript(steps: readonly Step[]): string {
  const setup: string[] = ["z = 0", "zf = 0.0", "k_int = 99999", "k_float = 0.5", ...classSetup(steps)];
  const body = steps.map((s, k) => faithful(s, k, setup));
  const lines = [
    "import gc, sys",
    "def run(ck):",
    ...setup.map((l) => `    ${l}`),
    "    gc.collect()",
    // What the collection itself drops after emptying the free lists (3.15: an int) is taken off them again.
    "    d0 = k_int + z; d1 = k_int + z; d2 = k_int + z; d3 = k_float + zf; d4 = k_float + zf",
    "    ck()",
    ...body.flatMap((l) => [`    ${l}`, "    ck()"]),
    "gc.disable()",
    "run(lambda: None)",
    "import _pymem_record",
    "run(_pymem_record.checkpoint)",
  ];
  return `${lines.join("\n")}\n`;
}

/**
 * The calls between consecutive checkpoints, from the `first`-th `s` line on
 * (0-based) to the last, with blocks named by their order of appearance in
 * that window (`n0`, `n1`, … for blocks made there, `o0`, … for older ones).
 */
export function segments(trace: string, first: number): string[][] {
  const out: string[][] = [];
  const names = new Map<string, string>();
  let made = 0;
  let old = 0;
  let seen = -1;
  let current: string[] | undefined;
  for (const line of trace.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    if (line === "s") {
      seen++;
      if (seen >= first) {
        if (current !== undefined) out.push(current);
        current = [];
      }
      continue;
    }
    if (current === undefined) continue;
    const [op, id, ...rest] = line.split(" ");
    let name = names.get(id as string);
    if (op === "m" || op === "c") {
      name = `n${made++}`;
      names.set(id as string, name);
    } else if (name === undefined) {
      name = `o${old++}`;
      names.set(id as string, name);
    }
    current.push([op, name, ...rest].join(" "));
    if (op === "f") names.delete(id as string);
  }
  return out;
}

/**
 * What of a collection's calls is the built-ins': the frees of blocks made
 * before it in the window (the free lists' objects), in order. The rest is
 * the interpreter's own (its other free lists, the collection's work).
 */
export function ownFrees(segment: readonly string[], madeBefore: number): string[] {
  return segment.filter((l) => {
    const [op, name] = l.split(" ");
    return op === "f" && (name as string).startsWith("n") && Number((name as string).slice(1)) < madeBefore;
  });
}

/** How many blocks the segments before `step` made. */
export function madeBefore(segs: readonly string[][], step: number): number {
  let n = 0;
  for (let i = 0; i < step; i++) for (const l of segs[i] as string[]) if (l[0] === "m" || l[0] === "c") n++;
  return n;
}

/** pymem's calls for the steps under `profile`: one segment per step. */
export function pymemSegments(profile: Profile, steps: readonly Step[]): string[][] {
  // The Python program runs its steps twice, recording the second run; what the first leaves behind that a full
  // collection does not take (3.12's immortal interned strs) shapes the second. Steps that intern run twice here too.
  let all = steps;
  if (steps.some((s) => s.op === "intern")) {
    const regs = new Registers(12);
    for (const s of steps) regs.apply(s);
    const drop = regs.live().map((r): Step => ({ op: "del", dst: r }));
    all = [...steps, ...drop, { op: "collect", dst: 0 }, ...steps];
  }
  // The recorder runs the interpreter with hash seed 1: the same secret places set entries (and dummies) alike.
  const run = runInPymem(profile, all, true, 1);
  const text = (run.recorder as NonNullable<typeof run.recorder>).text();
  return segments(text, segments(text, 0).length - segmentSteps(steps).length);
}

/** The scripted operations: what each does, and its steps. */
export interface Script {
  name: string;
  steps: Step[];
}

const X = 0;

/** Steps that make an int, a float and a few strs and bytes into registers 0–3, things to put in containers. */
function operands(): Step[] {
  return [
    { op: "int", dst: X, value: 100000n },
    { op: "float", dst: 1, value: 2.5 },
    { op: "str", dst: 2, value: "operand" },
    { op: "bytes", dst: 3, length: 40 },
  ];
}

/** The scripted operations of the issue, and seeded mixtures of every step. */
export function scripts(): Script[] {
  const list: Step[] = [...operands(), { op: "list", dst: 5, items: [] }];
  for (let i = 0; i < 45; i++) list.push({ op: "append", dst: 5, item: i % 4 });
  for (let i = 0; i < 45; i++) list.push({ op: "pop", dst: 5 });
  // An emptied list extended: 3.10–3.11 still hold an array (list_resize), 3.12+ none (an exact one, rounded to even).
  list.push({ op: "extend", dst: 5, items: [0, 1, 2] }, { op: "append", dst: 5, item: X }, { op: "del", dst: 5 });

  const display: Step[] = [...operands(), { op: "list", dst: 5, items: [0, 1, 2] }];
  for (const n of [1, 3, 10, 29, 40]) display.push({ op: "extend", dst: 5, items: Array(n).fill(X) });
  display.push({ op: "del", dst: 5 }, { op: "list", dst: 5, items: [] }, { op: "extend", dst: 5, items: [0, 1, 2] });
  display.push({ op: "list", dst: 6, items: Array(35).fill(1) }, { op: "del", dst: 6 }, { op: "del", dst: 5 });

  const tuples: Step[] = [...operands()];
  for (const order of [0, 1, 2]) {
    for (let n = 0; n <= 25; n++) {
      const size = order === 1 ? 25 - n : n;
      tuples.push({ op: "tuple", dst: 5, items: Array.from({ length: size }, (_, i) => i % 4) }, { op: "del", dst: 5 });
    }
  }

  // More floats and ints than their free lists keep, dropped, then made again.
  // More floats and ints than their free lists keep, alive at once, dropped, then made again.
  const numbers: Step[] = [];
  const many = 12;
  for (const kind of ["float", "int"] as const) {
    for (const round of [0, 1, 2]) {
      const n = 115 - 10 * round;
      const lists = Array.from({ length: Math.ceil(n / 11) }, (_, j) => 4 + (j % 8));
      for (let i = 0; i < n; i++) {
        const value = i * 3 + round;
        numbers.push(
          kind === "float"
            ? { op: "float", dst: 0, value: 1.25 + value }
            : { op: "int", dst: 0, value: BigInt(1000 + 7919 * value) },
        );
        // Kept alive in lists of registers 4-11, so they die together when the lists go.
        const l = lists[Math.floor(i / 11)] as number;
        numbers.push(i % 11 === 0 ? { op: "list", dst: l, items: [0] } : { op: "append", dst: l, item: 0 });
      }
      numbers.push({ op: "del", dst: 0 });
      for (let r = 4; r < many; r++) numbers.push({ op: "del", dst: r });
    }
  }

  const strs: Step[] = [];
  for (const [top, lengths] of [
    [0x7f, [2, 7, 8, 15, 16, 40, 200]],
    [0xff, [2, 9, 60]],
    [0xffff, [2, 5, 100]],
    [0x10ffff, [2, 3, 30]],
  ] as const) {
    for (const n of lengths) {
      const s = String.fromCodePoint(...Array.from({ length: n }, (_, i) => (i === 0 ? top : 0x61 + (i % 26))));
      strs.push({ op: "str", dst: 0, value: s }, { op: "str", dst: 1, value: s });
    }
  }
  for (const n of [2, 3, 16, 100, 480, 600]) strs.push({ op: "bytes", dst: 2, length: n });
  strs.push({ op: "del", dst: 0 }, { op: "del", dst: 1 }, { op: "del", dst: 2 });

  // Free lists filled (floats, ints, tuples of three sizes, lists), then emptied by a full collection.
  const collect: Step[] = [...operands()];
  for (let i = 0; i < 12; i++) {
    collect.push(
      { op: "float", dst: 4 + (i % 4), value: 0.75 + i },
      { op: "int", dst: 8 + (i % 4), value: BigInt(5000 + i) },
    );
  }
  for (const n of [1, 2, 3, 19, 20, 2, 1]) collect.push({ op: "tuple", dst: 4 + (n % 4), items: Array(n).fill(0) });
  collect.push({ op: "list", dst: 8, items: [0, 1] }, { op: "list", dst: 9, items: [] });
  for (let r = 4; r < 12; r++) collect.push({ op: "del", dst: r });
  collect.push({ op: "collect", dst: 0 });

  // Dicts: str keys (3.11+ str-only tables) past several resizes, deletions, a key of another kind (the table turns
  // general), an equal key of another type (100000 and 100000.0), dicts and their 8-slot tables dropped and made again.
  const dicts: Step[] = [...operands(), { op: "dict", dst: 4 }];
  const strKey = (i: number): Step => ({ op: "str", dst: 5, value: `key${i}` });
  for (let i = 0; i < 45; i++) dicts.push(strKey(i), { op: "setitem", dst: 4, key: 5, value: i % 4 });
  for (let i = 0; i < 45; i += 3) dicts.push(strKey(i), { op: "delitem", dst: 4, key: 5 });
  for (let i = 0; i < 20; i++) dicts.push(strKey(100 + i), { op: "setitem", dst: 4, key: 5, value: 0 });
  // A deletion that frees both its key and its value: the key first.
  dicts.push(strKey(200), { op: "bytes", dst: 6, length: 40 }, { op: "setitem", dst: 4, key: 5, value: 6 });
  dicts.push(strKey(200), { op: "bytes", dst: 6, length: 41 }, { op: "delitem", dst: 4, key: 5 });
  dicts.push({ op: "setitem", dst: 4, key: 0, value: 1 }, { op: "float", dst: 6, value: 100000 });
  dicts.push({ op: "setitem", dst: 4, key: 6, value: 2 }, { op: "delitem", dst: 4, key: 0 }, { op: "del", dst: 4 });
  for (const first of [2, 0]) {
    for (let round = 0; round < 3; round++) {
      dicts.push({ op: "dict", dst: 7 + round }, { op: "setitem", dst: 7 + round, key: first, value: 1 });
    }
    for (let round = 0; round < 3; round++) dicts.push({ op: "del", dst: 7 + round });
  }
  dicts.push(
    { op: "dict", dst: 7 },
    { op: "setitem", dst: 7, key: 2, value: 7 },
    { op: "setitem", dst: 7, key: 3, value: 7 },
  );
  dicts.push({ op: "setitem", dst: 7, key: 1, value: 7 }, { op: "del", dst: 7 }, { op: "collect", dst: 0 });

  // Sets: filled past several resizes, keys discarded and others added on their way (taken back, 3.9 aside),
  // cleared, filled again, dropped; a list and a dict cleared too.
  const sets: Step[] = [...operands(), { op: "set", dst: 4 }];
  const item = (i: number): Step => ({ op: "int", dst: 5, value: BigInt(1000 + 8 * i) });
  for (let i = 0; i < 40; i++) sets.push(item(i), { op: "add", dst: 4, item: 5 });
  for (let i = 0; i < 40; i += 2) sets.push(item(i), { op: "discard", dst: 4, item: 5 });
  for (let i = 40; i < 70; i++) sets.push(item(i), { op: "add", dst: 4, item: 5 });
  sets.push({ op: "add", dst: 4, item: 2 }, { op: "add", dst: 4, item: 3 }, { op: "clear", dst: 4 });
  for (let i = 0; i < 6; i++) sets.push(item(i), { op: "add", dst: 4, item: 5 });
  sets.push({ op: "discard", dst: 4, item: 5 }, { op: "clear", dst: 4 }, { op: "del", dst: 4 });
  sets.push({ op: "list", dst: 6, items: [0, 1, 2, 3, 0] }, { op: "clear", dst: 6 }, { op: "append", dst: 6, item: 0 });
  sets.push({ op: "dict", dst: 7 }, { op: "setitem", dst: 7, key: 2, value: 0 }, { op: "clear", dst: 7 });
  sets.push({ op: "setitem", dst: 7, key: 0, value: 2 }, { op: "del", dst: 6 }, { op: "del", dst: 7 });

  // `s += part` in a warm loop (grown in place once the str is the loop's alone) against `"".join(parts)`.
  const text: Step[] = [...operands(), { op: "str", dst: 4, value: "start" }];
  const words = (n: number, top: number) =>
    Array.from({ length: n }, (_, i) =>
      String.fromCodePoint(...Array.from({ length: 1 + (i % 7) }, (_, j) => (j === 0 && i % 5 === 4 ? top : 0x61 + j))),
    );
  for (const [n, top] of [
    [40, 0x62],
    [30, 0xe9],
    [25, 0x3b1],
    [12, 0x1f600],
  ] as const) {
    const parts = words(n, top);
    text.push({ op: "iaddLoop", dst: 4, parts }, { op: "joinParts", dst: 5, parts }, { op: "del", dst: 5 });
  }
  text.push({ op: "joinParts", dst: 5, parts: ["one"] }, { op: "joinParts", dst: 6, parts: ["", ""] });
  text.push({ op: "concat", dst: 7, a: 4, b: 2 }, { op: "del", dst: 4 }, { op: "del", dst: 7 });

  return [
    { name: "a list grown by append, emptied by pop", steps: list },
    { name: "instances without __slots__", steps: plainInstances() },
    { name: "instances with __slots__", steps: slotInstances() },
    ...[1, 2].map((seed) => ({ name: `instance mixture ${seed}`, steps: instanceSequence(100 + seed, 250, false) })),
    {
      name: "instances of a class with __del__, finalized as they die",
      steps: instanceSequence(300, 250, false, [4, 4, 0, 2]),
    },
    { name: "str += in a loop, and join", steps: text },
    { name: "sets filled, emptied in part and cleared", steps: sets },
    { name: "frozensets made, nested, used as keys, dropped", steps: frozensets() },
    { name: "frozensets of sets, frozensets and dicts", steps: frozensetOfSequence(1, 250, false) },
    { name: "dicts built by assignment, emptied by del", steps: dicts },
    { name: "free lists emptied by a full collection", steps: collect },
    { name: "list displays and extend", steps: display },
    { name: "tuples of sizes 0-25 made and dropped", steps: tuples },
    { name: "floats and ints past their free lists", steps: numbers },
    { name: "strs of every kind, bytes", steps: strs },
    { name: "strs interned, equal ones interned, all dropped", steps: interned() },
    { name: "dict displays of 0 to 11 entries, of str keys and others", steps: displays() },
    ...[1, 2, 3, 4].map((seed) => ({ name: `mixture ${seed}`, steps: mixture(seed, 300) })),
  ];
}

/**
 * Dict displays (BUILD_MAP): first two made while the dict free list is
 * empty, so the object is allocated too (five entries: the dict, then its
 * keys at the first insertion; six: the presized keys, then the dict); then
 * of 0 to 11 distinct keys of every kind (up to five a PyDict_New, then
 * presized), of 0 to 8 str keys (3.11+: a str-only table), and of one key
 * seven times over (presized, one entry).
 */
function displays(): Step[] {
  const steps: Step[] = [...operands()];
  const entries = (keys: number[]) => keys.map((k, i): [number, number] => [k, keys[(i + 1) % keys.length] as number]);
  for (let r = 4; r <= 10; r++) steps.push({ op: "int", dst: r, value: BigInt(5000 + 17 * r) });
  steps.push({ op: "dictDisplay", dst: 11, entries: entries([0, 1, 2, 3, 4]) });
  steps.push({ op: "dictDisplay", dst: 10, entries: entries([0, 1, 2, 3, 4, 5]) });
  steps.push({ op: "del", dst: 10 }, { op: "del", dst: 11 }, { op: "int", dst: 10, value: 5170n });
  const show = (e: Array<[number, number]>) =>
    steps.push({ op: "dictDisplay", dst: 11, entries: e }, { op: "del", dst: 11 });
  for (let n = 0; n <= 11; n++) show(entries(Array.from({ length: n }, (_, k) => k)));
  for (let r = 4; r <= 10; r++) steps.push({ op: "str", dst: r, value: `display key ${r}` });
  const strs = [2, 4, 5, 6, 7, 8, 9, 10];
  for (let n = 0; n <= strs.length; n++) show(strs.slice(0, n).map((k): [number, number] => [k, 0]));
  show(Array.from({ length: 7 }, (_, k): [number, number] => [4, k % 4]));
  return steps;
}

/**
 * sys.intern: a str of each kind interned, an equal one made and interned
 * (the first comes back; the copy dies with its register), then every
 * reference dropped (3.12: the interned str is immortal, never freed); texts
 * no interpreter interns at start-up. Then one interned twice over its life.
 */
function interned(): Step[] {
  const steps: Step[] = [...operands()];
  for (const top of [0x7a, 0xe9, 0x3b1, 0x1f600]) {
    const text = `zq${String.fromCodePoint(top)}-interned-${top}`;
    steps.push({ op: "str", dst: 4, value: text }, { op: "intern", dst: 5, src: 4 });
    steps.push({ op: "str", dst: 6, value: text }, { op: "intern", dst: 7, src: 6 }, { op: "del", dst: 6 });
    for (const r of [4, 5, 7]) steps.push({ op: "del", dst: r });
  }
  steps.push({ op: "str", dst: 4, value: "zq-again-interned" }, { op: "intern", dst: 5, src: 4 });
  steps.push({ op: "del", dst: 4 }, { op: "del", dst: 5 });
  steps.push({ op: "str", dst: 4, value: "zq-again-interned" }, { op: "intern", dst: 5, src: 4 });
  steps.push({ op: "del", dst: 5 }, { op: "del", dst: 4 });
  return steps;
}

/**
 * Frozensets: `frozenset()` and `frozenset([])` (3.8–3.9: the shared one;
 * the second makes a set and drops it first), of 1 to 11 distinct items
 * (past the inline table), with repeats, of other frozensets, in a tuple,
 * as a dict key and a set item (hashed), dropped; then a full collection.
 */
function frozensets(): Step[] {
  const steps: Step[] = [...operands()];
  for (let r = 5; r < 12; r++) steps.push({ op: "int", dst: r, value: BigInt(7000 + 13 * r) });
  steps.push({ op: "frozenset", dst: 4 }, { op: "del", dst: 4 }, { op: "frozenset", dst: 4, items: [] });
  const items = [0, 1, 2, 3, 5, 6, 7, 8, 9, 10, 11];
  for (const n of [1, 2, 4, 5, 8, 11]) {
    steps.push({ op: "frozenset", dst: 4, items: items.slice(0, n) }, { op: "del", dst: 4 });
  }
  steps.push({ op: "frozenset", dst: 4, items: [5, 5, 6, 0, 5, 6] });
  steps.push({ op: "frozenset", dst: 10, items: [4, 0] }, { op: "frozenset", dst: 11, items: [10, 4, 1] });
  steps.push({ op: "tuple", dst: 9, items: [11, 4] }, { op: "dict", dst: 8 });
  steps.push({ op: "setitem", dst: 8, key: 11, value: 9 }, { op: "setitem", dst: 8, key: 9, value: 0 });
  steps.push({ op: "set", dst: 7 }, { op: "add", dst: 7, item: 10 }, { op: "add", dst: 7, item: 9 });
  for (const r of [4, 7, 8, 9, 10, 11]) steps.push({ op: "del", dst: r });
  // A full collection empties the free lists, 3.14+'s list iterators among them.
  steps.push({ op: "collect", dst: 0 });
  return steps;
}

/**
 * Instances of classes without `__slots__`: attributes past the shared
 * keys' first table (3.8–3.10 make the grown table the class's), in another
 * order (3.8–3.10 stop sharing), overwritten, deleted (3.8–3.10 drop the
 * class's keys) and added again; `__dict__` asked for and changed as a dict;
 * more attributes than 3.11+'s shared keys take; instances made after that
 * (3.11+: smaller values); a cycle through an attribute, freed by a collection.
 */
function plainInstances(): Step[] {
  const A = 0;
  const C = 1;
  const steps: Step[] = [...operands()];
  const set = (dst: number, names: number[], value = X) =>
    names.map((i): Step => ({ op: "setattr", dst, name: `a${i}`, value }));
  steps.push({ op: "object", dst: 4, cls: A }, ...set(4, [0, 1, 2, 3, 4, 5, 6, 7]));
  steps.push({ op: "setattr", dst: 4, name: "a2", value: 1 }, { op: "setattr", dst: 4, name: "a2", value: 1 });
  steps.push({ op: "object", dst: 5, cls: A }, ...set(5, [0, 1, 2]));
  steps.push({ op: "object", dst: 6, cls: A }, ...set(6, [1, 0], 2));
  steps.push({ op: "object", dst: 7, cls: A }, ...set(7, [0, 3]), { op: "delattr", dst: 7, name: "a0" });
  steps.push(...set(7, [0]), { op: "object", dst: 8, cls: A }, ...set(8, [0, 1]));
  // More instances than 3.11+'s shared keys have entries left: the count stops at one left.
  for (let i = 0; i < 31; i++) steps.push({ op: "object", dst: 11, cls: A });
  steps.push(...set(11, [9]), { op: "del", dst: 11 });
  // A class whose instances take more attributes than 3.11+'s shared keys hold, then further instances.
  steps.push({ op: "object", dst: 9, cls: C }, { op: "getdict", dst: 10, src: 9 });
  steps.push(
    ...set(
      9,
      Array.from({ length: 36 }, (_, i) => i),
    ),
  );
  for (let r = 0; r < 3; r++) steps.push({ op: "object", dst: 11, cls: C }, ...set(11, [1, 0, 40]));
  steps.push({ op: "object", dst: 11, cls: C }, ...set(11, [2, 3]), { op: "delattr", dst: 11, name: "a2" });
  steps.push(...set(11, [2]), { op: "getdict", dst: 10, src: 11 }, { op: "setitem", dst: 10, key: 2, value: 1 });
  steps.push(...set(11, [4]), { op: "delitem", dst: 10, key: 2 }, { op: "setitem", dst: 10, key: 0, value: 1 });
  steps.push({ op: "del", dst: 11 }, { op: "del", dst: 10 });
  // __dict__ of a fresh instance, then attributes through the instance and the dict.
  steps.push({ op: "object", dst: 10, cls: A }, { op: "getdict", dst: 11, src: 10 }, ...set(10, [5, 6]));
  steps.push({ op: "clear", dst: 11 }, ...set(10, [7, 5]), { op: "setitem", dst: 11, key: 2, value: 3 });
  steps.push({ op: "del", dst: 10 }, { op: "del", dst: 11 });
  // A cycle: an instance holding itself, dropped, then collected.
  steps.push({ op: "object", dst: 10, cls: A }, { op: "setattr", dst: 10, name: "a1", value: 10 });
  steps.push({ op: "getdict", dst: 11, src: 10 }, { op: "del", dst: 11 }, { op: "del", dst: 10 });
  // Two more, holding each other, their attributes never asked for as a dict.
  steps.push({ op: "object", dst: 10, cls: A }, { op: "setattr", dst: 10, name: "a3", value: 10 });
  steps.push({ op: "object", dst: 11, cls: C }, { op: "setattr", dst: 11, name: "a0", value: 10 });
  steps.push({ op: "setattr", dst: 10, name: "a4", value: 11 }, { op: "del", dst: 10 }, { op: "del", dst: 11 });
  for (const r of [4, 5, 6, 7, 8, 9]) steps.push({ op: "del", dst: r });
  // Last: what a collection allocates of its own would shift the names of the blocks after it.
  steps.push({ op: "collect", dst: 0 });
  return steps;
}

/** Instances of `__slots__` classes: slots set, overwritten, deleted; many instances; a cycle through a slot. */
function slotInstances(): Step[] {
  const B = 2;
  const W = 3;
  const steps: Step[] = [...operands()];
  for (let i = 0; i < 6; i++) {
    const dst = 4 + i;
    steps.push({ op: "object", dst, cls: i % 3 === 2 ? W : B }, { op: "setattr", dst, name: "x", value: i % 4 });
  }
  steps.push({ op: "setattr", dst: 4, name: "y", value: 1 }, { op: "setattr", dst: 4, name: "x", value: 2 });
  steps.push({ op: "delattr", dst: 4, name: "x" }, { op: "setattr", dst: 5, name: "y", value: 4 });
  steps.push({ op: "setattr", dst: 6, name: "x", value: 5 }, { op: "del", dst: 5 }, { op: "del", dst: 4 });
  steps.push({ op: "setattr", dst: 7, name: "x", value: 7 }, { op: "del", dst: 7 });
  for (const r of [6, 8, 9]) steps.push({ op: "del", dst: r });
  steps.push({ op: "collect", dst: 0 });
  return steps;
}

/** A seeded mixture of steps whose objects the faithful rendering can make: ints below 2**30, strs and bytes of 2+. */
function mixture(seed: number, length: number): Step[] {
  const rand = rng(1000 + seed);
  const steps: Step[] = operands();
  const regs = new Registers(12);
  for (const s of steps) regs.apply(s);
  const items = (max: number) => Array.from({ length: intIn(rand, 0, max) }, () => pickOne(rand, regs.live()));
  for (let k = 0; k < length; k++) {
    const dst = intIn(rand, 4, 11);
    const x = rand();
    const lists = regs.lists();
    const full = regs.lists(true);
    const dicts = regs.dicts();
    const withKeys = dicts.filter((d) => regs.keysIn(d).length > 0);
    let s: Step;
    if (x < 0.13) s = { op: "int", dst, value: BigInt(pickOne(rand, [-1, 1]) * intIn(rand, 300, 2 ** 30 - 1)) };
    else if (x < 0.2) s = { op: "float", dst, value: intIn(rand, 0, 1e6) / 8 };
    else if (x < 0.29) {
      const top = pickOne(rand, [0x7f, 0xff, 0xffff, 0x10ffff]);
      const n = intIn(rand, 2, 50);
      s = {
        op: "str",
        dst,
        value: String.fromCodePoint(...Array.from({ length: n }, (_, i) => (i === 1 ? top : 0x41))),
      };
    } else if (x < 0.33) s = { op: "bytes", dst, length: intIn(rand, 2, 600) };
    else if (x < 0.42) s = { op: "tuple", dst, items: items(25) };
    else if (x < 0.48) s = { op: "list", dst, items: items(40) };
    else if (x < 0.51) s = { op: "dict", dst };
    else if (lists.length > 0 && x < 0.63)
      s = { op: "append", dst: pickOne(rand, lists), item: pickOne(rand, regs.live()) };
    else if (lists.length > 0 && x < 0.67) s = { op: "extend", dst: pickOne(rand, lists), items: items(40) };
    else if (full.length > 0 && x < 0.75) s = { op: "pop", dst: pickOne(rand, full) };
    else if (dicts.length > 0 && x < 0.88) {
      s = {
        op: "setitem",
        dst: pickOne(rand, dicts),
        key: pickOne(rand, regs.hashable()),
        value: pickOne(rand, regs.live()),
      };
    } else if (withKeys.length > 0 && x < 0.95) {
      const d = pickOne(rand, withKeys);
      s = { op: "delitem", dst: d, key: pickOne(rand, regs.keysIn(d)) };
    } else if (regs.has(dst)) s = { op: "del", dst };
    else s = { op: "int", dst, value: 12345n };
    const y = rand();
    if (y < 0.03) s = { op: "set", dst };
    else if (y < 0.12 && regs.sets().length > 0 && regs.hashable().length > 0) {
      s = { op: "add", dst: pickOne(rand, regs.sets()), item: pickOne(rand, regs.hashable()) };
    } else if (y < 0.16 && regs.sets().some((r) => regs.keysIn(r).length > 0)) {
      const set = pickOne(
        rand,
        regs.sets().filter((r) => regs.keysIn(r).length > 0),
      );
      s = { op: "discard", dst: set, item: pickOne(rand, regs.keysIn(set)) };
    }
    regs.apply(s);
    steps.push(s);
  }
  return steps;
}

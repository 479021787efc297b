/**
 * The pairs of docs/python-memory-advice.md: each usual piece of advice as two
 * versions of one small Python workload (the one the advice warns against,
 * the one it recommends), and the same objects built with `Builtins`.
 */
import type { Builtins, ObjectType, RefCounter } from "../../src/index.js";

/** What a pair's setup made with Builtins. */
export interface Env {
  /** References setup holds until the end. */
  owned: number[];
  /** Objects the owned ones hold, borrowed (the items of setup's lists). */
  items: number[];
  /** Classes setup defined. */
  classes: ObjectType[];
}

function env(owned: number[], items: number[] = [], classes: ObjectType[] = []): Env {
  return { owned, items, classes };
}

/** One version of a workload. */
export interface Variant {
  /** What it is, in a few words (a table's column head). */
  label: string;
  /** The body of `def run(n):`, indented four spaces; what it returns is alive at the second checkpoint. */
  python: string;
  /**
   * The same objects made with Builtins: what `setup` made is in `env`; returns the references alive at the second
   * checkpoint (dropped after it).
   */
  simulate(py: Builtins, objects: RefCounter, n: number, env: Env): number[];
}

/** One piece of advice, measured. */
export interface Pair {
  /** The marker in the page: `<!-- advice:ID -->`. */
  id: string;
  /** The advice. */
  title: string;
  /** How many items the workload makes. */
  n: number;
  /** Python run before the first checkpoint, at module level (`n` is defined). */
  setup: string;
  /** Builtins' counterpart of `setup`. */
  simulateSetup(py: Builtins, objects: RefCounter, n: number): Env;
  worse: Variant;
  better: Variant;
}

/** `n` strs of the words the join pair and others use: `w00000`, `w00001`... */
function words(py: Builtins, n: number): number[] {
  return Array.from({ length: n }, (_, i) => py.str(`w${String(i).padStart(5, "0")}`));
}

/**
 * `for i in range(n)`: the range iterator makes each `i` an int (shared for -5 … 256, … 1024 in 3.15); the local
 * drops the previous one when it takes the next, and the last one when the loop's frame ends.
 */
function forRange(py: Builtins, objects: RefCounter, n: number, body: (i: number, x: number) => void): void {
  let previous = 0;
  for (let i = 0; i < n; i++) {
    const x = py.int(i);
    if (previous !== 0) objects.decref(previous);
    previous = x;
    body(i, x);
  }
  if (previous !== 0) objects.decref(previous);
}

/** A list of `f(i)` for i in range(n), each made an int as the loop goes (`[f(x) for x in range(n)]`). */
function intList(py: Builtins, objects: RefCounter, n: number, f: (i: number) => number): number {
  const list = py.list();
  forRange(py, objects, n, (i) => {
    const x = py.int(f(i));
    py.append(list, x);
    objects.decref(x);
  });
  return list;
}

export const PAIRS: Pair[] = [
  {
    id: "join",
    title: "Build a string with `join`, not `+=` in a loop",
    n: 20_000,
    setup: 'words = [f"w{i:05d}" for i in range(n)]',
    simulateSetup: (py, _objects, n) => env(words(py, n)),
    worse: {
      label: "`s += w` in a loop",
      python: '    s = ""\n    for w in words:\n        s += w\n    return s',
      simulate: (py, _objects, _n, env) => {
        let s = py.str("");
        for (const w of env.owned) s = py.iadd(s, w);
        return [s];
      },
    },
    better: {
      label: '`"".join(words)`',
      python: '    return "".join(words)',
      simulate: (py, objects, _n, env) => {
        const sep = py.str("");
        const s = py.join(sep, env.owned);
        objects.decref(sep);
        return [s];
      },
    },
  },
  {
    id: "generator",
    title: "Feed `sum` a generator, not a list",
    n: 20_000,
    setup: "pass",
    simulateSetup: () => env([]),
    worse: {
      label: "`sum([x * x for x in range(n)])`",
      python: "    return sum([x * x for x in range(n)])",
      simulate: (py, objects, n) => {
        const list = intList(py, objects, n, (x) => x * x);
        // sum adds ints in a C long while the total fits: the result is the only int it makes.
        const total = py.int(sumRange(0, n, (x) => x * x));
        objects.decref(list);
        return [total];
      },
    },
    better: {
      label: "`sum(x * x for x in range(n))`",
      python: "    return sum(x * x for x in range(n))",
      simulate: (py, objects, n) => {
        // The generator's frame runs the loop; each square is made, added and dropped.
        forRange(py, objects, n, (x) => objects.decref(py.int(x * x)));
        return [py.int(sumRange(0, n, (x) => x * x))];
      },
    },
  },
  {
    id: "comprehension",
    title: "A comprehension instead of an append loop",
    n: 20_000,
    setup: "pass",
    simulateSetup: () => env([]),
    worse: {
      label: "`out.append(x * 2)` in a loop",
      python: "    out = []\n    for x in range(n):\n        out.append(x * 2)\n    return out",
      simulate: (py, objects, n) => [intList(py, objects, n, (x) => x * 2)],
    },
    better: {
      label: "`[x * 2 for x in range(n)]`",
      python: "    return [x * 2 for x in range(n)]",
      simulate: (py, objects, n) => [intList(py, objects, n, (x) => x * 2)],
    },
  },
  {
    id: "chain",
    title: "`itertools.chain` instead of an intermediate list",
    n: 20_000,
    setup: "import itertools\na = list(range(1000, 1000 + n))\nb = list(range(1000 + n, 1000 + 2 * n))",
    // The two lists, then their items (the lists hold them).
    simulateSetup: (py, objects, n) => {
      const items = (from: number) => Array.from({ length: n }, (_, i) => py.int(from + i));
      const [ia, ib] = [items(1000), items(1000 + n)];
      const [a, b] = [py.list(ia), py.list(ib)];
      for (const x of [...ia, ...ib]) objects.decref(x);
      return env([a, b], [...ia, ...ib]);
    },
    worse: {
      label: "`sum(a + b)`",
      python: "    return sum(a + b)",
      simulate: (py, objects, n, env) => {
        // list_concat: a list of exactly 2n items, the ints shared.
        const joined = py.list(env.items);
        const total = py.int(sumRange(1000, 1000 + 2 * n));
        objects.decref(joined);
        return [total];
      },
    },
    better: {
      label: "`sum(itertools.chain(a, b))`",
      python: "    return sum(itertools.chain(a, b))",
      simulate: (py, _objects, n) => [py.int(sumRange(1000, 1000 + 2 * n))],
    },
  },
  {
    id: "flyweight",
    title: "Share equal immutable values (flyweights, `sys.intern`)",
    n: 20_000,
    setup: "import sys\ndigits = [str(k) for k in range(10)]",
    simulateSetup: (py) => env([py.str("abc"), ...Array.from({ length: 10 }, (_, k) => py.str(String(k)))]),
    worse: {
      label: "a new str per record",
      python: '    return [("abc" + digits[i % 10]) * 4 for i in range(n)]',
      simulate: (py, objects, n, env) => {
        const list = py.list();
        forRange(py, objects, n, (i) => {
          const s = record(py, objects, env, i % 10);
          py.append(list, s);
          objects.decref(s);
        });
        return [list];
      },
    },
    better: {
      label: "`sys.intern` of each",
      python: '    return [sys.intern(("abc" + digits[i % 10]) * 4) for i in range(n)]',
      simulate: (py, objects, n, env) => {
        const list = py.list();
        // The first of each value is interned and kept; every later one is made, looked up and dropped.
        const interned: number[] = [];
        forRange(py, objects, n, (i) => {
          const k = i % 10;
          const s = record(py, objects, env, k);
          if (interned[k] === undefined) interned[k] = s;
          else objects.decref(s);
          py.append(list, interned[k] as number);
        });
        for (const s of interned) objects.decref(s);
        return [list];
      },
    },
  },
  {
    id: "slots",
    title: "`__slots__` for many small instances",
    n: 20_000,
    setup: [
      "class Point:",
      "    def __init__(self, x, y):",
      "        self.x = x",
      "        self.y = y",
      "class SlottedPoint:",
      '    __slots__ = ("x", "y")',
      "    def __init__(self, x, y):",
      "        self.x = x",
      "        self.y = y",
    ].join("\n"),
    simulateSetup: (py) => env([], [], [py.newClass("Point"), py.newClass("SlottedPoint", { slots: ["x", "y"] })]),
    worse: {
      label: "`Point(i, i)`",
      python: "    return [Point(i, i) for i in range(n)]",
      simulate: (py, objects, n, env) => [points(py, objects, n, env.classes[0] as ObjectType)],
    },
    better: {
      label: "`SlottedPoint(i, i)`",
      python: "    return [SlottedPoint(i, i) for i in range(n)]",
      simulate: (py, objects, n, env) => [points(py, objects, n, env.classes[1] as ObjectType)],
    },
  },
];

/** The sum of `f(i)` for `from <= i < to`. */
function sumRange(from: number, to: number, f: (i: number) => number = (i) => i): number {
  let total = 0;
  for (let i = from; i < to; i++) total += f(i);
  return total;
}

/** `("abc" + digits[k]) * 4` (`env` holds "abc" and the digits): `"abc" + ...` is a temporary, dropped. */
function record(py: Builtins, objects: RefCounter, env: Env, k: number): number {
  const part = py.concat(env.owned[0] as number, env.owned[1 + k] as number);
  const s = py.str(`abc${k}`.repeat(4));
  objects.decref(part);
  return s;
}

/** `[cls(i, i) for i in range(n)]`, `__init__` storing `x` and `y`. */
function points(py: Builtins, objects: RefCounter, n: number, cls: ObjectType): number {
  const list = py.list();
  forRange(py, objects, n, (_i, x) => {
    const p = py.instance(cls);
    py.setAttr(p, "x", x);
    py.setAttr(p, "y", x);
    py.append(list, p);
    objects.decref(p);
  });
  return list;
}

/**
 * The built-in objects against the interpreter they model: a program of
 * 10^6 objects (ints, strs, tuples, lists, dicts and instances of a class;
 * a list, a dict and an instance in a cycle per round) built, then dropped
 * and collected, every block given back; pymem's Builtins against python3
 * running the same program. Time is the whole of it: building, the decrefs,
 * the collection.
 */
import { spawnSync } from "node:child_process";
import type { Profile } from "../src/index.js";
import { built, type Pymem } from "./pymem.js";
import type { Table } from "./table.js";

/** Rounds of the loop: six objects each (an int, a str, a tuple, a list, a dict, an instance). */
export const ROUNDS = 166_667;

/** Turns each side takes, alternating. */
const TURNS = 3;

/**
 * The program for python3, run three times in one process, best kept. As a script's top-level code its
 * names are globals (each store and load a dict operation); in a function they are locals, as pymem's loop
 * has. Both are the same program; the bench times both and holds pymem to the faster.
 */
function pyProgram(inFunction: boolean): string {
  const body = `
    for i in range(${ROUNDS}):
        n = i + 1000
        s = prefix + names[i % 1000]
        t = (n, s)
        l = [n, s, t]
        d = {}
        d[s] = l
        o = Node()
        o.key = s
        o.items = l
        l.append(d)
        l.append(o)
        root.append(d)
    del n, s, t, l, d, o
    root = None
    found = gc.collect()`;
  const run = inFunction
    ? `
def program():
    root = []${body}
    return found
`
    : "";
  const loop = inFunction
    ? `
    found = program()`
    : `
    root = []${body}`;
  return `
import gc, time
gc.disable()
class Node:
    pass
prefix = "key"
names = [str(i) for i in range(1000)]
${run}
best = None
for _ in range(3):
    gc.collect()
    t0 = time.perf_counter()${loop}
    t = time.perf_counter() - t0
    best = t if best is None else min(best, t)
print(found, best * 1000)
`;
}

/**
 * pymem's stack, made once and kept across the runs, as python3 runs its three in one process: the same heap,
 * class and collector each time (the interpreter's freed arenas go back to the kernel, pymem's to its raw heap).
 */
export interface BuiltinsStack {
  run(): { ms: number; found: number };
  /** Drops the class; throws unless every block went back. */
  close(): void;
}

export function builtinsStack(pm: Pymem, profile: Profile): BuiltinsStack {
  const raw = new pm.RawAllocator({ maxBytes: 2 ** 31, reserve: true });
  const blocks = new pm.BlockAllocator({ raw, profile, checked: false });
  const objects = new pm.RefCounter({ allocator: blocks });
  const gc = new pm.CycleCollector({ objects });
  gc.disable();
  const py = new pm.Builtins({ objects });
  const Node = py.newClass("Node");
  const names = Array.from({ length: 1000 }, (_, i) => String(i));
  // What the class holds (its shared keys): what must be left after each run.
  const baseline = blocks.allocatedBlocks();
  return {
    run() {
      gc.collect();
      const t0 = performance.now();
      const root = py.list();
      for (let i = 0; i < ROUNDS; i++) {
        const n = py.int(i + 1000);
        const s = py.str(`key${names[i % 1000]}`);
        const t = py.tuple([n, s]);
        const l = py.list([n, s, t]);
        const d = py.dict();
        py.setItem(d, s, l);
        const o = py.instance(Node);
        py.setAttr(o, "key", s);
        py.setAttr(o, "items", l);
        py.append(l, d);
        py.append(l, o);
        py.append(root, d);
        objects.decref(n);
        objects.decref(s);
        objects.decref(t);
        objects.decref(l);
        objects.decref(d);
        objects.decref(o);
      }
      objects.decref(root);
      const found = gc.collect();
      const ms = performance.now() - t0;
      const left = blocks.allocatedBlocks() - baseline;
      if (left !== 0) throw new Error(`${left} blocks were not given back`);
      return { ms, found };
    },
    close() {
      py.dropClass(Node);
      if (blocks.allocatedBlocks() !== 0) throw new Error(`${blocks.allocatedBlocks()} blocks were not given back`);
    },
  };
}

function python(script: string): string | undefined {
  const r = spawnSync("python3", ["-I", "-c", script], { encoding: "utf8", maxBuffer: 1 << 24 });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

export async function builtinsBench(tables: Table[]): Promise<void> {
  const pm = await built();
  const version = python("import sys; print('%d.%d' % sys.version_info[:2])");
  const profile = version === undefined ? undefined : pm.profiles[`cpython-${version}` as "cpython-3.11"];
  if (profile === undefined || pm.Builtins === undefined) {
    tables.push({ title: "Built-ins", head: ["-"], rows: [], notes: [`skipped: python3 ${version ?? "missing"}`] });
    return;
  }
  // This machine's speed swings from one second to the next: the two sides take turns, three times, and
  // each keeps its best.
  let best = Number.POSITIVE_INFINITY;
  let found = 0;
  // Best times of python3: the program as a script's top level, and in a function.
  const realMs = [Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY];
  let realFound = 0;
  const stack = builtinsStack(pm, profile);
  for (let turn = 0; turn < TURNS; turn++) {
    for (let r = 0; r < 3; r++) {
      const run = stack.run();
      best = Math.min(best, run.ms);
      found = run.found;
    }
    for (const form of [0, 1]) {
      const real = (python(pyProgram(form === 1)) ?? "").split(" ");
      realMs[form] = Math.min(realMs[form] as number, Number(real[1]));
      realFound = Number(real[0]);
    }
  }
  stack.close();
  const [script, inFunction] = realMs as [number, number];
  const what = `${(ROUNDS * 6).toLocaleString("en")} ints, strs, tuples, lists, dicts and instances built, dropped, collected (ms)`;
  tables.push({
    title: `Built-ins (cpython-${version} against python3 ${version})`,
    head: ["program", "pymem", `python3 ${version}`, "÷ python3"],
    rows: [
      [`${what}; python3's loop in a function`, best.toFixed(0), inFunction.toFixed(0), (best / inFunction).toFixed(2)],
      [
        `${what}; python3's loop at a script's top level`,
        best.toFixed(0),
        script.toFixed(0),
        (best / script).toFixed(2),
      ],
    ],
    notes: [
      `Both collections found ${found.toLocaleString("en")} / ${realFound.toLocaleString("en")} objects in cycles;` +
        " every block went back. pymem runs unchecked, its heap reserved; python3 runs the loop as bytecode, its" +
        " names locals in a function (as pymem's loop has them), globals at a script's top level (slower)." +
        ` Best of ${TURNS} turns of three runs each, taken in alternation; pymem keeps one heap for all its runs, as python3 one process for a turn's three.`,
    ],
  });
}

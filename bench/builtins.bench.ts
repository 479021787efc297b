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

const PY = `
import gc, time
gc.disable()
class Node:
    pass
prefix = "key"
names = [str(i) for i in range(1000)]
best = None
for _ in range(3):
    gc.collect()
    t0 = time.perf_counter()
    root = []
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
    found = gc.collect()
    t = time.perf_counter() - t0
    best = t if best is None else min(best, t)
print(found, best * 1000)
`;

/** One round of pymem's program: ms, and what the collection found. */
export function builtinsProgram(pm: Pymem, profile: Profile): { ms: number; found: number } {
  const raw = new pm.RawAllocator({ maxBytes: 2 ** 31, reserve: true });
  const blocks = new pm.BlockAllocator({ raw, profile, checked: false });
  const objects = new pm.RefCounter({ allocator: blocks });
  const gc = new pm.CycleCollector({ objects });
  gc.disable();
  const py = new pm.Builtins({ objects });
  const Node = py.newClass("Node");
  const names = Array.from({ length: 1000 }, (_, i) => String(i));
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
  py.dropClass(Node);
  const ms = performance.now() - t0;
  if (blocks.allocatedBlocks() !== 0) throw new Error(`${blocks.allocatedBlocks()} blocks were not given back`);
  return { ms, found };
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
  let best = Number.POSITIVE_INFINITY;
  let found = 0;
  for (let r = 0; r < 3; r++) {
    const run = builtinsProgram(pm, profile);
    best = Math.min(best, run.ms);
    found = run.found;
  }
  const real = (python(PY) ?? "").split(" ");
  const realMs = Number(real[1]);
  tables.push({
    title: `Built-ins (cpython-${version} against python3 ${version})`,
    head: ["program", "pymem", `python3 ${version}`, "÷ python3"],
    rows: [
      [
        `${(ROUNDS * 6).toLocaleString("en")} ints, strs, tuples, lists, dicts and instances built, dropped, collected (ms)`,
        best.toFixed(0),
        realMs.toFixed(0),
        (best / realMs).toFixed(2),
      ],
    ],
    notes: [
      `Both collections found ${found.toLocaleString("en")} / ${Number(real[0]).toLocaleString("en")} objects in cycles;` +
        " every block went back. pymem runs unchecked, its heap reserved; python3 runs the loop as bytecode.",
    ],
  });
}

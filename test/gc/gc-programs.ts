/**
 * Seeded object-graph programs with cycles, run through pymem's CycleCollector
 * and as a Python script in a real CPython (automatic gc disabled, the
 * interpreter's own objects frozen), each logging what every collection
 * returned, which objects were finalized, and which are alive.
 */
import { spawnSync } from "node:child_process";
import {
  BlockAllocator,
  CycleCollector,
  type GcInfo,
  type ObjectAllocator,
  type Profile,
  RawAllocator,
  RefCounter,
} from "../../src/index.js";
import { runForked, stdinProgram } from "../support/python.js";
import { intIn, rng } from "../support/random.js";

export type GcOp =
  | { op: "new"; id: number; resurrect: boolean }
  | { op: "set"; id: number; slot: number; target: number }
  | { op: "clear"; id: number; slot: number }
  | { op: "drop"; id: number }
  | { op: "weak"; id: number; tag: string }
  | { op: "release" }
  | { op: "collect"; generation: number };

const SLOTS = 2;

export function generateGcProgram(seed: number, length: number): GcOp[] {
  const rand = rng(seed * 7177 + 3);
  const ops: GcOp[] = [];
  const held: number[] = [];
  const all: number[] = [];
  let next = 0;
  for (let k = 0; k < length; k++) {
    const r = rand();
    if (r < 0.3 || held.length < 2) {
      const id = next++;
      ops.push({ op: "new", id, resurrect: rand() < 0.08 });
      held.push(id);
      all.push(id);
    } else if (r < 0.6) {
      // Any direction: self-loops, rings, cliques, chains off cycles.
      const a = held[intIn(rand, 0, held.length - 1)] as number;
      const b = rand() < 0.1 ? a : (held[intIn(rand, 0, held.length - 1)] as number);
      ops.push({ op: "set", id: a, slot: intIn(rand, 0, SLOTS - 1), target: b });
    } else if (r < 0.65) {
      ops.push({ op: "clear", id: held[intIn(rand, 0, held.length - 1)] as number, slot: intIn(rand, 0, SLOTS - 1) });
    } else if (r < 0.85) {
      const i = intIn(rand, 0, held.length - 1);
      ops.push({ op: "drop", id: held[i] as number });
      held.splice(i, 1);
    } else if (r < 0.89) {
      ops.push({ op: "weak", id: held[intIn(rand, 0, held.length - 1)] as number, tag: `w${k}` });
    } else if (r < 0.91) {
      ops.push({ op: "release" });
    } else {
      ops.push({ op: "collect", generation: intIn(rand, 0, 2) });
    }
  }
  for (const id of held) ops.push({ op: "drop", id });
  ops.push({ op: "collect", generation: 2 }, { op: "release" }, { op: "collect", generation: 2 });
  return ops;
}

/**
 * Programs aimed at delete_garbage's order: two old objects (aged into
 * generation `aged` by a collection) held only by a young cycle of two, through
 * their first or second slot, then a collection of generation `collected`.
 * Where the old objects are outside the collection, they die while tp_clear
 * runs on the cycle, in the order it clears the slots; where they are inside,
 * they are garbage themselves. Their finalizers say which came first.
 */
export function directedGcPrograms(): GcOp[][] {
  const out: GcOp[][] = [];
  for (const aged of [1, 2]) {
    for (const collected of [0, 1, 2]) {
      for (const oldFirst of [true, false]) {
        const ops: GcOp[] = [
          { op: "new", id: 0, resurrect: false },
          { op: "new", id: 1, resurrect: false },
          { op: "collect", generation: aged },
          { op: "new", id: 2, resurrect: false },
          { op: "new", id: 3, resurrect: false },
          // 2 -> old 0 and 3, 3 -> old 1 and 2, the old one in the first slot or the second.
          { op: "set", id: 2, slot: oldFirst ? 0 : 1, target: 0 },
          { op: "set", id: 2, slot: oldFirst ? 1 : 0, target: 3 },
          { op: "set", id: 3, slot: oldFirst ? 0 : 1, target: 1 },
          { op: "set", id: 3, slot: oldFirst ? 1 : 0, target: 2 },
        ];
        for (const id of [0, 1, 2, 3]) ops.push({ op: "drop", id });
        ops.push({ op: "collect", generation: collected }, { op: "collect", generation: 2 });
        out.push(ops);
      }
    }
  }
  return out;
}

/** The gc oracles' programs: `seeded` generated ones, then the ones aimed at delete_garbage's order. */
export function gcOraclePrograms(seeded: number): GcOp[][] {
  return [
    ...Array.from({ length: seeded }, (_, s) => generateGcProgram(s, 60 + (s % 5) * 60)),
    ...directedGcPrograms(),
  ];
}

/**
 * How the program holds its objects: in a dict (frozen with the interpreter,
 * as the 3.8–3.13 scripts do), or in a function's local variables, which
 * 3.14's incremental collector marks as stack roots; `scale` is then gc's
 * second threshold, the increments' scan-rate divisor.
 */
export interface Holding {
  locals: boolean;
  scale?: number;
  /** gc's heap_size when the program starts (3.14). */
  heapSize?: number;
  /** Log what gcPythonStatsScript logs, with the same `watch`. */
  stats?: StatsWatch;
}

/**
 * Runs a program through pymem; returns its log lines. The objects live in
 * pymalloc, or in what `allocator` makes of it (a user's own allocator).
 */
export function runGcWithPymem(
  ops: GcOp[],
  profile: Profile,
  holding: Holding = { locals: false },
  allocator: (blocks: BlockAllocator) => ObjectAllocator = (blocks) => blocks,
): string[] {
  const blocks = new BlockAllocator({ raw: new RawAllocator(), profile });
  const objects = new RefCounter({ allocator: allocator(blocks) });
  // In locals mode a frozen stand-in for the interpreter's objects keeps the permanent generation non-empty, as
  // in the Python script (3.14 then never swaps its spaces); it counts in heap_size.
  const gc = new CycleCollector({ objects, heapSize: holding.locals ? (holding.heapSize ?? 1) - 1 : 0 });
  gc.disable();
  if (holding.scale !== undefined) gc.setThreshold(...gc.getThreshold().with(1, holding.scale));
  if (holding.locals) {
    objects.new(objects.defineType({ name: "interpreter", container: true }));
    gc.freeze();
  }
  const log: string[] = [];
  const calls: string[] = [];
  if (holding.stats === "callbacks") {
    const heard = (phase: string) => (e: GcInfo) => {
      const duration = e.duration === undefined ? -1 : e.duration >= 0 ? 1 : 0;
      calls.push(`${phase} ${e.generation} ${e.collected} ${e.uncollectable} ${e.candidates ?? -1} ${duration}`);
    };
    gc.on("gc:start", heard("start"));
    gc.on("gc:stop", heard("stop"));
  }
  const idOf = new Map<number, number>();
  const addr = new Map<number, number>();
  const resurrectIds = new Set<number>();
  const resurrected: number[] = [];
  const Node = objects.defineType({
    name: "Node",
    slots: SLOTS,
    container: true,
    weakrefable: true,
    finalize: (a) => {
      const id = idOf.get(a) as number;
      log.push(`del ${id}`);
      if (resurrectIds.has(id)) {
        objects.incref(a);
        resurrected.push(a);
      }
    },
  });
  // As in the Python script, a callback-less weak reference per object tells whether it is alive; the gc
  // clears those of unreachable objects before finalizers run, even of objects that then resurrect.
  const monitor = new Map<number, number>();
  objects.on("object:dealloc", (e) => {
    const id = idOf.get(e.address);
    if (id !== undefined && addr.get(id) === e.address) idOf.delete(e.address);
  });
  for (const o of ops) {
    switch (o.op) {
      case "new": {
        const a = objects.new(Node);
        if (holding.locals) {
          // Stored into a local variable: the frame's reference.
          gc.addRoot(a, "stack");
          objects.decref(a);
        }
        addr.set(o.id, a);
        idOf.set(a, o.id);
        if (o.resurrect) resurrectIds.add(o.id);
        monitor.set(o.id, objects.weakref(a));
        break;
      }
      case "set":
        objects.setSlot(addr.get(o.id) as number, o.slot, addr.get(o.target) as number);
        break;
      case "clear":
        objects.setSlot(addr.get(o.id) as number, o.slot, 0);
        break;
      case "drop":
        if (holding.locals) gc.removeRoot(addr.get(o.id) as number);
        else objects.decref(addr.get(o.id) as number);
        break;
      case "weak":
        objects.weakref(addr.get(o.id) as number, () => log.push(`cb ${o.tag}`));
        break;
      case "release":
        while (resurrected.length > 0) objects.decref(resurrected.pop() as number);
        break;
      case "collect": {
        const n = gc.collect(o.generation);
        const alive = [...monitor.entries()]
          .filter(([, wr]) => objects.weakrefTarget(wr) !== 0)
          .map(([id]) => id)
          .sort((x, y) => x - y);
        let line = `collect ${o.generation} -> ${n}; alive ${alive.join(",")}`;
        if (holding.stats !== undefined) {
          const stats = gc
            .getStats()
            .map((g) => [g.collections, g.collected, g.uncollectable, g.candidates ?? -1].join("/"));
          line += `; stats ${stats.join(" ")}`;
          line +=
            holding.stats === "count"
              ? `; count ${gc.getCount().join(",")}`
              : `; callbacks ${calls.splice(0).join(", ")}`;
        } else if (holding.locals) {
          const stats = gc.getStats().map((g) => `${g.collections}/${g.collected}/${g.uncollectable}`);
          line += `; count ${gc.getCount().join(",")}; stats ${stats.join(" ")}`;
        }
        log.push(line);
        break;
      }
    }
  }
  return log;
}

// The Python side's object: two slots, an id, whether its finalizer resurrects it, weakly referenceable.
const PY_NODE = [
  "class Node:",
  "    __slots__ = ('s0', 's1', 'i', 'res', '__weakref__')",
  "    def __init__(self, i, res):",
  "        self.i = i",
  "        self.res = res",
  "    def __del__(self):",
  "        log.append('del %d' % self.i)",
  "        if self.res:",
  "            resurrected.append(self)",
];

/** The Python line of an op on the objects, held in the frozen dict `o`, that both dict-holding scripts share. */
function dictHeld(op: GcOp & { op: "new" | "set" | "clear" | "drop" }): string {
  switch (op.op) {
    case "new":
      return `o[${op.id}] = Node(${op.id}, ${op.resurrect ? "True" : "False"}); mon[${op.id}] = weakref.ref(o[${op.id}])`;
    case "set":
      return `o[${op.id}].s${op.slot} = o[${op.target}]`;
    case "clear":
      return `try:\n    del o[${op.id}].s${op.slot}\nexcept AttributeError:\n    pass`;
    case "drop":
      return `del o[${op.id}]`;
  }
}

/** The program as a Python script printing the same log. */
export function gcPythonScript(ops: GcOp[]): string {
  const lines = [
    "import gc, weakref",
    "gc.disable()",
    "log = []",
    "keep = []",
    "resurrected = []",
    // Dicts holding only atomic values are untracked; seeded with a list, they are tracked now and frozen
    // below, so they never join a younger generation (where their references would count as internal).
    "mon = {None: []}",
    ...PY_NODE,
    "o = {None: []}",
    "gc.freeze()",
  ];
  for (const op of ops) {
    switch (op.op) {
      case "new":
      case "set":
      case "clear":
      case "drop":
        lines.push(dictHeld(op));
        break;
      case "weak":
        lines.push(`keep.append(weakref.ref(o[${op.id}], lambda r: log.append("cb ${op.tag}")))`);
        break;
      case "release":
        lines.push("while resurrected:\n    resurrected.pop()");
        break;
      case "collect":
        lines.push(
          `n = gc.collect(${op.generation}); log.append('collect ${op.generation} -> %d; alive %s' % (n, ','.join(str(i) for i, r in mon.items() if i is not None and r() is not None)))`,
        );
        break;
    }
  }
  lines.push("import json", "print(json.dumps(log))");
  return `${lines.join("\n")}\n`;
}

/**
 * What gcPythonStatsScript logs beside the collections: gc.get_count() right
 * after each, or what gc.callbacks received at its start and stop. Not both:
 * with a callback registered, CPython builds an info dict at each stop, and
 * after a full collection (which empties the free lists) that dict is a new
 * allocation that goes back to a free list, leaving gc.get_count() one up, a
 * matter of the interpreter's free lists, not of the collector.
 */
export type StatsWatch = "count" | "callbacks";

/**
 * The program as a Python script logging, besides what gcPythonScript logs,
 * the gc.get_stats() records (3.15: with "candidates") as they are right
 * after each collection, and `watch`: gc.get_count() then, or what
 * gc.callbacks received at its start and stop (3.15: "candidates", and
 * whether "duration" is a float of zero or more). Nothing the logging
 * allocates is alive at the next collection, and weak-reference callbacks are
 * one function made before the freeze, so the gc objects of the program are
 * exactly pymem's.
 */
export function gcPythonStatsScript(ops: GcOp[], watch: StatsWatch): string {
  const lines = [
    "import gc, weakref",
    "gc.disable()",
    "log = []",
    "keep = []",
    "resurrected = []",
    "calls = []",
    "tags = {}",
    "mon = {None: []}",
    ...PY_NODE,
    "def cb(r):",
    "    log.append('cb ' + tags[id(r)])",
    // Only ints and interned strings go into `calls` while a collection runs: no gc object is made there.
    "def heard(phase, info):",
    "    d = info.get('duration')",
    "    calls.append(phase)",
    "    calls.append(info['generation'])",
    "    calls.append(info['collected'])",
    "    calls.append(info['uncollectable'])",
    "    calls.append(info.get('candidates', -1))",
    "    calls.append(-1 if d is None else 1 if type(d) is float and d >= 0 else 0)",
    "def said():",
    "    out = ', '.join(' '.join(str(x) for x in calls[i:i + 6]) for i in range(0, len(calls), 6))",
    "    del calls[:]",
    "    return out",
    "def record(g, n, c, s):",
    "    alive = ','.join(str(i) for i, r in mon.items() if i is not None and r() is not None)",
    "    st = ' '.join('%d/%d/%d/%d' % (now['collections'] - was['collections'], now['collected'] - was['collected'], now['uncollectable'] - was['uncollectable'], now.get('candidates', -1) - was.get('candidates', 0) if 'candidates' in now else -1) for now, was in zip(s, base))",
    watch === "count"
      ? "    log.append('collect %d -> %d; alive %s; stats %s; count %d,%d,%d' % (g, n, alive, st, c[0], c[1], c[2]))"
      : "    log.append('collect %d -> %d; alive %s; stats %s; callbacks %s' % (g, n, alive, st, said()))",
    "o = {None: []}",
    ...(watch === "callbacks" ? ["gc.callbacks.append(heard)"] : []),
    // Taken before the freeze, so that it is frozen too and no collection meets it.
    "base = gc.get_stats()",
    "gc.freeze()",
  ];
  for (const op of ops) {
    switch (op.op) {
      case "new":
      case "set":
      case "clear":
      case "drop":
        lines.push(dictHeld(op));
        break;
      case "weak":
        lines.push(`keep.append(weakref.ref(o[${op.id}], cb)); tags[id(keep[-1])] = '${op.tag}'`);
        break;
      case "release":
        lines.push("while resurrected:\n    resurrected.pop()");
        break;
      case "collect":
        // The count and the stats are read before anything else runs; what they are read into is gone again
        // before the next collection.
        lines.push(
          `n = gc.collect(${op.generation}); c = gc.get_count(); s = gc.get_stats(); record(${op.generation}, n, c, s); del c, s`,
        );
        break;
    }
  }
  lines.push("import json", "print(json.dumps(log))");
  return `${lines.join("\n")}\n`;
}

/**
 * The program as a Python function holding its objects in local variables
 * (`v<id>`), run after the interpreter's objects are frozen; the script's last
 * expression is the log as JSON (for Pyodide's runPython). Weak-reference
 * callbacks are one function created before the freeze, so that, as in pymem,
 * each `weak` op allocates one gc object. Nothing raises: an exception would
 * give the frame a frame object holding every local.
 */
export function gcPythonLocalsScript(ops: GcOp[], scale: number, heap?: { size: number; gcState: number }): string {
  const lines = [
    "import gc, weakref, json",
    "gc.disable()",
    `gc.set_threshold(2000, ${scale}, 0)`,
    "log = []",
    "keep = []",
    "resurrected = []",
    "tags = {}",
    "mon = {None: []}",
    "def cb(r):",
    "    log.append('cb ' + tags[id(r)])",
    "def alive():",
    "    return ','.join(str(i) for i, r in mon.items() if i is not None and r() is not None)",
    "def counts():",
    "    c = gc.get_count()",
    "    return '%d,%d,%d' % c",
    "def stats():",
    "    now = gc.get_stats()",
    "    return ' '.join('%d/%d/%d' % tuple(now[g][k] - base[g][k] for k in ('collections', 'collected', 'uncollectable')) for g in range(3))",
    ...PY_NODE,
    ...(heap === undefined ? [] : heapSizeSetter(heap.gcState)),
    "def run():",
    heap === undefined ? "    pass" : `    heap_size.value = ${heap.size}`,
  ];
  for (const op of ops) {
    switch (op.op) {
      case "new":
        lines.push(
          `    v${op.id} = Node(${op.id}, ${op.resurrect ? "True" : "False"}); mon[${op.id}] = weakref.ref(v${op.id})`,
        );
        break;
      case "set":
        lines.push(`    v${op.id}.s${op.slot} = v${op.target}`);
        break;
      case "clear":
        lines.push(`    v${op.id}.s${op.slot} = None`);
        break;
      case "drop":
        lines.push(`    del v${op.id}`);
        break;
      case "weak":
        lines.push(`    keep.append(weakref.ref(v${op.id}, cb)); tags[id(keep[-1])] = '${op.tag}'`);
        break;
      case "release":
        lines.push("    while resurrected:\n        resurrected.pop()");
        break;
      case "collect":
        lines.push(
          `    n = gc.collect(${op.generation}); log.append('collect ${op.generation} -> %d; alive %s; count %s; stats %s' % (n, alive(), counts(), stats()))`,
        );
        break;
    }
  }
  // A full collection first leaves the same state in a reused interpreter: no cycle under way, nothing pending.
  lines.push("gc.collect(2)", "base = gc.get_stats()", "gc.freeze()", "run()", "json.dumps(log)");
  return `${lines.join("\n")}\n`;
}

/**
 * Python lines binding `heap_size` to gcstate->heap_size of the 32-bit
 * CPython 3.14 in Pyodide, given the address of its gc state (see
 * test/support/pyodide.ts): the word after the `garbage` and `callbacks`
 * pointers.
 */
function heapSizeSetter(gcState: number): string[] {
  return [
    "import ctypes",
    `assert ctypes.c_int32.from_address(${gcState} + 104).value == id(gc.garbage)`,
    `heap_size = ctypes.c_int32.from_address(${gcState} + 112)`,
  ];
}

export function runGcWithPython(python: string, script: string): string[] {
  const r = spawnSync(python, stdinProgram("-I", "-S"), { input: script, encoding: "utf8", maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`${python} failed:\n${r.stderr}`);
  return JSON.parse(r.stdout) as string[];
}

/**
 * Runs many scripts in `python`: `parallel` forked servers (test/support/python.ts runForked), each a share of
 * the scripts in order; resolves to their logs in order.
 */
export async function runGcWithPythonMany(python: string, scripts: string[], parallel = 4): Promise<string[][]> {
  const share = Math.ceil(scripts.length / parallel);
  const parts = await Promise.all(
    Array.from({ length: parallel }, (_, k) =>
      runForked(python, ["-I", "-S"], scripts.slice(k * share, (k + 1) * share)),
    ),
  );
  return parts.flat().map((out) => JSON.parse(out) as string[]);
}

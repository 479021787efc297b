/**
 * Seeded object-graph programs with cycles, run through pymem's CycleCollector
 * and as a Python script in a real CPython (automatic gc disabled, the
 * interpreter's own objects frozen), each logging what every collection
 * returned, which objects were finalized, and which are alive.
 */
import { spawnSync } from "node:child_process";
import { BlockAllocator, CycleCollector, type Profile, RawAllocator, RefCounter } from "../../src/index.js";
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

/** Runs a program through pymem; returns its log lines. */
export function runGcWithPymem(ops: GcOp[], profile: Profile): string[] {
  const blocks = new BlockAllocator({ raw: new RawAllocator(), profile });
  const objects = new RefCounter({ allocator: blocks });
  const gc = new CycleCollector({ objects });
  gc.disable();
  const log: string[] = [];
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
        objects.decref(addr.get(o.id) as number);
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
        log.push(`collect ${o.generation} -> ${n}; alive ${alive.join(",")}`);
        break;
      }
    }
  }
  return log;
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
    "class Node:",
    "    __slots__ = ('s0', 's1', 'i', 'res', '__weakref__')",
    "    def __init__(self, i, res):",
    "        self.i = i",
    "        self.res = res",
    "    def __del__(self):",
    "        log.append('del %d' % self.i)",
    "        if self.res:",
    "            resurrected.append(self)",
    "o = {None: []}",
    "gc.freeze()",
  ];
  for (const op of ops) {
    switch (op.op) {
      case "new":
        lines.push(
          `o[${op.id}] = Node(${op.id}, ${op.resurrect ? "True" : "False"}); mon[${op.id}] = weakref.ref(o[${op.id}])`,
        );
        break;
      case "set":
        lines.push(`o[${op.id}].s${op.slot} = o[${op.target}]`);
        break;
      case "clear":
        lines.push(`try:\n    del o[${op.id}].s${op.slot}\nexcept AttributeError:\n    pass`);
        break;
      case "drop":
        lines.push(`del o[${op.id}]`);
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

export function runGcWithPython(python: string, script: string): string[] {
  const r = spawnSync(python, ["-I", "-"], { input: script, encoding: "utf8", maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`${python} failed:\n${r.stderr}`);
  return JSON.parse(r.stdout) as string[];
}

/** Runs many scripts in `python`, `parallel` processes at a time; resolves to their logs in order. */
export async function runGcWithPythonMany(python: string, scripts: string[], parallel = 4): Promise<string[][]> {
  const { spawn } = await import("node:child_process");
  const out: string[][] = new Array(scripts.length);
  let next = 0;
  const worker = async () => {
    while (next < scripts.length) {
      const i = next++;
      out[i] = await new Promise<string[]>((resolve, reject) => {
        const child = spawn(python, ["-I", "-"]);
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d: Buffer) => {
          stdout += d.toString("utf8");
        });
        child.stderr.on("data", (d: Buffer) => {
          stderr += d.toString("utf8");
        });
        child.on("error", reject);
        child.on("close", (code) => {
          if (code !== 0) reject(new Error(`${python} failed on program ${i}:\n${stderr}`));
          else resolve(JSON.parse(stdout) as string[]);
        });
        child.stdin.end(scripts[i]);
      });
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return out;
}

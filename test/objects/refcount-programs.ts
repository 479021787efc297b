/**
 * Random acyclic object programs, run two ways: through pymem's RefCounter and
 * as a Python script in a real CPython, each reporting the order in which
 * objects died (finalizers record it, at the start of deallocation in both).
 */
import { spawnSync } from "node:child_process";
import { BlockAllocator, type Profile, RawAllocator, RefCounter } from "../../src/index.js";
import { stdinProgram } from "../support/python.js";
import { intIn, rng } from "../support/random.js";

/**
 * `new i` | `set i slot j` (j < i) | `clear i slot` | `drop i` (the program's own reference) |
 * `weak i tag` (a weak reference to i, kept forever, whose callback records `tag`).
 */
export type ObjectOp =
  | { op: "new"; id: number }
  | { op: "set"; id: number; slot: number; target: number }
  | { op: "clear"; id: number; slot: number }
  | { op: "drop"; id: number }
  | { op: "weak"; id: number; tag: string };

export const SLOTS = 2;

/** A seeded program; edges go from newer to older objects, so the graph stays acyclic. */
export function generateProgram(seed: number, length: number, chain = 0): ObjectOp[] {
  const rand = rng(seed * 104729 + 7);
  const ops: ObjectOp[] = [];
  const held: number[] = [];
  let next = 0;
  // Optionally a deep chain first: each new node points at the previous one, and only the newest is held.
  for (let i = 0; i < chain; i++) {
    const id = next++;
    ops.push({ op: "new", id });
    if (i > 0) {
      ops.push({ op: "set", id, slot: 0, target: id - 1 });
      ops.push({ op: "drop", id: id - 1 });
      held.pop();
    }
    held.push(id);
  }
  for (let k = 0; k < length; k++) {
    const r = rand();
    if (r < 0.35 || held.length < 2) {
      const id = next++;
      ops.push({ op: "new", id });
      held.push(id);
    } else if (r < 0.75) {
      const a = held[intIn(rand, 0, held.length - 1)] as number;
      const older = held.filter((h) => h < a);
      if (older.length === 0) continue;
      ops.push({
        op: "set",
        id: a,
        slot: intIn(rand, 0, SLOTS - 1),
        target: older[intIn(rand, 0, older.length - 1)] as number,
      });
    } else if (r < 0.8) {
      ops.push({ op: "clear", id: held[intIn(rand, 0, held.length - 1)] as number, slot: intIn(rand, 0, SLOTS - 1) });
    } else if (r < 0.86) {
      const id = held[intIn(rand, 0, held.length - 1)] as number;
      ops.push({ op: "weak", id, tag: `w${k}` });
    } else {
      const i = intIn(rand, 0, held.length - 1);
      ops.push({ op: "drop", id: held[i] as number });
      held.splice(i, 1);
    }
  }
  for (const id of [...held].sort((x, y) => x - y)) ops.push({ op: "drop", id });
  return ops;
}

/** Runs `ops` through pymem; returns the ids in the order their finalizers ran. */
export function runWithPymem(
  ops: ObjectOp[],
  profile: Profile,
  onFree?: (id: number) => void,
): { deaths: Array<number | string>; objects: RefCounter } {
  const blocks = new BlockAllocator({ raw: new RawAllocator(), profile });
  const objects = new RefCounter({ allocator: blocks });
  const idOf = new Map<number, number>();
  const deaths: Array<number | string> = [];
  const Node = objects.defineType({
    name: "Node",
    slots: SLOTS,
    container: true,
    weakrefable: true,
    finalize: (address) => deaths.push(idOf.get(address) as number),
  });
  if (onFree !== undefined) objects.on("object:dealloc", (e) => onFree(idOf.get(e.address) as number));
  const addr = new Map<number, number>();
  for (const o of ops) {
    if (o.op === "new") {
      const a = objects.new(Node);
      addr.set(o.id, a);
      idOf.set(a, o.id);
    } else if (o.op === "set") {
      objects.setSlot(addr.get(o.id) as number, o.slot, addr.get(o.target) as number);
    } else if (o.op === "clear") {
      objects.setSlot(addr.get(o.id) as number, o.slot, 0);
    } else if (o.op === "weak") {
      objects.weakref(addr.get(o.id) as number, () => deaths.push(o.tag));
    } else {
      objects.decref(addr.get(o.id) as number);
    }
  }
  return { deaths, objects };
}

/** The program as a Python script printing the death order. */
export function pythonScript(ops: ObjectOp[]): string {
  const lines = [
    "import json, weakref",
    "deaths = []",
    "keep = []",
    "class Node:",
    "    __slots__ = ('s0', 's1', 'i', '__weakref__')",
    "    def __init__(self, i):",
    "        self.i = i",
    "    def __del__(self):",
    "        deaths.append(self.i)",
    "o = {}",
  ];
  for (const op of ops) {
    if (op.op === "new") lines.push(`o[${op.id}] = Node(${op.id})`);
    else if (op.op === "set") lines.push(`o[${op.id}].s${op.slot} = o[${op.target}]`);
    else if (op.op === "clear") lines.push(`try:\n    del o[${op.id}].s${op.slot}\nexcept AttributeError:\n    pass`);
    else if (op.op === "weak")
      lines.push(`keep.append(weakref.ref(o[${op.id}], lambda r: deaths.append("${op.tag}")))`);
    else lines.push(`del o[${op.id}]`);
  }
  lines.push("print(json.dumps(deaths))");
  return `${lines.join("\n")}\n`;
}

/** Runs scripts in `python`; returns each one's death order, or why it could not run. */
export function runWithPython(python: string, scripts: string[]): Array<Array<number | string>> | string {
  const out: Array<Array<number | string>> = [];
  for (const script of scripts) {
    const r = spawnSync(python, stdinProgram("-I", "-S"), { input: script, encoding: "utf8", maxBuffer: 1 << 28 });
    if (r.error) return `${python} is not available: ${r.error.message}`;
    if (r.status !== 0) throw new Error(`${python} failed:\n${r.stderr}`);
    out.push(JSON.parse(r.stdout) as Array<number | string>);
  }
  return out;
}

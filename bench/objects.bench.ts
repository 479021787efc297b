/**
 * The object layers against the interpreter they model, on the same program:
 * collect(2) of a 10^6-object cyclic graph (3 references per object) against
 * python3's gc.collect() on that graph, and RefCounter's new/setSlot/decref
 * against the same allocation-and-release program run by python3. The
 * profile is python3's version; pymem is the built bundle, its heaps
 * reserving their buffers (`reserve: true`) unless told otherwise.
 */
import { spawnSync } from "node:child_process";
import type { ObjectType, Profile } from "../src/index.js";
import { built, type Pymem } from "./pymem.js";
import type { Table } from "./table.js";

export const N = 1_000_000;
// Object i references objects (i + 1), (7i + 3) and (13i + 5), all mod N: one cyclic graph.
const EDGES: Array<[number, number]> = [
  [1, 1],
  [7, 3],
  [13, 5],
];

// Best of three, as pymem's side: each round builds the graph afresh.
const PY_GC = `
import gc, sys, time
gc.disable()
class Node:
    __slots__ = ('s0', 's1', 's2')
n = ${N}
gc.freeze()
best = None
for _ in range(3):
    objs = [Node() for _ in range(n)]
    for i, o in enumerate(objs):
${EDGES.map(([m, c], j) => `        o.s${j} = objs[(${m} * i + ${c}) % n]`).join("\n")}
    del o
    objs = None
    t0 = time.perf_counter()
    found = gc.collect()
    t = time.perf_counter() - t0
    best = t if best is None else min(best, t)
print(found, best * 1000)
`;

const PY_REFS = `
import gc, time
gc.disable()
class Node:
    __slots__ = ('s0', 's1', 's2')
n = ${N}
best = None
for _ in range(3):
    t0 = time.perf_counter()
    head = Node()
    cur = head
    for i in range(n - 1):
        nxt = Node()
        cur.s0 = nxt
        cur = nxt
    del cur, nxt
    head = None
    t = time.perf_counter() - t0
    best = t if best is None else min(best, t)
print(best * 1e9 / n)
`;

/** The graph, built unchecked with the gc disabled, every reference from outside dropped. */
export function buildGraph(pm: Pymem, profile: Profile, reserve = true) {
  const raw = new pm.RawAllocator({ maxBytes: 2 ** 31, reserve });
  const objects = new pm.RefCounter({ allocator: new pm.BlockAllocator({ raw, profile, checked: false }) });
  const Node = objects.defineType({ name: "Node", slots: 3, container: true });
  const gc = new pm.CycleCollector({ objects });
  gc.disable();
  const addresses = new Float64Array(N);
  for (let i = 0; i < N; i++) addresses[i] = objects.new(Node);
  for (let i = 0; i < N; i++) {
    for (let j = 0; j < EDGES.length; j++) {
      const [m, c] = EDGES[j] as [number, number];
      objects.setSlot(addresses[i] as number, j, addresses[(m * i + c) % N] as number);
    }
  }
  for (let i = 0; i < N; i++) objects.decref(addresses[i] as number);
  return { raw, objects, gc, addresses };
}

/** ns per object to build a chain of N objects, one by one, then release it with one decref. */
export function chainNs(objects: InstanceType<Pymem["RefCounter"]>, Node: ObjectType): number {
  const t0 = performance.now();
  const head = objects.new(Node);
  let cur = head;
  for (let i = 0; i < N - 1; i++) {
    const next = objects.new(Node);
    objects.setSlot(cur, 0, next);
    objects.decref(next);
    cur = next;
  }
  objects.decref(head);
  const ns = ((performance.now() - t0) * 1e6) / N;
  if (objects.liveObjects !== 0) throw new Error("the chain did not die");
  return ns;
}

/** Times collect(2) of a freshly built graph. */
export function collectGraph(pm: Pymem, profile: Profile, reserve = true): { ms: number; found: number } {
  const { gc } = buildGraph(pm, profile, reserve);
  const t0 = performance.now();
  const found = gc.collect(2);
  return { ms: performance.now() - t0, found };
}

function python(script: string): string | undefined {
  const r = spawnSync("python3", ["-I", "-c", script], { encoding: "utf8", maxBuffer: 1 << 24 });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

export async function objectsBench(tables: Table[]): Promise<void> {
  const pm = await built();
  const version = python("import sys; print('%d.%d' % sys.version_info[:2])");
  const profile = version === undefined ? undefined : pm.profiles[`cpython-${version}` as "cpython-3.11"];
  if (profile === undefined) {
    tables.push({ title: "Objects", head: ["-"], rows: [], notes: [`skipped: python3 ${version ?? "missing"}`] });
    return;
  }
  const stack = () => {
    const raw = new pm.RawAllocator({ maxBytes: 2 ** 31, reserve: true });
    const objects = new pm.RefCounter({ allocator: new pm.BlockAllocator({ raw, profile, checked: false }) });
    const Node = objects.defineType({ name: "Node", slots: 3, container: true });
    return { objects, Node };
  };

  // collect(2) of the graph.
  let pymemMs = Number.POSITIVE_INFINITY;
  let found = 0;
  for (let r = 0; r < 3; r++) {
    const c = collectGraph(pm, profile);
    found = c.found;
    pymemMs = Math.min(pymemMs, c.ms);
  }
  const real = (python(PY_GC) ?? "").split(" ");
  const realMs = Number(real[1]);
  // RefCounter throughput: a chain built object by object, then released by one decref.
  let pymemNs = Number.POSITIVE_INFINITY;
  // Built before the first round: see bench/replay-child.ts on why no heap is built between timed runs.
  const stacks = [stack(), stack(), stack()];
  for (const { objects, Node } of stacks) pymemNs = Math.min(pymemNs, chainNs(objects, Node));
  const realNs = Number(python(PY_REFS));
  tables.push({
    title: `Objects (cpython-${version} against python3 ${version})`,
    head: ["program", "pymem", `python3 ${version}`, "÷ python3"],
    rows: [
      [
        `collect(2) of ${N.toLocaleString("en")} objects, 3 refs each (ms)`,
        pymemMs.toFixed(0),
        realMs.toFixed(0),
        (pymemMs / realMs).toFixed(2),
      ],
      [
        `build and release a ${N.toLocaleString("en")}-object chain (ns per object)`,
        pymemNs.toFixed(1),
        realNs.toFixed(1),
        (pymemNs / realNs).toFixed(2),
      ],
    ],
    notes: [
      `Both collections found ${found.toLocaleString("en")} / ${Number(real[0]).toLocaleString("en")} unreachable objects.` +
        " pymem runs unchecked, its heaps reserved; python3 runs the same loop as interpreted bytecode, which it pays for in the chain row.",
    ],
  });
}

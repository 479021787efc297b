/**
 * Deep structures whose deallocation order the trashcan decides: chains,
 * trees, chains of shallow trees, lists of lists, dicts of lists, with and
 * without finalizers. Each shape is built twice, the same way: as a Python
 * program run under `pymem record` (the order of the frees in its recording
 * is the order CPython deallocated the objects) and in pymem's RefCounter
 * (the order of its `object:dealloc` events). Objects are numbered by
 * position (the root is 0), so the two orders compare position by position.
 *
 * Which block marks an object's death: a `__slots__` instance's own block,
 * freed as its deallocation ends; a list's items block, freed after its items
 * are released (the list object itself may go to a free list instead). Dicts
 * are not watched: their objects and keys go to free lists.
 */
import { BlockAllocator, type ObjectType, type Profile, RawAllocator, RefCounter } from "../../src/index.js";
import { intIn, rng } from "../support/random.js";

/** A shape: how to build it in Python and in pymem, node for node. */
export interface DeallocShape {
  name: string;
  /** What it is, for test names and the closing figures. */
  what: string;
  /** Python statements (inside `def build():`) that set `root` and append each watched object to `marks`. */
  python: string[];
  /** The same structure in pymem; returns the root and the watched objects in position order. */
  build(objects: RefCounter, types: ShapeTypes): { root: number; marks: number[] };
}

/** The types the shapes are made of, as CPython's: a two-slot `__slots__` class (with and without `__del__`), list, dict. */
export interface ShapeTypes {
  node: ObjectType;
  fin: ObjectType;
  list: ObjectType;
  dict: ObjectType;
}

/** Defines the shape types in `objects` (the finalizer does nothing, as `def __del__(self): pass`). */
export function shapeTypes(objects: RefCounter): ShapeTypes {
  return {
    node: objects.defineType({ name: "Node", slots: 2, container: true }),
    fin: objects.defineType({ name: "Fin", slots: 2, container: true, finalize: () => {} }),
    list: objects.defineType({ name: "list", container: true, listLike: true }),
    // A one-entry dict releases its key (an interned string, never freed here) and then its value.
    dict: objects.defineType({ name: "dict", slots: 1, container: true }),
  };
}

/** The Python program around a shape: writes the watched blocks, then drops the root between two checkpoints. */
export function shapeProgram(shape: DeallocShape): string {
  return [
    "import ctypes, sys, _pymem_record",
    "class Node:",
    "    __slots__ = ('a', 'b')",
    "class Fin:",
    "    __slots__ = ('a', 'b')",
    "    def __del__(self):",
    "        pass",
    "GC_HEAD = 16  # PyGC_Head before every gc object, 3.8+",
    "def block(o):",
    "    return id(o) - GC_HEAD",
    "def items(lst):",
    "    # PyListObject.ob_item, after ob_refcnt, ob_type and ob_size",
    "    return ctypes.c_void_p.from_address(id(lst) + 24).value",
    "def build():",
    "    marks = []",
    ...shape.python.map((l) => `    ${l}`),
    "    return root, marks",
    "root, marks = build()",
    "with open(sys.argv[1], 'w') as f:",
    "    f.write(' '.join(hex(m) for m in marks))",
    "del marks",
    "_pymem_record.checkpoint()",
    "del root",
    "_pymem_record.checkpoint()",
    "",
  ].join("\n");
}

/** A chain of `n` instances of `cls`, the root first, each holding the next in slot `a`. */
function chain(name: string, what: string, n: number, cls: "Node" | "Fin"): DeallocShape {
  return {
    name,
    what,
    python: [
      "nxt = None",
      `for i in range(${n}):`,
      `    o = ${cls}()`,
      "    o.a = nxt",
      "    nxt = o",
      "root = nxt",
      "while o is not None:",
      "    marks.append(block(o))",
      "    o = o.a",
    ],
    build(objects, types) {
      const t = cls === "Node" ? types.node : types.fin;
      const nodes: number[] = [];
      let next = 0;
      for (let i = 0; i < n; i++) {
        const o = objects.new(t);
        if (next !== 0) {
          objects.setSlot(o, 0, next);
          objects.decref(next);
        }
        next = o;
        nodes.push(o);
      }
      return { root: next, marks: nodes.reverse() };
    },
  };
}

/**
 * A seeded random tree of `n` nodes: node i hangs from a free slot of node i - 1 most of the time (long
 * chains), else from a random earlier node with a free slot (branches, some deep).
 */
function randomTree(name: string, what: string, n: number, seed: number, cls: "Node" | "Fin" | "mixed"): DeallocShape {
  const rand = rng(seed);
  const parent: number[] = [-1];
  const slot: number[] = [-1];
  const used: number[] = [0];
  // "mixed": each node a Node or a Fin at random, so the trashcan deposits objects and finalizer frames alike.
  const fin: number[] = [cls === "Fin" ? 1 : 0];
  for (let i = 1; i < n; i++) {
    fin.push(cls === "mixed" ? (rand() < 0.5 ? 1 : 0) : cls === "Fin" ? 1 : 0);
    let p = i - 1;
    if ((used[p] as number) >= 2 || rand() < 0.25) {
      do p = intIn(rand, 0, i - 1);
      while ((used[p] as number) >= 2);
    }
    parent.push(p);
    slot.push(used[p] as number);
    used[p] = (used[p] as number) + 1;
    used.push(0);
  }
  return {
    name,
    what,
    python: [
      // As strings: one token each, where a list display of 20,000 numbers would make the parser allocate a lot.
      `parent = [int(x) for x in "${parent.join(" ")}".split()]`,
      `slot = [int(c) for c in "${slot.map((x) => Math.max(x, 0)).join("")}"]`,
      `fin = [int(c) for c in "${fin.join("")}"]`,
      "nodes = [(Node, Fin)[f]() for f in fin]",
      `for i in range(1, ${n}):`,
      "    setattr(nodes[parent[i]], 'ab'[slot[i]], nodes[i])",
      "root = nodes[0]",
      "marks.extend(block(o) for o in nodes)",
    ],
    build(objects, types) {
      const nodes: number[] = [];
      for (let i = 0; i < n; i++) nodes.push(objects.new(fin[i] === 1 ? types.fin : types.node));
      for (let i = 1; i < n; i++)
        objects.setSlot(nodes[parent[i] as number] as number, slot[i] as number, nodes[i] as number);
      for (let i = 1; i < n; i++) objects.decref(nodes[i] as number);
      return { root: nodes[0] as number, marks: nodes };
    },
  };
}

/** A chain of `n` nodes, each also holding a complete binary tree of depth `depth` in slot `b` (a comb). */
function comb(name: string, what: string, n: number, depth: number): DeallocShape {
  return {
    name,
    what,
    python: [
      "def tree(d):",
      "    o = Node()",
      "    if d > 1:",
      "        o.a = tree(d - 1)",
      "        o.b = tree(d - 1)",
      "    return o",
      "def walk(o):",
      "    marks.append(block(o))",
      "    for s in ('a', 'b'):",
      "        if hasattr(o, s):",
      "            walk(getattr(o, s))",
      "nxt = None",
      `for i in range(${n}):`,
      "    o = Node()",
      "    o.a = nxt",
      `    o.b = tree(${depth})`,
      "    nxt = o",
      "root = nxt",
      "o = root",
      "while o is not None:",
      "    marks.append(block(o))",
      "    walk(o.b)",
      "    o = o.a",
    ],
    build(objects, types) {
      const marks: number[] = [];
      const trees: number[][] = [];
      const tree = (d: number, out: number[]): number => {
        const o = objects.new(types.node);
        out.push(o);
        if (d > 1) {
          for (const s of [0, 1]) {
            const c = tree(d - 1, out);
            objects.setSlot(o, s, c);
            objects.decref(c);
          }
        }
        return o;
      };
      const spine: number[] = [];
      let next = 0;
      for (let i = 0; i < n; i++) {
        const o = objects.new(types.node);
        if (next !== 0) {
          objects.setSlot(o, 0, next);
          objects.decref(next);
        }
        const members: number[] = [];
        const t = tree(depth, members);
        objects.setSlot(o, 1, t);
        objects.decref(t);
        next = o;
        spine.push(o);
        trees.push(members);
      }
      // Positions as the Python walk numbers them: each spine node (root first), then its tree in pre-order.
      for (let i = n - 1; i >= 0; i--) {
        marks.push(spine[i] as number);
        marks.push(...preorder(objects, (trees[i] as number[])[0] as number));
      }
      return { root: next, marks };
    },
  };
}

function preorder(objects: RefCounter, o: number): number[] {
  const out = [o];
  for (const s of [0, 1]) {
    const c = objects.getSlot(o, s);
    if (c !== 0) out.push(...preorder(objects, c));
  }
  return out;
}

/** Lists nested `n` deep, the outermost first: each level is `[inner]`, or `[inner, Node()]` when `withNodes`. */
function nestedLists(name: string, what: string, n: number, withNodes: boolean): DeallocShape {
  return {
    name,
    what,
    python: [
      "inner = [Node()]",
      "levels = [inner]",
      `for i in range(${n - 1}):`,
      `    inner = [inner${withNodes ? ", Node()" : ""}]`,
      "    levels.append(inner)",
      "root = inner",
      "for lst in reversed(levels):",
      "    marks.append(items(lst))",
      ...(withNodes ? ["    if len(lst) > 1:", "        marks.append(block(lst[1]))"] : []),
    ],
    build(objects, types) {
      const levels: number[] = [];
      const nodes: number[] = [];
      // The innermost list holds a node that is not watched: an empty list would have no items block to free.
      let inner = objects.new(types.list);
      const first = objects.new(types.node);
      objects.append(inner, first);
      objects.decref(first);
      levels.push(inner);
      nodes.push(0);
      for (let i = 0; i < n - 1; i++) {
        const l = objects.new(types.list);
        objects.append(l, inner);
        objects.decref(inner);
        let node = 0;
        if (withNodes) {
          node = objects.new(types.node);
          objects.append(l, node);
          objects.decref(node);
        }
        inner = l;
        levels.push(l);
        nodes.push(node);
      }
      const marks: number[] = [];
      for (let i = levels.length - 1; i >= 0; i--) {
        marks.push(levels[i] as number);
        if (nodes[i] !== 0) marks.push(nodes[i] as number);
      }
      return { root: inner, marks };
    },
  };
}

/** Dicts and lists alternating `n` levels deep: `{'k': [inner]}`, the outermost first; the lists are watched. */
function dictsOfLists(name: string, what: string, n: number): DeallocShape {
  return {
    name,
    what,
    python: [
      "inner = Node()",
      "lists = []",
      `for i in range(${n}):`,
      "    lst = [inner]",
      "    lists.append(lst)",
      "    inner = {'k': lst}",
      "root = inner",
      "for lst in reversed(lists):",
      "    marks.append(items(lst))",
    ],
    build(objects, types) {
      const lists: number[] = [];
      let inner = 0;
      for (let i = 0; i < n; i++) {
        const l = objects.new(types.list);
        // The innermost list holds a node that is not watched.
        if (inner === 0) inner = objects.new(types.node);
        objects.append(l, inner);
        objects.decref(inner);
        lists.push(l);
        const d = objects.new(types.dict);
        objects.setSlot(d, 0, l);
        objects.decref(l);
        inner = d;
      }
      return { root: inner, marks: lists.reverse() };
    },
  };
}

/** `inner` held by `depth` nested one-item lists (not watched), the outermost the root. */
function wrapped(name: string, what: string, depth: number, inner: DeallocShape): DeallocShape {
  return {
    name,
    what,
    python: [
      "def inner():",
      "    marks = []",
      ...inner.python.map((l) => `    ${l}`),
      "    return root, marks",
      "root, marks = inner()",
      ...Array.from({ length: depth }, () => "root = [root]"),
    ],
    build(objects, types) {
      let { root, marks } = inner.build(objects, types);
      for (let i = 0; i < depth; i++) {
        const l = objects.new(types.list);
        objects.append(l, root);
        objects.decref(root);
        root = l;
      }
      return { root, marks };
    },
  };
}

/** Every shape the deallocation-order oracle runs. */
export const DEALLOC_SHAPES: DeallocShape[] = [
  chain("chain-120", "a chain of 120 __slots__ objects", 120, "Node"),
  chain("chain", "a chain of 20,000 __slots__ objects", 20_000, "Node"),
  chain("chain-del", "a chain of 20,000 __slots__ objects with __del__", 20_000, "Fin"),
  chain("chain-deep", "a chain of 100,000 __slots__ objects", 100_000, "Node"),
  wrapped(
    "chain-deep-in-lists",
    "a chain of 100,000 __slots__ objects inside three lists",
    3,
    chain("", "", 100_000, "Node"),
  ),
  randomTree("tree", "a random tree of 20,000 __slots__ objects (long chains, deep branches)", 20_000, 11, "Node"),
  randomTree("tree-del", "a random tree of 20,000 __slots__ objects with __del__", 20_000, 12, "Fin"),
  randomTree("tree-mixed", "a random tree of 20,000 __slots__ objects, half of them with __del__", 20_000, 13, "mixed"),
  comb("comb", "a chain of 3,000 __slots__ objects, each holding a tree of 7", 3_000, 3),
  nestedLists("lists", "lists of lists, 20,000 deep", 20_000, false),
  nestedLists("lists-deep", "lists of lists, 100,000 deep", 100_000, false),
  nestedLists("lists-nodes", "lists of lists, 20,000 deep, each also holding a __slots__ object", 20_000, true),
  dictsOfLists("dicts", "dicts of lists, 10,000 of each alternating", 10_000),
];

/** Runs of consecutive positions, `[first, last]` (descending or ascending): the goldens' form. */
export function toRuns(order: number[]): [number, number][] {
  const runs: [number, number][] = [];
  let i = 0;
  while (i < order.length) {
    const first = order[i] as number;
    let j = i + 1;
    const step = j < order.length && Math.abs((order[j] as number) - first) === 1 ? (order[j] as number) - first : 0;
    if (step !== 0) while (j < order.length && (order[j] as number) - (order[j - 1] as number) === step) j++;
    runs.push([first, order[j - 1] as number]);
    i = j;
  }
  return runs;
}

export function fromRuns(runs: [number, number][]): number[] {
  const out: number[] = [];
  for (const [a, b] of runs) {
    const step = b >= a ? 1 : -1;
    for (let x = a; x !== b + step; x += step) out.push(x);
  }
  return out;
}

/**
 * The positions of the watched blocks in the order the recording frees them between the second and third
 * checkpoints (the first is the recorder's own, at the end of start-up): `del root` and nothing else.
 */
export function liveOrder(trace: string, addresses: string, marks: number[]): number[] {
  const position = new Map<number, number>();
  for (const [k, m] of marks.entries()) position.set(m, k);
  // The address of each m, c and r line, in order ("a raw" outside the arenas: -1).
  const addr: number[] = [];
  for (const line of addresses.split("\n")) {
    if (line.startsWith("a ")) addr.push(line === "a raw" ? -1 : Number.parseInt(line.slice(2), 16));
  }
  let next = 0;
  // Block IDs are small integers, reused after a free: the address each names now.
  let live = new Float64Array(1024);
  const order: number[] = [];
  let checkpoints = 0;
  for (const line of trace.split("\n")) {
    const op = line.charCodeAt(0);
    if (op === 109 || op === 99 || op === 114) {
      // m, c, r
      const id = Number.parseInt(line.slice(2, line.indexOf(" ", 2)), 10);
      if (id >= live.length) {
        const bigger = new Float64Array(Math.max(id + 1, live.length * 2));
        bigger.set(live);
        live = bigger;
      }
      live[id] = addr[next++] as number;
    } else if (op === 102) {
      // f
      const a = live[Number.parseInt(line.slice(2), 10)] as number;
      if (checkpoints === 2 && a >= 0) {
        const k = position.get(a);
        if (k !== undefined) order.push(k);
      }
    } else if (op === 115) {
      checkpoints++;
    }
  }
  if (next !== addr.length) throw new Error(`the addresses file has ${addr.length} blocks, the trace ${next}`);
  return order;
}

/** pymem's deallocation order of `shape` under `profile`: positions, as their `object:dealloc` events come. */
export function pymemOrder(shape: DeallocShape, profile: Profile): number[] {
  const objects = new RefCounter({ allocator: new BlockAllocator({ raw: new RawAllocator(), profile }) });
  const { root, marks } = shape.build(objects, shapeTypes(objects));
  const position = new Map<number, number>();
  for (const [k, m] of marks.entries()) position.set(m, k);
  const order: number[] = [];
  objects.on("object:dealloc", (e) => {
    const k = position.get(e.address);
    if (k !== undefined) order.push(k);
  });
  objects.decref(root);
  return order;
}

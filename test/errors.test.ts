/**
 * Every row of docs/errors.md, run: the call on a fresh stack must throw the
 * error the row names, with a message containing the row's text, and change
 * nothing (numbers, stats report, every byte of simulated memory; validate()
 * still passes).
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import * as pymem from "../src/index.js";
import { expectSameState, stackState } from "./support/stack-state.js";

const { BlockAllocator, CycleCollector, DebugAllocator, profiles, RawAllocator, RefCounter } = pymem;

const root = fileURLToPath(new URL("../", import.meta.url));

interface Row {
  area: string;
  input: string;
  setup: string[];
  call: string;
  error: string;
  contains: string;
}

/** The table's rows: code spans of the call cell are setup statements, then the call. */
function rows(): Row[] {
  const text = readFileSync(`${root}docs/errors.md`, "utf8");
  const out: Row[] = [];
  for (const line of text.split("\n")) {
    if (!line.startsWith("| ") || line.startsWith("| area") || line.startsWith("| ---")) continue;
    const cells = line
      .slice(2, -2)
      .split(" | ")
      .map((c) => c.trim());
    const [area, input, callCell, error, contains] = cells as [string, string, string, string, string];
    const spans = [...callCell.matchAll(/`([^`]+)`/g)].map((m) => m[1] as string);
    out.push({ area, input, setup: spans.slice(0, -1), call: spans.at(-1) as string, error, contains });
  }
  return out;
}

function stack() {
  const raw = new RawAllocator();
  const blocks = new BlockAllocator({ raw, profile: profiles["cpython-3.11"] });
  const objects = new RefCounter({ allocator: blocks });
  const gc = new CycleCollector({ objects });
  const debug = new DebugAllocator({ allocator: blocks });
  const Node = objects.defineType({ name: "Node", slots: 2, container: true, weakrefable: true });
  const Leaf = objects.defineType({ name: "Leaf" });
  const leaf = objects.new(Leaf);
  const obj = objects.new(Node);
  // Made before dead is freed, so that nothing takes dead's block.
  const emptyList = objects.new(objects.defineType({ name: "list", listLike: true, container: true }));
  const dead = objects.new(Node);
  objects.decref(dead);
  const small = blocks.malloc(24);
  const gone = blocks.malloc(24);
  blocks.free(gone);
  const big = blocks.malloc(4000);
  const rawGone = raw.malloc(100);
  raw.free(rawGone);
  const debugBlock = debug.malloc(24);
  const debugGone = debug.malloc(24);
  debug.free(debugGone);
  const otherNode = new RefCounter().defineType({ name: "Node", slots: 2 });
  // The built-ins, on a stack of their own (these objects define a type named list).
  const pyRaw = new RawAllocator();
  const pyBlocks = new BlockAllocator({ raw: pyRaw, profile: profiles["cpython-3.11"] });
  const pyObjects = new RefCounter({ allocator: pyBlocks });
  const pyGc = new CycleCollector({ objects: pyObjects });
  const py = new pymem.Builtins({ objects: pyObjects });
  const pyList = py.list();
  const pyFloat = py.float(1.5);
  const pyDict = py.dict();
  const pySet = py.set();
  const pyClass = py.newClass("A");
  const pySlotted = py.instance(py.newClass("B", { slots: ["x"] }));
  const pyInstance = py.instance(pyClass);
  return {
    ...pymem,
    raw,
    blocks,
    objects,
    gc,
    debug,
    Node,
    Leaf,
    leaf,
    obj,
    dead,
    small,
    gone,
    big,
    rawGone,
    debugBlock,
    debugGone,
    otherNode,
    emptyList,
    pyRaw,
    pyBlocks,
    pyObjects,
    pyGc,
    py,
    pyList,
    pyFloat,
    pyDict,
    pySet,
    pyClass,
    pySlotted,
    pyInstance,
  };
}

type Stack = ReturnType<typeof stack>;

function run(s: Stack, code: string): unknown {
  const names = Object.keys(s);
  return new Function(...names, `"use strict"; return (${code});`)(...names.map((n) => s[n as keyof Stack]));
}

describe("docs/errors.md", () => {
  const all = rows();

  it("lists the bad inputs of every public entry point", () => {
    expect(all.length).toBeGreaterThan(60);
    expect(new Set(all.map((r) => r.area))).toEqual(
      new Set([
        "RawAllocator",
        "BlockAllocator",
        "DebugAllocator",
        "RefCounter",
        "Builtins",
        "CycleCollector",
        "traces",
        "profiles",
        "snapshots",
        "heap map",
        "createHeap",
      ]),
    );
  });

  it.each(all.map((r) => [`${r.area}: ${r.input}`, r] as const))("%s", (_, row) => {
    const s = stack();
    for (const setup of row.setup) run(s, setup);
    const layers = row.area === "Builtins" ? { raw: s.pyRaw, blocks: s.pyBlocks, objects: s.pyObjects, gc: s.pyGc } : s;
    const before = stackState(layers);
    let thrown: unknown;
    try {
      run(s, row.call);
    } catch (e) {
      thrown = e;
    }
    expect(thrown, `${row.call} did not throw`).toBeDefined();
    expect((thrown as Error).constructor.name, String(thrown)).toBe(row.error);
    expect(String((thrown as Error).message)).toContain(row.contains);
    expectSameState(before, stackState(layers));
    layers.raw.validate();
    layers.blocks.validate();
  });
});

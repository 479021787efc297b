/**
 * The simulator author's first hour: objects and the cyclic gc embedded
 * under CPython's debug allocator, driven call by call, in a strict
 * TypeScript project against the installed types.
 */
import { describe, expect, it } from "vitest";
import { typescript } from "./user.js";

describe("the simulator author", () => {
  it("embeds objects and the gc under the debug allocator, and gets CPython's report for an overrun", () => {
    const out = typescript(
      "simulator.ts",
      `import { CycleCollector, createHeap, DebugAllocator, HeapCorruptionError, RefCounter } from "pymem";

const heap = createHeap({ profile: "cpython-3.11" });
const debug = new DebugAllocator({ allocator: heap.blocks });
const objects = new RefCounter({ allocator: debug });
const gc = new CycleCollector({ objects });
const Node = objects.defineType({ name: "Node", slots: 2, container: true, weakrefable: true });
const died: number[] = [];
const nodes = Array.from({ length: 100 }, () => objects.new(Node));
nodes.forEach((n, i) => objects.setSlot(n, 0, nodes[(i + 1) % nodes.length] ?? 0)); // one big ring
const watched = nodes[7] ?? 0;
objects.weakref(watched, () => died.push(watched));
for (const n of nodes) objects.decref(n);
const found = gc.collect();
debug.validate();
heap.blocks.validate();

// An overrun: one byte past a block's end, then free.
const p = debug.malloc(24);
heap.raw.u8[p + 24] = 0;
let report = "";
try {
  debug.free(p);
} catch (e) {
  if (e instanceof HeapCorruptionError) report = e.report ?? "";
}
console.log(JSON.stringify({ found, died: died.length, live: debug.stats().allocatedBlocks, report }));
`,
    );
    const r = JSON.parse(out) as { found: number; died: number; live: number; report: string };
    // Left live: the weak reference (still held), and the block whose free was refused.
    expect(r).toMatchObject({ found: 100, died: 1, live: 2 });
    expect(r.report).toMatch(/Debug memory block at address p=0x[0-9a-f]+: API 'o'/);
    expect(r.report).toMatch(/bad trailing pad byte/);
  });
});

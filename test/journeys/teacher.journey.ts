/**
 * The teacher's first hour: step a recorded trace back and forth and draw
 * each frame, hear when a full pool becomes usable again, and step through a
 * program's own calls recorded with TraceRecorder.
 */
import { describe, expect, it } from "vitest";
import { typescript } from "./user.js";

describe("the teacher", () => {
  it("steps a player back and forth, drawing each frame, and says what each step did", () => {
    const out = typescript(
      "teacher.ts",
      `import { createHeap, renderHeapMap, TracePlayer } from "pymem";
import { readTrace, traceFiles } from "pymem/node";

const heap = createHeap({ profile: "cpython-3.11" });
const player = new TracePlayer(await readTrace(traceFiles.demo), heap);
let usable = 0;
heap.blocks.on("pool:usable", () => usable++);
const frames: string[] = [];
const freed: number[] = [];
for (let i = 0; i < 20_000; i++) {
  const s = player.step();
  if (s === undefined) break;
  if (s.op === "free") freed.push(s.address);
  if (i % 2000 === 0) frames.push(renderHeapMap(heap.blocks, { arena: 0, hideUncarved: true }));
}
const undone: string[] = [];
for (let i = 0; i < 30; i++) {
  const s = player.back();
  if (s !== undefined) undone.push(s.text);
  frames.push(renderHeapMap(heap.blocks, { arena: 0, hideUncarved: true }));
}
const uncarvedTiles = frames.filter((f) => f.includes("never carved</title>")).length;
console.log(JSON.stringify({
  position: player.position,
  frames: frames.length,
  uncarvedTiles,
  captions: frames.filter((f) => f.includes("data-uncarved=")).length,
  freesAt0: freed.filter((a) => a === 0).length,
  frees: freed.length,
  undone: undone.length,
  usable,
}));
`,
    );
    const r = JSON.parse(out) as Record<string, number>;
    expect(r.position).toBe(20_000 - 30);
    expect(r.frames).toBe(10 + 30);
    expect(r.uncarvedTiles).toBe(0);
    expect(r.captions).toBe(r.frames);
    expect(r.frees).toBeGreaterThan(1000);
    expect(r.freesAt0).toBe(0);
    expect(r.undone).toBe(30);
    expect(r.usable).toBeGreaterThan(0);
  });

  it("steps through the allocations of a program it drives itself", () => {
    const out = typescript(
      "own-calls.ts",
      `import { createHeap, RefCounter, TracePlayer, TraceRecorder } from "pymem";

const recorder = new TraceRecorder(createHeap({ profile: "cpython-3.11" }).blocks, { workload: "lesson 1" });
const objects = new RefCounter({ allocator: recorder });
const List = objects.defineType({ name: "list", listLike: true, container: true });
const Int = objects.defineType({ name: "int", slots: 1 });
const list = objects.new(List);
for (let i = 0; i < 10; i++) {
  const n = objects.new(Int);
  objects.append(list, n);
  objects.decref(n);
}
objects.decref(list);
const player = new TracePlayer(recorder.trace(), createHeap({ profile: "cpython-3.8" }));
const steps: string[] = [];
for (let s = player.step(); s !== undefined; s = player.step()) steps.push(\`\${s.text} @\${s.address}\`);
console.log(JSON.stringify({ steps, text: recorder.text() }));
`,
    );
    const r = JSON.parse(out) as { steps: string[]; text: string };
    expect(r.text.split("\n")[0]).toBe("# workload: lesson 1");
    // The list, ten ints, the items block growing, then everything freed.
    expect(r.steps.filter((s) => s.startsWith("m ")).length).toBe(12);
    expect(r.steps.filter((s) => s.startsWith("f ")).length).toBe(12);
    expect(r.steps.some((s) => s.startsWith("r "))).toBe(true);
    expect(r.steps.every((s) => !s.endsWith("@0"))).toBe(true);
  });
});

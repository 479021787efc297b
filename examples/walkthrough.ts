/**
 * For teaching: a short trace walked op by op, printing what pymalloc did at
 * each step (from its events) and where each block went, then one step back.
 */
import { createHeap, parseTrace, TracePlayer } from "pymem";

const heap = createHeap({ profile: "cpython-3.11" });
const said: string[] = [];
const hex = (n: number) => `0x${n.toString(16)}`;
heap.blocks.on("arena:alloc", (e) => said.push(`new arena #${e.index} at ${hex(e.address)}`));
heap.blocks.on("pool:init", (e) => said.push(`pool ${hex(e.address)} now serves ${e.blockSize}-byte blocks`));
heap.blocks.on("pool:empty", (e) => said.push(`pool ${hex(e.address)} is empty again`));
heap.blocks.on("large:alloc", (e) => said.push(`${e.size} bytes is too big for a pool: the raw allocator serves it`));

const trace = parseTrace(["m 0 24", "m 1 24", "m 2 100", "f 0", "m 3 20", "m 4 2000", "f 1", "f 3", "s"].join("\n"));
const player = new TracePlayer(trace, heap);
for (let step = player.step(); step !== undefined; step = player.step()) {
  const where = step.op === "free" ? `freed ${hex(step.oldAddress)}` : step.address ? `→ ${hex(step.address)}` : "";
  console.log(
    `${String(step.line).padStart(2)}  ${step.text.padEnd(10)} ${where}${said.length ? `   (${said.join("; ")})` : ""}`,
  );
  said.length = 0;
}
player.back();
console.log(
  `one step back: line ${player.last?.line} (${player.last?.text}) was the last op; block 3 at ${hex(player.addressOf(3))}`,
);

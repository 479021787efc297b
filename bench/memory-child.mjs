// Run by bench/memory.bench.ts as `node --expose-gc bench/memory-child.mjs`: measures resident memory per live
// block, then replays a 5M-op steady-state trace into the built bundle, sampling the JS heap (after a full gc)
// every million ops. Prints one JSON line.
import { createHeap, parseTrace, replayTrace } from "../dist/index.js";

// Resident memory per live block first, in a process that has done nothing else: a heap filled with 10^6
// blocks of 64 bytes, each written as a program would (pages no one writes are never made resident).
global.gc();
const before = process.memoryUsage().rss;
const h2 = createHeap({ profile: "cpython-3.11", checked: true });
const N = 1_000_000;
const keep = new Float64Array(N);
for (let i = 0; i < N; i++) {
  keep[i] = h2.blocks.malloc(64);
  h2.raw.u8.fill(0x5a, keep[i], keep[i] + 64);
}
global.gc();
const after = process.memoryUsage().rss;

const OPS = 5_000_000;
const LIVE = 100_000;
let seed = 12345;
const rand = () => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed / 2147483648;
};
const lines = [];
const live = [];
let next = 0;
for (let i = 0; i < OPS; i++) {
  if (live.length < LIVE || rand() < 0.5) {
    const size = rand() < 0.9 ? 1 + Math.floor(rand() ** 2 * 512) : 513 + Math.floor(rand() * 4000);
    lines.push(`m ${next} ${size}`);
    live.push(next++);
  } else {
    const k = Math.floor(rand() * live.length);
    lines.push(`f ${live[k]}`);
    live[k] = live[live.length - 1];
    live.pop();
  }
}
const trace = parseTrace(`${lines.join("\n")}\n`);
lines.length = 0;
global.gc();
const { blocks } = createHeap({ profile: "cpython-3.11", checked: true, maxBytes: 2 ** 32 - 1 });
const heap = [];
replayTrace(trace, blocks, {
  progressEvery: 1_000_000,
  onProgress: (done) => {
    global.gc();
    heap.push([done, process.memoryUsage().heapUsed]);
  },
});
console.log(JSON.stringify({ ops: trace.ops.length, heap, rssPerBlock: (after - before) / N, blockBytes: 64 }));

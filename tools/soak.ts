/**
 * `npm run soak [ops] [profile]`: 10^7 random operations (by default) across
 * the whole stack (pool and large blocks, calloc, realloc, objects with
 * references between them, collections, the debug hooks, and invalid calls
 * that must be refused), validating every layer every 250,000 ops and at the
 * end; prints ops/s and peak memory. Exits 1 on the first broken invariant.
 */
import {
  BlockAllocator,
  CycleCollector,
  DebugAllocator,
  DoubleFreeError,
  getProfile,
  InvalidAddressError,
  RawAllocator,
  RefCounter,
} from "../src/index.js";

const OPS = Number(process.argv[2] ?? 1e7);
const profile = getProfile(process.argv[3] ?? "cpython-3.11");
const VALIDATE_EVERY = 250_000;
const MAX_BLOCKS = 50_000;
const MAX_OBJECTS = 20_000;
const MAX_DEBUG = 2_000;

const raw = new RawAllocator({ maxBytes: 2 ** 31 });
const blocks = new BlockAllocator({ raw, profile });
const objects = new RefCounter({ allocator: blocks });
const gc = new CycleCollector({ objects });
const debug = new DebugAllocator({ allocator: blocks });
const Node = objects.defineType({ name: "Node", slots: 3, container: true });

// What the soak holds, in typed arrays: nothing is allocated per op on the JS side.
const held = new Float64Array(MAX_BLOCKS);
const heldSize = new Float64Array(MAX_BLOCKS);
let nHeld = 0;
const objs = new Float64Array(MAX_OBJECTS);
let nObjs = 0;
const dbg = new Float64Array(MAX_DEBUG);
let nDbg = 0;
let lastFreed = 0;

let s = 0x9e3779b9;
const rand = () => {
  s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
  return s / 2 ** 32;
};
const below = (n: number) => Math.floor(rand() * n);
const size = () => (rand() < 0.9 ? 1 + below(512) : 513 + below(60_000));

let refused = 0;
function mustRefuse(f: () => unknown): void {
  try {
    f();
  } catch (e) {
    if (
      e instanceof RangeError ||
      e instanceof TypeError ||
      e instanceof InvalidAddressError ||
      e instanceof DoubleFreeError
    ) {
      refused++;
      return;
    }
    throw e;
  }
  throw new Error("an invalid call was accepted");
}

function validate(at: number): void {
  raw.validate();
  blocks.validate();
  for (let i = 0; i < nDbg; i++) debug.checkAddress(dbg[i] as number);
  for (let i = 0; i < nObjs; i++)
    if (!objects.isAlive(objs[i] as number)) throw new Error(`op ${at}: a held object died`);
}

let peakRss = 0;
let peakHeap = 0;
const t0 = performance.now();
for (let i = 1; i <= OPS; i++) {
  const r = rand();
  if (r < 0.3) {
    if (nHeld < MAX_BLOCKS) {
      const n = size();
      held[nHeld] = rand() < 0.1 ? blocks.calloc(1, n) : blocks.malloc(n);
      heldSize[nHeld++] = n;
    }
  } else if (r < 0.55) {
    if (nHeld > 0) {
      const k = below(nHeld);
      lastFreed = held[k] as number;
      blocks.free(lastFreed);
      held[k] = held[--nHeld] as number;
      heldSize[k] = heldSize[nHeld] as number;
    }
  } else if (r < 0.65) {
    if (nHeld > 0) {
      const k = below(nHeld);
      const n = size();
      held[k] = blocks.realloc(held[k] as number, n);
      heldSize[k] = n;
    }
  } else if (r < 0.75) {
    if (nObjs < MAX_OBJECTS) objs[nObjs++] = objects.new(Node);
  } else if (r < 0.85) {
    if (nObjs > 1) objects.setSlot(objs[below(nObjs)] as number, below(3), objs[below(nObjs)] as number);
  } else if (r < 0.93) {
    if (nObjs > 0) {
      const k = below(nObjs);
      objects.decref(objs[k] as number);
      objs[k] = objs[--nObjs] as number;
    }
  } else if (r < 0.96) {
    if (nDbg < MAX_DEBUG && rand() < 0.6) dbg[nDbg++] = debug.malloc(size());
    else if (nDbg > 0) {
      const k = below(nDbg);
      if (rand() < 0.5) dbg[k] = debug.realloc(dbg[k] as number, size());
      else {
        debug.free(dbg[k] as number);
        dbg[k] = dbg[--nDbg] as number;
      }
    }
  } else if (r < 0.9995) {
    // Invalid calls: bad sizes, interior and stale addresses, slots out of range.
    const which = below(4);
    if (which === 0) mustRefuse(() => blocks.malloc(-1 - below(100)));
    else if (which === 1 && nHeld > 0) mustRefuse(() => blocks.free((held[below(nHeld)] as number) + 8));
    else if (which === 2 && lastFreed !== 0 && !blocks.isLive(lastFreed)) mustRefuse(() => blocks.free(lastFreed));
    else if (which === 3 && nObjs > 0) mustRefuse(() => objects.setSlot(objs[below(nObjs)] as number, 3 + below(5), 0));
  } else {
    gc.collect(below(3));
  }
  if (i % VALIDATE_EVERY === 0 || i === OPS) {
    validate(i);
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
    if (i % (VALIDATE_EVERY * 8) === 0) {
      process.stderr.write(
        `soak: ${i.toLocaleString("en")} ops, ${(i / ((performance.now() - t0) / 1000)).toFixed(0)} ops/s\n`,
      );
    }
  }
}
const seconds = (performance.now() - t0) / 1000;
const mb = (b: number) => (b / 2 ** 20).toFixed(1);
console.log(
  [
    `soak: ${OPS.toLocaleString("en")} ops under ${profile.name} in ${seconds.toFixed(1)} s (${(OPS / seconds).toFixed(0)} ops/s, validation included)`,
    `  every layer validated every ${VALIDATE_EVERY.toLocaleString("en")} ops: no invariant broken; ${refused.toLocaleString("en")} invalid calls refused`,
    `  at the end: ${nHeld} blocks, ${nDbg} debug blocks, ${objects.liveObjects} objects live; ${gc.getStats().reduce((a, g) => a + g.collections, 0)} collections`,
    `  peak memory: RSS ${mb(peakRss)} MB, JS heap ${mb(peakHeap)} MB, simulated heap ${mb(raw.heapBytes)} MB`,
  ].join("\n"),
);

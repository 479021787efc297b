import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import {
  BlockAllocator,
  CycleCollector,
  createHeap,
  HeapSnapshot,
  instantiate,
  type ProfileName,
  parseTrace,
  profiles,
  RawAllocator,
  RefCounter,
  replayTrace,
  restore,
  type Stack,
  snapshot,
  TracePlayer,
} from "../../src/index.js";
import { generateGcProgram } from "../gc/gc-programs.js";
import { intIn, rng } from "../support/random.js";

const root = fileURLToPath(new URL("../../", import.meta.url));

/** Allocator calls from a seed: small and large sizes, frees of random live blocks, reallocs both ways. */
function allocatorProgram(seed: number, length: number): Array<[string, number, number]> {
  const rand = rng(seed);
  const ops: Array<[string, number, number]> = [];
  let live = 0;
  for (let i = 0; i < length; i++) {
    const r = rand();
    const size = rand() < 0.9 ? intIn(rand, 0, 512) : intIn(rand, 513, 300_000);
    if (live > 0 && r < 0.4) {
      ops.push(["free", intIn(rand, 0, live - 1), 0]);
      live--;
    } else if (live > 0 && r < 0.5) {
      ops.push(["realloc", intIn(rand, 0, live - 1), size]);
    } else {
      ops.push([rand() < 0.1 ? "calloc" : "malloc", size, 0]);
      live++;
    }
  }
  return ops;
}

/** Runs allocator calls on `blocks` with `live` as the program's own view of its blocks; returns every address. */
function run(blocks: BlockAllocator, ops: Array<[string, number, number]>, live: number[]): number[] {
  const out: number[] = [];
  for (const [op, a, b] of ops) {
    if (op === "malloc") live.push(blocks.malloc(a));
    else if (op === "calloc") live.push(blocks.calloc(1, a));
    else if (op === "free") {
      const [p] = live.splice(a, 1);
      blocks.free(p as number);
      out.push(-(p as number));
      continue;
    } else live[a] = blocks.realloc(live[a] as number, b);
    out.push(live.at(op === "realloc" ? a : -1) as number);
  }
  return out;
}

function state(blocks: BlockAllocator): unknown {
  return { stats: blocks.stats(), text: blocks.debugMallocStats(), raw: blocks.raw.stats() };
}

const PROFILES: ProfileName[] = [
  "cpython-3.8",
  "cpython-3.10",
  "cpython-3.11",
  "cpython-3.13",
  "cpython-3.14.0",
  "cpython-3.14",
];

describe("snapshot and restore: allocators", () => {
  test.prop([fc.constantFrom(...PROFILES), fc.boolean(), fc.integer(), fc.integer({ min: 0, max: 600 })], {
    numRuns: 40,
  })(
    "a restored stack, the same one or a fork or a reloaded one, gives the same addresses as the original from that point",
    (name, checked, seed, split) => {
      const ops = allocatorProgram(seed, 600);
      const heap = createHeap({ profile: name, checked });
      const live: number[] = [];
      run(heap.blocks, ops.slice(0, split), live);
      const snap = snapshot(heap);
      const liveAtSnap = [...live];
      const expected = run(heap.blocks, ops.slice(split), live);
      const endState = state(heap.blocks);

      const fork = instantiate(snap) as Required<Pick<Stack, "blocks">> & Stack;
      const reloaded = instantiate(HeapSnapshot.deserialize(snap.serialize())) as typeof fork;
      for (const other of [fork.blocks, reloaded.blocks]) {
        expect(run(other, ops.slice(split), [...liveAtSnap])).toEqual(expected);
        expect(state(other)).toEqual(endState);
        other.validate();
      }
      // Back in time on the original itself, then the same future again.
      restore(heap, snap);
      heap.blocks.validate();
      heap.raw.validate();
      expect(run(heap.blocks, ops.slice(split), [...liveAtSnap])).toEqual(expected);
      expect(state(heap.blocks)).toEqual(endState);
    },
  );

  it("replays the same suffix of a real trace into the original and a fork, address for address", () => {
    const text = gunzipSync(readFileSync(`${root}cli/traces/startup.trace.gz`)).toString("utf8");
    const lines = text.split("\n").filter((l) => l !== "");
    const header = lines.filter((l) => l.startsWith("#"));
    const body = lines.filter((l) => !l.startsWith("#"));
    const whole = parseTrace(lines.join("\n"));
    fc.assert(
      fc.property(fc.integer({ min: 1, max: body.length - 1 }), (split) => {
        // The original replays the prefix, noting what each call returned and how many calls there were.
        const original = createHeap({ profile: "cpython-3.11" });
        const answers: number[] = [];
        let calls = 0;
        const noted =
          <T extends unknown[]>(f: (...a: T) => number) =>
          (...a: T) => {
            calls++;
            const p = f(...a);
            answers.push(p);
            return p;
          };
        const b = original.blocks;
        replayTrace(parseTrace([...header, ...body.slice(0, split)].join("\n")), {
          malloc: noted((n: number) => b.malloc(n)),
          calloc: noted((n: number, e: number) => b.calloc(n, e)),
          realloc: noted((p: number, n: number) => b.realloc(p, n)),
          free: (p) => {
            calls++;
            b.free(p);
          },
        });
        const snap = snapshot(original);
        // The whole trace again, its prefix's calls answered from the notes: only the suffix reaches `blocks`.
        const suffix = (blocks: BlockAllocator): number[] => {
          const seen: number[] = [];
          const queue = [...answers];
          let n = 0;
          const later =
            <T extends unknown[]>(f: (...a: T) => number) =>
            (...a: T) => {
              if (n++ < calls) return queue.shift() as number;
              const p = f(...a);
              seen.push(p);
              return p;
            };
          replayTrace(whole, {
            malloc: later((size: number) => blocks.malloc(size)),
            calloc: later((k: number, e: number) => blocks.calloc(k, e)),
            realloc: later((p: number, size: number) => blocks.realloc(p, size)),
            free: (p) => {
              if (n++ < calls) return;
              seen.push(-p);
              blocks.free(p);
            },
          });
          return seen;
        };
        const fork = instantiate(snap).blocks as BlockAllocator;
        const expected = suffix(original.blocks);
        expect(expected.length).toBeGreaterThan(0);
        expect(suffix(fork)).toEqual(expected);
        expect(fork.debugMallocStats()).toBe(original.blocks.debugMallocStats());
      }),
      { numRuns: 6 },
    );
  });

  it("restores gc.garbage and the stats objects in place, and keeps listeners", () => {
    const blocks = new BlockAllocator({ raw: new RawAllocator(), profile: profiles["cpython-3.11"] });
    const objects = new RefCounter({ allocator: blocks });
    const gc = new CycleCollector({ objects });
    const garbage = gc.garbage;
    const stack = { raw: blocks.raw, blocks, objects, gc };
    const snap = snapshot(stack);
    let allocs = 0;
    blocks.on("block:alloc", () => allocs++);
    gc.saveAll = true;
    const T = objects.defineType({ name: "T", slots: 1, container: true });
    const a = objects.new(T);
    objects.setSlot(a, 0, a);
    objects.decref(a);
    expect(gc.collect()).toBe(1);
    expect(garbage).toEqual([a]);
    restore(stack, snap);
    expect(gc.garbage).toBe(garbage);
    expect(garbage).toEqual([]);
    expect(gc.saveAll).toBe(false);
    expect(objects.types().map((t) => t.name)).toEqual(["weakref", "tuple"]);
    const before = allocs;
    blocks.malloc(8);
    expect(allocs).toBe(before + 1);
  });

  it("moves between reserved and growing buffers, and a reloaded stack reserves as its original did", () => {
    const reserved = createHeap({ profile: "cpython-3.11", maxBytes: 1 << 26, reserve: true });
    const p = reserved.blocks.malloc(3000);
    reserved.blocks.malloc(24);
    const snap = snapshot(reserved);
    const copy = instantiate(HeapSnapshot.deserialize(snap.serialize()));
    expect(copy.raw.reserved).toBe(true);
    const growing = createHeap({ profile: "cpython-3.11", maxBytes: 1 << 26 });
    restore(growing, snap);
    expect(growing.raw.heapBytes).toBe(reserved.raw.heapBytes);
    const next = reserved.blocks.malloc(24);
    reserved.blocks.free(p);
    for (const s of [copy, growing]) {
      expect(s.blocks?.malloc(24)).toBe(next);
      s.blocks?.free(p);
    }
    expect(copy.blocks?.debugMallocStats()).toBe(reserved.blocks.debugMallocStats());
    expect(growing.blocks.debugMallocStats()).toBe(reserved.blocks.debugMallocStats());
  });
});

describe("snapshot and restore: objects and the gc", () => {
  /** A gc program run to its end on `stack`, logging finalizers, callbacks and collections. */
  function gcRun(
    profileName: ProfileName,
    seed: number,
  ): { log: string[]; atLog: number; snap: HeapSnapshot; suffix: (s: Stack, log: string[]) => void } {
    const ops = generateGcProgram(seed, 120);
    const at = Math.floor(ops.length / 2);
    const blocks = new BlockAllocator({ raw: new RawAllocator(), profile: profiles[profileName] });
    // Blocks taken before the objects and the gc exist, so that the gc's list heads are not where a fresh
    // stack's first raw block would be: a fork must find them where the snapshot has them.
    for (let i = 0; i < seed % 3; i++) blocks.malloc(40_000 * (i + 1));
    const objects = new RefCounter({ allocator: blocks });
    const gc = new CycleCollector({ objects });
    let log: string[] = [];
    let current: RefCounter = objects;
    const resurrected: number[] = [];
    const ids = new Map<number, number>();
    const addr = new Map<number, number>();
    const finalize = (a: number) => {
      log.push(`del ${ids.get(a)}`);
      if ((ids.get(a) ?? 0) % 5 === 0) {
        current.incref(a);
        resurrected.push(a);
      }
    };
    const Node = objects.defineType({ name: "Node", slots: 2, container: true, weakrefable: true, finalize });
    const step = (s: Stack, o: (typeof ops)[number], node: typeof Node) => {
      const objs = s.objects as RefCounter;
      switch (o.op) {
        case "new": {
          const a = objs.new(node);
          addr.set(o.id, a);
          ids.set(a, o.id);
          break;
        }
        case "set":
          objs.setSlot(addr.get(o.id) as number, o.slot, addr.get(o.target) as number);
          break;
        case "clear":
          objs.setSlot(addr.get(o.id) as number, o.slot, 0);
          break;
        case "drop":
          objs.decref(addr.get(o.id) as number);
          break;
        case "weak":
          objs.weakref(addr.get(o.id) as number, () => log.push(`cb ${o.tag}`));
          break;
        case "release":
          while (resurrected.length > 0) objs.decref(resurrected.pop() as number);
          break;
        case "collect": {
          const gc = s.gc as CycleCollector;
          const n = gc.collect(o.generation);
          const stats = gc.getStats().map((g) => `${g.collections}/${g.collected}/${g.uncollectable}`);
          log.push(`collect ${o.generation} -> ${n}; live ${objs.liveObjects}; count ${gc.getCount()}; stats ${stats}`);
        }
      }
    };
    const stack: Stack = { raw: blocks.raw, blocks, objects, gc };
    for (const o of ops.slice(0, at)) step(stack, o, Node);
    const snap = snapshot(stack);
    const atLog = log.length;
    const saved = { resurrected: [...resurrected], ids: new Map(ids), addr: new Map(addr) };
    for (const o of ops.slice(at)) step(stack, o, Node);
    const full = log;
    return {
      log: full,
      atLog,
      snap,
      suffix: (s, into) => {
        log = into;
        current = s.objects as RefCounter;
        resurrected.splice(0, resurrected.length, ...saved.resurrected);
        ids.clear();
        for (const [k, v] of saved.ids) ids.set(k, v);
        addr.clear();
        for (const [k, v] of saved.addr) addr.set(k, v);
        const node = (s.objects as RefCounter).types().find((t) => t.name === "Node") as typeof Node;
        for (const o of ops.slice(at)) step(s, o, node);
      },
    };
  }

  test.prop(
    [
      fc.constantFrom<ProfileName>("cpython-3.8", "cpython-3.11", "cpython-3.12", "cpython-3.14.0"),
      fc.integer({ min: 0, max: 10_000 }),
    ],
    {
      numRuns: 24,
    },
  )("a fork collects the same objects in the same order as the original", (name, seed) => {
    const r = gcRun(name, seed);
    const forkLog: string[] = [];
    const fork = instantiate(r.snap);
    r.suffix(fork, forkLog);
    expect(forkLog).toEqual(r.log.slice(r.atLog));
    expect(forkLog.some((l) => l.startsWith("collect"))).toBe(true);
    (fork.blocks as BlockAllocator).validate();
  });
});

describe("snapshot and restore: bad input", () => {
  const heap = () => createHeap({ profile: "cpython-3.11" });

  it("refuses a stack built unlike the snapshot's, changing nothing", () => {
    const a = heap();
    a.blocks.malloc(10);
    const snap = snapshot(a);
    const cases: Array<[Stack, new (...args: never[]) => Error, RegExp]> = [
      [createHeap({ profile: "cpython-3.9" }), RangeError, /profile cpython-3.11; the stack's follow cpython-3.9/],
      [createHeap({ profile: "cpython-3.11", checked: false }), RangeError, /checked mode/],
      [
        createHeap({ profile: "cpython-3.11", maxBytes: 2 ** 28 }),
        RangeError,
        /maxBytes 2147483648; this one has 268435456/,
      ],
      [{ raw: new RawAllocator() }, TypeError, /layers raw, blocks, objects, gc; the stack has raw/],
    ];
    for (const [target, type, message] of cases) {
      const blocks = target.blocks;
      if (blocks) blocks.malloc(40);
      const before = blocks ? state(blocks) : target.raw.stats();
      const bytes = Buffer.from(target.raw.u8);
      expect(() => restore(target, snap)).toThrow(type);
      expect(() => restore(target, snap)).toThrow(message);
      expect(blocks ? state(blocks) : target.raw.stats()).toEqual(before);
      expect(Buffer.from(target.raw.u8).equals(bytes)).toBe(true);
      blocks?.validate();
    }
    const other = heap();
    expect(() => restore({ raw: a.raw, blocks: other.blocks }, snap)).toThrow(/built on stack.raw/);
    expect(() => restore(a, {} as HeapSnapshot)).toThrow(/must be a HeapSnapshot, got Object/);
  });

  it("refuses bytes that are not a snapshot, naming what is wrong", () => {
    const good = snapshot(heap()).serialize();
    const json = new DataView(good.buffer).getUint32(12, true);
    const cases: Array<[unknown, RegExp]> = [
      ["text", /must be a Uint8Array, got string/],
      [new Uint8Array(4), /do not start with "PYMEMSNP"/],
      [Uint8Array.from(good).fill(0, 0, 8), /do not start with "PYMEMSNP"/],
      [
        (() => {
          const b = Uint8Array.from(good);
          new DataView(b.buffer).setUint32(8, 99, true);
          return b;
        })(),
        /format 99 is not supported/,
      ],
      [good.slice(0, 16 + json - 5), /truncated snapshot/],
      [good.slice(0, good.length - 100), /blob \d+ is not inside the bytes/],
      [
        (() => {
          const b = Uint8Array.from(good);
          b[16] = 0x7b + 1;
          return b;
        })(),
        /not JSON/,
      ],
    ];
    for (const [bytes, message] of cases) expect(() => HeapSnapshot.deserialize(bytes as Uint8Array)).toThrow(message);
  });

  it("refuses forged contents: blobs read twice, unknown fields, wrong kinds, deep nesting", () => {
    const heap = createHeap({ profile: "cpython-3.11" });
    heap.blocks.malloc(24);
    const good = snapshot(heap).serialize();
    const json = new DataView(good.buffer).getUint32(12, true);
    const head = JSON.parse(new TextDecoder().decode(good.subarray(16, 16 + json)));
    const blobsStart = Math.ceil((16 + json) / 8) * 8;
    // The header edited and written back at its new length, the blobs after it as they were.
    const forge = (edit: (h: typeof head) => void): Uint8Array => {
      const h = structuredClone(head);
      edit(h);
      const text = new TextEncoder().encode(JSON.stringify(h));
      const start = Math.ceil((16 + text.length) / 8) * 8;
      const out = new Uint8Array(start + good.length - blobsStart);
      out.set(good.subarray(0, 12));
      new DataView(out.buffer).setUint32(12, text.length, true);
      out.set(text, 16);
      out.set(good.subarray(blobsStart), start);
      return out;
    };
    const cases: Array<[(h: typeof head) => void, RegExp]> = [
      [(h) => (h.layers.blocks.v.usedFirst.blob = h.layers.blocks.v.usedLast.blob), /blob \d+ is used twice/],
      [
        (h) => {
          // Room for it: a field dropped, one the layer keeps as wiring (its Memory) put in.
          delete h.layers.raw.v.peakInUse;
          h.layers.raw.v.memory = 1;
        },
        /holds "memory", which this raw does not keep/,
      ],
      [(h) => (h.layers.raw.v.sentinel = "x"), /corrupt snapshot/],
      [(h) => delete h.layers.gc.v.heads, /the snapshot's gc lacks "heads"/],
      [(h) => (h.layers.blocks.v.arenaMapMid = { $: "s", v: 5 }), /is not a set/],
      [(h) => (h.blobs[0] = [-8, 8]), /blob 0 is not inside the bytes/],
      [(h) => (h.layers = null), /no layers/],
    ];
    for (const [edit, message] of cases) {
      expect(() => HeapSnapshot.deserialize(forge(edit))).toThrow(RangeError);
      expect(() => HeapSnapshot.deserialize(forge(edit))).toThrow(message);
    }
    let deep: unknown = 1;
    for (let i = 0; i < 40; i++) deep = [deep];
    expect(() =>
      HeapSnapshot.deserialize(
        forge((h) => {
          delete h.layers.raw.v.peakInUse;
          h.layers.raw.v.requested = deep;
        }),
      ),
    ).toThrow(/nests too deep/);
  });

  it("refuses a stack that leaves out a layer built on it", () => {
    const raw = new RawAllocator();
    const blocks = new BlockAllocator({ raw, profile: profiles["cpython-3.11"] });
    const objects = new RefCounter({ allocator: blocks });
    expect(() => snapshot({ raw, blocks })).toThrow(/leaves out a layer built on its allocators/);
    const gc = new CycleCollector({ objects });
    expect(() => snapshot({ raw, blocks, objects })).toThrow(/leaves out the CycleCollector/);
    expect(() => new TracePlayer(parseTrace("m 0 8"), { raw, blocks })).toThrow(TypeError);
    expect(snapshot({ raw, blocks, objects, gc }).stackLayers).toEqual(["raw", "blocks", "objects", "gc"]);
    // createHeap builds the whole stack, so the heap itself is a complete one.
    expect(snapshot(createHeap()).stackLayers).toEqual(["raw", "blocks", "objects", "gc"]);
  });

  it("asks for the finalizers and callbacks the bytes cannot carry", () => {
    const blocks = new BlockAllocator({ raw: new RawAllocator(), profile: profiles["cpython-3.11"] });
    const objects = new RefCounter({ allocator: blocks });
    const T = objects.defineType({ name: "T", weakrefable: true, finalize: () => {} });
    const t = objects.new(T);
    const wr = objects.weakref(t, () => {});
    const bytes = snapshot({ raw: blocks.raw, blocks, objects }).serialize();
    expect(() => HeapSnapshot.deserialize(bytes)).toThrow(
      /type T has a finalizer: pass it as options.finalizers\["T"\]/,
    );
    expect(() => HeapSnapshot.deserialize(bytes, { finalizers: { T: () => {} } })).toThrow(
      new RegExp(`weakref ${wr} has a callback`),
    );
    const calls: string[] = [];
    const back = instantiate(
      HeapSnapshot.deserialize(bytes, {
        finalizers: { T: (a) => calls.push(`del ${a}`) },
        weakrefCallback: (w) => () => calls.push(`cb ${w}`),
      }),
    );
    (back.objects as RefCounter).decref(t);
    // subtype_dealloc: the finalizer, then the weakrefs' callbacks.
    expect(calls).toEqual([`del ${t}`, `cb ${wr}`]);
  });

  it("refuses a snapshot from inside a collection", () => {
    const blocks = new BlockAllocator({ raw: new RawAllocator(), profile: profiles["cpython-3.11"] });
    const objects = new RefCounter({ allocator: blocks });
    const gc = new CycleCollector({ objects });
    const stack = { raw: blocks.raw, blocks, objects, gc };
    let error: unknown;
    const T = objects.defineType({
      name: "T",
      slots: 1,
      container: true,
      finalize: () => {
        try {
          snapshot(stack);
        } catch (e) {
          error = e;
        }
      },
    });
    const a = objects.new(T);
    objects.setSlot(a, 0, a);
    objects.decref(a);
    gc.collect();
    expect(error).toBeInstanceOf(RangeError);
    expect(String(error)).toMatch(/while a collection or a deallocation is under way/);
  });
});

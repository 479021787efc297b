import { describe, expect, it } from "vitest";
import {
  BlockAllocator,
  createHeap,
  parseTrace,
  RawAllocator,
  replayTrace,
  type TraceAllocator,
  TraceError,
} from "../../src/index.js";

const EXAMPLE = "m 0 24\nm 1 100\nr 0 40\nf 1\nc 2 4 8\ns\nf 0\nf 2\n";

async function* chunks(text: string): AsyncGenerator<string> {
  for (let i = 0; i < text.length; i += 5) yield text.slice(i, i + 5);
}

describe("replayTrace", () => {
  it("reports the raw bytes the trace's calls held, whatever the heap held before, and keeps the heap's own peak", () => {
    const alone = new BlockAllocator({ raw: new RawAllocator() });
    const expected = replayTrace(parseTrace(EXAMPLE), alone).peakRawBytes;
    expect(expected).toBe(alone.raw.stats().peakBytesInUse);
    // createHeap's gc holds its list heads in a raw block; a user's heap may hold more, and have held more still.
    const heap = createHeap();
    const kept = heap.raw.malloc(5000);
    heap.raw.free(heap.raw.malloc(3 << 20));
    const lifetime = heap.raw.stats().peakBytesInUse;
    const s = replayTrace(parseTrace(EXAMPLE), heap.blocks, { sampleEvery: 1 });
    expect(s.peakRawBytes).toBe(expected);
    expect(heap.raw.stats().peakBytesInUse).toBe(lifetime);
    expect(Math.max(...(s.series ?? []).map((x) => x.rawBytes))).toBe(expected);
    heap.raw.free(kept);
    // A replay that raises the heap's high-water mark leaves it raised.
    const fresh = createHeap();
    const before = fresh.raw.bytesInUse;
    expect(replayTrace(parseTrace(EXAMPLE), fresh.blocks).peakRawBytes).toBe(expected);
    expect(fresh.raw.stats().peakBytesInUse).toBe(before + (expected ?? 0));
  });

  it("replays into BlockAllocator, RawAllocator and a user's allocator alike", () => {
    const { blocks } = createHeap();
    const s = replayTrace(parseTrace(EXAMPLE), blocks);
    expect(s).toMatchObject({ ops: 8, mallocs: 2, callocs: 1, reallocs: 1, frees: 3, checkpoints: 1 });
    expect(s.peakLiveBlocks).toBe(2);
    expect(s.peakLiveBytes).toBe(140); // 24 + 100, then block 0 grows to 40
    expect(s.liveBlocksAtEnd).toBe(0);
    expect(s.arenasHighwater).toBe(1);
    expect(blocks.allocatedBlocks()).toBe(0);
    const raw = new RawAllocator();
    expect(replayTrace(parseTrace(EXAMPLE), raw).ops).toBe(8);
    expect(raw.stats().liveBlocks).toBe(0);
    let next = 16;
    const calls: string[] = [];
    const mine: TraceAllocator = {
      malloc: (n) => {
        calls.push(`malloc ${n}`);
        next += 1000;
        return next;
      },
      calloc: (a, b) => {
        calls.push(`calloc ${a} ${b}`);
        next += 1000;
        return next;
      },
      realloc: (p, n) => {
        calls.push(`realloc ${p} ${n}`);
        return p;
      },
      free: (p) => calls.push(`free ${p}`),
    };
    replayTrace(parseTrace(EXAMPLE), mine);
    expect(calls).toEqual([
      "malloc 24",
      "malloc 100",
      "realloc 1016 40",
      "free 2016",
      "calloc 4 8",
      "free 1016",
      "free 3016",
    ]);
  });

  it("streams give the same summary as text", async () => {
    const a = replayTrace(parseTrace(EXAMPLE), createHeap().blocks);
    const b = await replayTrace(parseTrace(chunks(EXAMPLE)), createHeap().blocks);
    expect({ ...b, elapsedMs: 0, nsPerOp: 0 }).toEqual({ ...a, elapsedMs: 0, nsPerOp: 0 });
  });

  it("samples a time series, reports progress and checkpoints with CPython's report", () => {
    const { blocks } = createHeap();
    const lines = Array.from({ length: 100 }, (_, i) => `m ${i} ${1 + i * 5}`);
    lines.push("s", ...Array.from({ length: 100 }, (_, i) => `f ${i}`));
    const progress: number[] = [];
    const s = replayTrace(parseTrace(lines.join("\n")), blocks, {
      sampleEvery: 50,
      progressEvery: 100,
      onProgress: (n) => progress.push(n),
      keepCheckpoints: true,
    });
    expect(s.series?.map((x) => x.op)).toEqual([50, 100, 150, 200, 201]);
    expect(s.series?.[1]?.liveBlocks).toBe(100);
    expect(s.series?.[1]?.arenas).toBe(1);
    expect(s.series?.[1]?.poolsPerClass.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    expect(progress).toEqual([100, 200]);
    expect(s.checkpointStats?.map((c) => c.line)).toEqual([101, 0]);
    expect(s.checkpointStats?.[0]?.stats).toMatch(/^Small block threshold/);
  });

  it("semantic errors name the line and leave the allocator valid", () => {
    for (const [text, lineNo, message] of [
      ["m 0 8\nm 0 9\n", 2, /block 0 is already live/],
      ["m 0 8\nf 1\n", 2, /block 1 is not live/],
      ["r 3 8\n", 1, /block 3 is not live/],
      ["m 0 8\nf 0\nf 0\n", 3, /block 0 is not live/],
    ] as const) {
      const blocks = new BlockAllocator();
      let e: unknown;
      try {
        replayTrace(parseTrace(text), blocks);
      } catch (x) {
        e = x;
      }
      expect(e).toBeInstanceOf(TraceError);
      expect((e as TraceError).line).toBe(lineNo);
      expect((e as Error).message).toMatch(message);
      blocks.validate();
    }
  });

  it("an allocator failure becomes a TraceError naming the line, with the cause kept", () => {
    const blocks = new BlockAllocator({ raw: new RawAllocator({ maxBytes: 1 << 16, initialBytes: 1 << 16 }) });
    let e: unknown;
    try {
      replayTrace(parseTrace("m 0 8\nm 1 100000\n"), blocks);
    } catch (x) {
      e = x;
    }
    expect(e).toBeInstanceOf(TraceError);
    expect((e as TraceError).line).toBe(2);
    expect((e as { cause?: unknown }).cause).toBeInstanceOf(Error);
    blocks.validate();
  });

  it("rejects bad arguments", () => {
    expect(() => replayTrace(parseTrace(EXAMPLE), {} as TraceAllocator)).toThrow(/malloc/);
    expect(() => replayTrace({} as never, new BlockAllocator())).toThrow(/parseTrace/);
    expect(() => replayTrace(parseTrace(EXAMPLE), new BlockAllocator(), { sampleEvery: 0 })).toThrow(/sampleEvery/);
    const blocks = new BlockAllocator();
    expect(() => replayTrace(parseTrace(EXAMPLE), blocks, { onProgress: 5 as never })).toThrow(/onProgress/);
    expect(() => replayTrace(parseTrace(EXAMPLE), blocks, null as never)).toThrow(/options must be an object/);
    expect(blocks.allocatedBlocks()).toBe(0);
  });
});

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  loadTrace,
  parseTrace,
  RawAllocator,
  replayTrace,
  TraceError,
  type TypeTable,
  typeUsage,
} from "../../src/index.js";

const TYPES = ["list", "dict", "str", "Foo"];

/**
 * A random annotated trace: blocks made, reallocated and freed; each made block named `# type` or `# part`
 * (or not), with a checkpoint now and then. Returns the text and, per checkpoint and at the end, the bytes by
 * type worked out independently (per block, not per type counter).
 */
const annotatedTrace = fc
  .array(
    fc.record({
      kind: fc.constantFrom("make", "make", "realloc", "free", "checkpoint"),
      size: fc.nat({ max: 600 }),
      type: fc.integer({ min: -1, max: TYPES.length - 1 }),
      part: fc.boolean(),
      pick: fc.nat(),
    }),
    { maxLength: 300 },
  )
  .map((steps) => {
    const lines: string[] = [];
    const live = new Map<number, { size: number; type: number; part: boolean }>();
    const free: number[] = [];
    let next = 0;
    const expected: Array<Record<string, number>> = [];
    const tally = () => {
      const t: Record<string, number> = {};
      for (const b of live.values()) {
        const key = b.type < 0 ? "(untyped)" : `${TYPES[b.type]}${b.part ? " part" : ""}`;
        t[key] = (t[key] ?? 0) + b.size;
      }
      return t;
    };
    for (const s of steps) {
      const ids = [...live.keys()];
      if (s.kind === "make" || ids.length === 0) {
        const id = free.length > 0 ? (free.pop() as number) : next++;
        lines.push(`m ${id} ${s.size}`);
        if (s.type >= 0) lines.push(`# ${s.part ? "part" : "type"} ${id} ${TYPES[s.type]}`);
        live.set(id, { size: s.size, type: s.type, part: s.part });
      } else if (s.kind === "realloc") {
        const id = ids[s.pick % ids.length] as number;
        lines.push(`r ${id} ${s.size}`);
        (live.get(id) as { size: number }).size = s.size;
      } else if (s.kind === "free") {
        const id = ids[s.pick % ids.length] as number;
        lines.push(`f ${id}`);
        live.delete(id);
        free.push(id);
      } else {
        lines.push("s");
        expected.push(tally());
      }
    }
    return { text: `${lines.join("\n")}\n`, checkpoints: expected, end: tally() };
  });

function flatten(t: TypeTable): Record<string, number> {
  const out: Record<string, number> = {};
  for (const u of t.types) {
    if (u.objects > 0) out[u.type] = u.objectBytes;
    if (u.parts > 0) out[`${u.type} part`] = u.partBytes;
  }
  if (t.untypedBlocks > 0) out["(untyped)"] = t.untypedBytes;
  return out;
}

describe("trace type annotations", () => {
  it("name the block made by the m or c just before them, and are no comment lines", () => {
    const t = parseTrace("# python: 3.13.1\nm 0 56\n# type 0 list\nc 1 4 8\n# part 1 list\nm 2 24\nf 2\n");
    expect(t.header.typeNames).toEqual(["list"]);
    expect(Array.from(t.ops.type.subarray(0, 4))).toEqual([1, 1, 0, 0]);
    expect(Array.from(t.ops.part.subarray(0, 4))).toEqual([0, 1, 0, 0]);
    expect(t.header.comments).toEqual(["python: 3.13.1"]);
  });

  it("that do not follow their block's m or c are ordinary comments", () => {
    const t = parseTrace("m 0 56\nm 1 8\n# type 0 list\nf 1\n# type 1 str\n# type 0\n");
    expect(Array.from(t.ops.type.subarray(0, 3))).toEqual([0, 0, 0]);
    expect(t.header.typeNames).toEqual([]);
    expect(t.header.comments).toEqual(["type 0 list", "type 1 str", "type 0"]);
  });

  it("reach the op before them across stream batches and chunk boundaries", async () => {
    // More ops than a stream batch holds (65,536), each named, cut into chunks of awkward sizes.
    const n = 70_000;
    const lines: string[] = [];
    for (let i = 0; i < n; i++) lines.push(`m ${i} ${8 + (i % 64)}`, `# type ${i} t${i % 7}`);
    const text = `${lines.join("\n")}\n`;
    for (const size of [7, 4096, 65_537]) {
      const chunks = async function* () {
        for (let at = 0; at < text.length; at += size) yield text.slice(at, at + size);
      };
      const whole = await loadTrace(chunks());
      expect(whole.ops.length).toBe(n);
      let named = 0;
      for (let i = 0; i < n; i++) if (whole.ops.type[i] !== 0) named++;
      expect(named).toBe(n);
    }
  });
});

describe("typeUsage", () => {
  it("bytes by type at each checkpoint and at the end are the live blocks' bytes, by their annotations", () => {
    fc.assert(
      fc.property(annotatedTrace, ({ text, checkpoints, end }) => {
        const u = typeUsage(parseTrace(text), { checkpoints: true });
        expect(u.checkpoints.map(flatten)).toEqual(checkpoints);
        expect(flatten(u.end)).toEqual(end);
      }),
    );
  });

  it("types' bytes and untyped bytes add up to the live bytes; the peak is the replay's", () => {
    fc.assert(
      fc.property(annotatedTrace, ({ text }) => {
        const trace = parseTrace(text);
        const u = typeUsage(trace, { checkpoints: true, sampleEvery: 7 });
        const summary = replayTrace(trace, new RawAllocator());
        for (const t of [u.peak, u.end, ...u.checkpoints]) {
          expect(t.types.reduce((a, x) => a + x.bytes, 0) + t.untypedBytes).toBe(t.liveBytes);
          expect(t.types.reduce((a, x) => a + x.objects + x.parts, 0) + t.untypedBlocks).toBe(t.liveBlocks);
        }
        expect(u.peak.liveBytes).toBe(summary.peakLiveBytes);
        expect(u.end.liveBlocks).toBe(summary.liveBlocksAtEnd);
        // The last sample is the end, type by type.
        const last = u.series.at(-1);
        const byName = Object.fromEntries(u.end.types.map((x) => [x.type, x.bytes]));
        expect(Object.fromEntries(u.names.map((n, k) => [n, last?.bytes[k] ?? 0]).filter(([, v]) => v !== 0))).toEqual(
          Object.fromEntries(Object.entries(byName).filter(([, v]) => v !== 0)),
        );
        expect(last?.untypedBytes).toBe(u.end.untypedBytes);
        expect(u.series.at(-1)?.op).toBe(summary.ops);
      }),
    );
  });

  it("reads a stream twice and finds what a whole trace gives", async () => {
    await fc.assert(
      fc.asyncProperty(annotatedTrace, async ({ text }) => {
        const stream = parseTrace(() =>
          (async function* () {
            yield text;
          })(),
        );
        expect(await typeUsage(stream, { checkpoints: true })).toEqual(
          typeUsage(parseTrace(text), { checkpoints: true }),
        );
      }),
      { numRuns: 30 },
    );
  });

  it("of a trace that names nothing: everything untyped, annotated false", () => {
    const u = typeUsage(parseTrace("m 0 10\nm 1 20\nf 0\n"));
    expect(u.annotated).toBe(false);
    expect(u.peak).toMatchObject({ liveBytes: 30, untypedBytes: 30, types: [] });
    expect(u.end).toMatchObject({ liveBytes: 20, untypedBlocks: 1 });
  });

  it("bad traces and options: errors naming the line or the value", () => {
    expect(() => typeUsage(parseTrace("m 0 8\nm 0 8\n"))).toThrow(TraceError);
    expect(() => typeUsage(parseTrace("f 3\n"))).toThrow(/line 1.*block 3 is not live/);
    expect(() => typeUsage(parseTrace("m 0 8\n"), { sampleEvery: 0 })).toThrow(
      /sampleEvery must be a positive integer, got 0/,
    );
    expect(() => typeUsage(parseTrace("m 0 8\n"), { checkpoints: "yes" as unknown as boolean })).toThrow(TypeError);
    expect(() => typeUsage({} as never)).toThrow(/parseTrace or loadTrace/);
  });
});

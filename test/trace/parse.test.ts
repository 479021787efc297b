import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  loadTrace,
  parseTrace,
  RawAllocator,
  replayTrace,
  type TraceBatch,
  TraceError,
  TraceOp,
} from "../../src/index.js";

const line = fc.oneof(
  fc.tuple(fc.nat(), fc.nat()).map(([id, n]) => `m ${id} ${n}`),
  fc.tuple(fc.nat(), fc.nat(), fc.nat()).map(([id, a, b]) => `c ${id} ${a} ${b}`),
  fc.tuple(fc.nat(), fc.nat()).map(([id, n]) => `r ${id} ${n}`),
  fc.nat().map((id) => `f ${id}`),
  fc.constant("s"),
  fc.constant("# a comment"),
  fc.constant(""),
);

function rows(b: TraceBatch): string[] {
  return Array.from({ length: b.length }, (_, i) => b.text(i));
}

async function* chunksOf(text: string, sizes: number[]): AsyncGenerator<string> {
  let at = 0;
  for (let k = 0; at < text.length; k++) {
    const n = Math.max(1, sizes[k % sizes.length] ?? 1);
    yield text.slice(at, at + n);
    at += n;
  }
}

async function* bytesOf(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

async function streamRows(input: AsyncIterable<string | Uint8Array>): Promise<string[]> {
  const out: string[] = [];
  for await (const b of parseTrace(input)) out.push(...rows(b));
  return out;
}

describe("parseTrace", () => {
  it("parses the format's example with its header comments", () => {
    const t = parseTrace(
      "# workload: tiny example\n# python: 3.11.7\nm 0 24\nm 1 100\nr 0 40\nf 1\nc 2 4 8\ns\nf 0\nf 2\n",
    );
    expect(t.header.fields).toEqual({ workload: "tiny example", python: "3.11.7" });
    expect(t.ops.length).toBe(8);
    expect(rows(t.ops)).toEqual(["m 0 24", "m 1 100", "r 0 40", "f 1", "c 2 4 8", "s", "f 0", "f 2"]);
    expect(t.ops.op[5]).toBe(TraceOp.Stats);
    expect(t.ops.line[0]).toBe(3);
  });

  it("accepts CRLF, blank lines and a last line without a newline", () => {
    expect(rows(parseTrace("m 0 1\r\n\r\n\nf 0").ops)).toEqual(["m 0 1", "f 0"]);
  });

  it("text, bytes and streams cut anywhere parse to the same ops", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(line, { maxLength: 60 }),
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1 }),
        async (lines, sizes) => {
          const text = `${lines.join("\n")}\n`;
          const whole = rows(parseTrace(text).ops);
          expect(whole).toEqual(lines.filter((l) => l !== "" && !l.startsWith("#")));
          expect(rows(parseTrace(new TextEncoder().encode(text)).ops)).toEqual(whole);
          expect(await streamRows(chunksOf(text, sizes))).toEqual(whole);
          expect(await streamRows(bytesOf(new TextEncoder().encode(text), sizes[0] ?? 7))).toEqual(whole);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("decompresses gzip streams, detected by their magic bytes", async () => {
    const text = "m 0 10\nf 0\ns\n";
    const gz = new Uint8Array(
      await new Response(new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"))).arrayBuffer(),
    );
    expect(await streamRows(bytesOf(gz, 5))).toEqual(["m 0 10", "f 0", "s"]);
    // The magic is found even when the stream starts with an empty or a one-byte chunk.
    async function* tiny(): AsyncGenerator<Uint8Array> {
      yield new Uint8Array(0);
      yield gz.subarray(0, 1);
      yield gz.subarray(1);
    }
    expect(await streamRows(tiny())).toEqual(["m 0 10", "f 0", "s"]);
    expect(() => parseTrace(gz)).toThrow(/gzip.*loadTrace/);
  });

  it("loadTrace reads bytes (gzip or not), text, chunks and streams into a whole trace, header and all", async () => {
    const text = "# workload: x\nm 0 10\nc 1 2 8\nr 0 30\nf 1\ns\n";
    const gz = new Uint8Array(
      await new Response(new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"))).arrayBuffer(),
    );
    const expected = parseTrace(text);
    for (const input of [
      text,
      new TextEncoder().encode(text),
      gz,
      bytesOf(gz, 3),
      chunksOf(text, [4]),
      parseTrace(chunksOf(text, [5])),
    ]) {
      const t = await loadTrace(input);
      expect(rows(t.ops)).toEqual(rows(expected.ops));
      expect(Array.from(t.ops.line.subarray(0, t.ops.length))).toEqual([2, 3, 4, 5, 6]);
      expect(t.header).toEqual(expected.header);
    }
    // Many batches: the op columns are joined in order.
    const many = Array.from({ length: 70_000 * 2 }, (_, i) => (i % 2 === 0 ? `m ${i / 2} 8` : `f ${(i - 1) / 2}`));
    const big = await loadTrace(chunksOf(`${many.join("\n")}\n`, [4096]));
    expect(big.ops.length).toBe(many.length);
    expect(big.ops.text(big.ops.length - 1)).toBe(many.at(-1));
    await expect(loadTrace(42 as never)).rejects.toThrow(/loadTrace takes/);
    await expect(loadTrace("m 0 1\nx\n")).rejects.toThrow(TraceError);
  });

  it("a stream opened by a function replays any number of times; a stream of chunks once, and says so", async () => {
    const text = "# python: 3.11\nm 0 10\nm 1 700\nf 0\n";
    let opened = 0;
    const reopening = parseTrace(() => {
      opened++;
      return chunksOf(text, [3]);
    });
    for (let i = 0; i < 3; i++) {
      const s = await replayTrace(reopening, new RawAllocator());
      expect(s.peakLiveBlocks).toBe(2);
      expect(reopening.header.fields).toEqual({ python: "3.11" });
      expect(reopening.header.comments).toEqual(["python: 3.11"]);
    }
    expect(opened).toBe(3);
    const once = parseTrace(chunksOf(text, [3]));
    await replayTrace(once, new RawAllocator());
    await expect(replayTrace(once, new RawAllocator())).rejects.toThrow(/read already.*parseTrace\(\(\) =>/);
    await expect(replayTrace(parseTrace((() => 7) as never), new RawAllocator())).rejects.toThrow(
      /must return an async iterable of chunks, got number/,
    );
  });

  it("streams: hands out the first batch long before the input ends", async () => {
    let pulled = 0;
    async function* endless(): AsyncGenerator<string> {
      for (let i = 0; i < 1000; i++) {
        pulled++;
        yield Array.from({ length: 1000 }, (_, k) => `m ${i * 1000 + k} 8`)
          .join("\n")
          .concat("\n");
      }
    }
    for await (const batch of parseTrace(endless())) {
      expect(batch.length).toBe(65536);
      break;
    }
    expect(pulled).toBeLessThan(100);
  });

  it("rejects malformed lines with TraceError naming the line, its text and what was expected", () => {
    const bad: Array<[string, number, RegExp]> = [
      ["m 0 8\nx 1\n", 2, /op letter/],
      ["m 0\n", 1, /expected 2 field\(s\) after 'm', got 1/],
      ["f 0 1\n", 1, /got more/],
      ["c 0 1\n", 1, /expected 3 field/],
      ["m 0 -1\n", 1, /non-negative decimal integer in field 2/],
      ["m 0 0x10\n", 1, /non-negative decimal integer/],
      ["m  0 8\n", 1, /separated by one space/],
      ["m 0 8 \n", 1, /trailing space/],
      ["s \n", 1, /trailing space/],
      ["s1\n", 1, /op letter/],
      ["m 0 99999999999999999999\n", 1, /too large/],
    ];
    for (const [text, lineNo, message] of bad) {
      let e: unknown;
      try {
        parseTrace(text);
      } catch (x) {
        e = x;
      }
      expect(e, text).toBeInstanceOf(TraceError);
      expect((e as TraceError).line, text).toBe(lineNo);
      expect((e as TraceError).text, text).toBe(text.split("\n")[lineNo - 1]);
      expect((e as Error).message, text).toMatch(message);
    }
  });

  it("rejects inputs that are not traces", () => {
    expect(() => parseTrace(42 as never)).toThrow(TypeError);
    expect(() => parseTrace(null as never)).toThrow(/null/);
  });
});

import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import {
  BlockAllocator,
  DebugAllocator,
  HeapCorruptionError,
  InvalidAddressError,
  OutOfMemoryError,
  profiles,
  RawAllocator,
} from "../../src/index.js";

function setUp(profile: keyof typeof profiles = "cpython-3.11") {
  const blocks = new BlockAllocator({ raw: new RawAllocator(), profile: profiles[profile] });
  return { blocks, u8: blocks.raw.u8, debug: new DebugAllocator({ allocator: blocks }) };
}

const hex = (u8: Uint8Array, from: number, to: number) => Buffer.from(u8.subarray(from, to)).toString("hex");
const rep = (byte: string, n: number) => byte.repeat(n);

/** What `f` throws; a test that expects a throw fails here, rather than passing, when nothing is thrown. */
function thrownBy(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error("expected a throw, and nothing was thrown");
}

describe("DebugAllocator", () => {
  it("puts the size (big-endian), the API id and forbidden bytes around 0xCD-filled data", () => {
    const { u8, debug, blocks } = setUp();
    const p = debug.malloc(5);
    expect(hex(u8, p - 16, p + 13)).toBe(`0000000000000005${"6f"}${rep("fd", 7)}${rep("cd", 5)}${rep("fd", 8)}`);
    expect(p % 16).toBe(0);
    expect(debug.requestedSize(p)).toBe(5);
    // 24 more bytes per block: 8-byte requests take 32-byte blocks, 9-byte ones 48-byte blocks.
    expect(debug.malloc(8) - debug.malloc(8)).toBe(-32);
    expect(Math.abs(debug.malloc(9) - debug.malloc(9))).toBe(48);
    const raw = new DebugAllocator({ allocator: blocks, domain: "raw" });
    const r = raw.malloc(3);
    expect(hex(u8, r - 8, r - 7)).toBe("72");
    const mem = new DebugAllocator({ allocator: blocks, domain: "mem" });
    const m = mem.malloc(1);
    expect(hex(u8, m - 8, m - 7)).toBe("6d");
  });

  it("calloc leaves zeros; a 0-byte request is a real block whose tail starts at once", () => {
    const { u8, debug } = setUp();
    const c = debug.calloc(3, 2);
    expect(hex(u8, c, c + 14)).toBe(`${rep("00", 6)}${rep("fd", 8)}`);
    const z = debug.malloc(0);
    expect(hex(u8, z - 16, z + 8)).toBe(`${rep("00", 8)}6f${rep("fd", 7)}${rep("fd", 8)}`);
    debug.free(z);
    debug.free(c);
  });

  it("wraps a block pymalloc cannot serve (489 bytes and more) in a raw-domain debug block too", () => {
    const { u8, debug, blocks } = setUp();
    const p = debug.malloc(1000);
    expect(blocks.owns(p)).toBe(false);
    expect(hex(u8, p - 32, p)).toBe(`0000000000000400${"72"}${rep("fd", 7)}00000000000003e8${"6f"}${rep("fd", 7)}`);
    expect(hex(u8, p + 1000, p + 1016)).toBe(rep("fd", 16));
    expect(blocks.stats().rawAllocatedBlocks).toBe(1);
    debug.free(p);
    expect(blocks.stats().rawAllocatedBlocks).toBe(0);
    expect(debug.malloc(488) - debug.malloc(488)).not.toBe(0);
    expect(blocks.stats().rawAllocatedBlocks).toBe(0);
  });

  it("sends a small request to the raw domain's hook when pymalloc has no arena to give, as CPython does", () => {
    // Room for the raw allocator's own blocks but not for a 1 MiB arena.
    const blocks = new BlockAllocator({
      raw: new RawAllocator({ maxBytes: 1 << 19 }),
      profile: profiles["cpython-3.11"],
    });
    const debug = new DebugAllocator({ allocator: blocks });
    const u8 = blocks.raw.u8;
    const p = debug.malloc(10);
    expect(blocks.owns(p)).toBe(false);
    expect(hex(u8, p - 32, p)).toBe(`0000000000000022${"72"}${rep("fd", 7)}000000000000000a${"6f"}${rep("fd", 7)}`);
    const q = debug.realloc(p, 12);
    expect(blocks.owns(q)).toBe(false);
    expect(blocks.stats().rawAllocatedBlocks).toBe(1);
    debug.free(q);
    expect(blocks.stats().rawAllocatedBlocks).toBe(0);
    blocks.validate();
  });

  it("fills a freed block with 0xDD, pads included; pymalloc then links it through its first word", () => {
    const { u8, debug } = setUp();
    const p = debug.malloc(100);
    debug.malloc(100);
    debug.free(p);
    expect(hex(u8, p - 8, p + 108)).toBe(rep("dd", 116));
  });

  it("reallocs in place or not as pymalloc does, erasing and restoring as CPython does", () => {
    const { u8, debug } = setUp();
    const fill = (p: number, n: number) => u8.fill(0x11, p, p + n);
    const a = debug.malloc(100);
    fill(a, 100);
    const b = debug.realloc(a, 102);
    expect(b).toBe(a);
    expect(hex(u8, b, b + 110)).toBe(`${rep("11", 100)}cdcd${rep("fd", 8)}`);
    const c = debug.realloc(b, 90);
    expect(c).toBe(b);
    expect(hex(u8, c, c + 110)).toBe(`${rep("11", 90)}${rep("fd", 8)}${rep("dd", 12)}`);
    // 200 -> 40 moves: the old block keeps its middle, erased only at both ends.
    const d = debug.malloc(200);
    fill(d, 200);
    const e = debug.realloc(d, 40);
    expect(e).not.toBe(d);
    expect(hex(u8, e - 16, e + 48)).toBe(`0000000000000028${"6f"}${rep("fd", 7)}${rep("11", 40)}${rep("fd", 8)}`);
    expect(hex(u8, d - 8, d + 208)).toBe(
      `${rep("dd", 8)}${rep("dd", 64)}${rep("11", 72)}${rep("dd", 64)}${rep("dd", 8)}`,
    );
    // realloc(p, 0) is a live empty block; realloc(0, n) is malloc.
    const f = debug.realloc(e, 0);
    expect(debug.requestedSize(f)).toBe(0);
    expect(hex(u8, f, f + 8)).toBe(rep("fd", 8));
    const g = debug.realloc(0, 7);
    expect(hex(u8, g, g + 7)).toBe(rep("cd", 7));
  });

  it("moves a block across pymalloc's limit into the raw domain's hook and back out of it", () => {
    const { u8, debug, blocks } = setUp();
    const p = debug.malloc(300);
    for (let i = 0; i < 300; i++) u8[p + i] = i & 255;
    const q = debug.realloc(p, 800);
    expect(blocks.owns(q)).toBe(false);
    expect(debug.requestedSize(q)).toBe(800);
    for (let i = 0; i < 300; i++) expect(u8[q + i]).toBe(i & 255);
    expect(hex(u8, q + 300, q + 310)).toBe(rep("cd", 10));
    // A raw block stays raw when it shrinks (pymalloc does not take it over).
    const r = debug.realloc(q, 20);
    expect(blocks.owns(r)).toBe(false);
    expect(hex(u8, r - 32, r - 16)).toBe(`000000000000002c72${rep("fd", 7)}`);
    debug.free(r);
    blocks.validate();
  });

  it("finds an overrun, an underrun, a foreign domain and a double free, and changes nothing", () => {
    const { u8, debug, blocks } = setUp();
    const mem = new DebugAllocator({ allocator: blocks, domain: "mem" });
    const cases: Array<[string, () => number, RegExp]> = [
      [
        "overrun",
        () => {
          const p = debug.malloc(16);
          u8[p + 16] = 0x78;
          return p;
        },
        /bad trailing pad byte \(_PyMem_DebugRawFree\)/,
      ],
      [
        "underrun",
        () => {
          const p = debug.malloc(16);
          u8[p - 1] = 0;
          return p;
        },
        /bad leading pad byte/,
      ],
      ["foreign", () => mem.malloc(24), /bad ID: Allocated using API 'm', verified using API 'o'/],
      [
        "double free",
        () => {
          const p = debug.malloc(24);
          debug.free(p);
          return p;
        },
        /bad ID: Allocated using API '\u00dd', verified using API 'o'/,
      ],
    ];
    for (const [name, make, message] of cases) {
      const p = make();
      const before = Buffer.from(u8);
      const stats = JSON.stringify(blocks.stats());
      let error: unknown;
      try {
        debug.free(p);
      } catch (e) {
        error = e;
      }
      expect(error, name).toBeInstanceOf(HeapCorruptionError);
      expect(String(error), name).toMatch(message);
      expect(String(error), name).toContain(`0x${p.toString(16)} (${p})`);
      expect(String(error), name).toContain("no serial number (release builds keep none");
      expect((error as HeapCorruptionError).report).toMatch(/^Debug memory block at address p=0x[0-9a-f]+: API '/);
      expect(() => debug.realloc(p, 8), name).toThrow(HeapCorruptionError);
      expect(Buffer.from(u8).equals(before), name).toBe(true);
      expect(JSON.stringify(blocks.stats()), name).toBe(stats);
      blocks.validate();
    }
  });

  it("writes CPython's report, line by line", () => {
    const { u8, debug } = setUp("cpython-3.11");
    const p = debug.malloc(20);
    for (let i = 0; i < 20; i++) u8[p + i] = i + 1;
    u8[p + 20] = 0x78;
    const tail = `0x${(p + 20).toString(16)}`;
    expect(() => debug.checkAddress(p)).toThrow(HeapCorruptionError);
    {
      const e = thrownBy(() => debug.free(p));
      expect(e).toBeInstanceOf(HeapCorruptionError);
      expect((e as HeapCorruptionError).report).toBe(
        [
          `Debug memory block at address p=0x${p.toString(16)}: API 'o'`,
          "    20 bytes originally requested",
          "    The 7 pad bytes at p-7 are FORBIDDENBYTE, as expected.",
          `    The 8 pad bytes at tail=${tail} are not all FORBIDDENBYTE (0xfd):`,
          "        at tail+0: 0x78 *** OUCH",
          ...[1, 2, 3, 4, 5, 6, 7].map((i) => `        at tail+${i}: 0xfd`),
          "    Data at p: 01 02 03 04 05 06 07 08 ... 0d 0e 0f 10 11 12 13 14",
          "",
          "Enable tracemalloc to get the memory block allocation traceback",
          "",
          "Fatal Python error: _PyMem_DebugRawFree: bad trailing pad byte",
          "",
        ].join("\n"),
      );
    }
    const old = setUp("cpython-3.8");
    const q = old.debug.malloc(3);
    old.u8[q - 2] = 1;
    expect(() => old.debug.free(q)).toThrow(/bad leading pad byte/);
    {
      const e = thrownBy(() => old.debug.free(q));
      expect(e).toBeInstanceOf(HeapCorruptionError);
      const report = (e as HeapCorruptionError).report ?? "";
      expect(report).toContain("        at p-2: 0x01 *** OUCH\n");
      expect(report).toContain("       may be bogus, and checking the trailing pad bytes may segfault.\n");
      expect(report.trimEnd().split("\n").at(-1)).toBe("Fatal Python error: bad leading pad byte");
    }
  });

  it("a listener that throws mid-call cannot leave a block without its header; its error comes after", () => {
    const { u8, debug, blocks } = setUp();
    const p = debug.malloc(100);
    debug.malloc(100);
    let armed = true;
    blocks.on("block:free", () => {
      if (armed) throw new Error("listener");
    });
    // Moves: the old pool block is freed inside the call, where the listener throws.
    expect(() => debug.realloc(p, 300)).toThrow("listener");
    armed = false;
    // The block moved and is whole: the program lost the address, but the heap holds together.
    blocks.validate();
    const q = debug.malloc(10);
    expect(hex(u8, q - 8, q - 7)).toBe("6f");
    debug.free(q);
  });

  it("checks the raw layer of a large block before touching the inner one", () => {
    const { u8, debug, blocks } = setUp();
    const p = debug.malloc(1000);
    u8[p + 1008] = 0; // the raw layer's tail, after the object layer's
    const before = Buffer.from(u8);
    expect(() => debug.free(p)).toThrow(/bad trailing pad byte/);
    expect(() => debug.realloc(p, 2000)).toThrow(/bad trailing pad byte/);
    expect(Buffer.from(u8).equals(before)).toBe(true);
    blocks.validate();
  });

  it("stores serial numbers after the tail when asked (PYMEM_DEBUG_SERIALNO)", () => {
    const blocks = new BlockAllocator({ raw: new RawAllocator(), profile: profiles["cpython-3.11"] });
    const debug = new DebugAllocator({ allocator: blocks, serialNumbers: true });
    const a = debug.malloc(8);
    const b = debug.malloc(8);
    expect(b - a).toBe(48);
    expect([debug.serialNumber(a), debug.serialNumber(b)]).toEqual([1, 2]);
    const c = debug.realloc(a, 9);
    expect(debug.serialNumber(c)).toBe(3);
    blocks.raw.u8[b + 8] = 0;
    expect(() => debug.free(b)).toThrow(/made by call #2/);
  });

  it("leaves the block intact when the wrapped allocator cannot grow it", () => {
    const blocks = new BlockAllocator({
      raw: new RawAllocator({ maxBytes: 1 << 21 }),
      profile: profiles["cpython-3.11"],
    });
    const debug = new DebugAllocator({ allocator: blocks });
    const p = debug.malloc(600);
    for (let i = 0; i < 600; i++) blocks.raw.u8[p + i] = i & 255;
    const before = Buffer.from(blocks.raw.u8.subarray(p - 32, p + 616));
    expect(() => debug.realloc(p, 4 << 20)).toThrow(OutOfMemoryError);
    expect(Buffer.from(blocks.raw.u8.subarray(p - 32, p + 616)).equals(before)).toBe(true);
    debug.free(p);
    blocks.validate();
  });

  it("rejects bad arguments with typed errors naming them", () => {
    const { debug, blocks } = setUp();
    expect(() => debug.malloc(-1)).toThrow(/size/);
    expect(() => debug.malloc(1.5)).toThrow(RangeError);
    expect(() => debug.free(Number.NaN)).toThrow(/address/);
    expect(() => debug.free(8)).toThrow(InvalidAddressError);
    expect(() => new DebugAllocator({ allocator: blocks, domain: "gc" as never })).toThrow(
      /"raw", "mem" or "object", got "gc"/,
    );
    expect(() => new DebugAllocator({ allocator: blocks.raw, domain: "object" })).toThrow(/needs a BlockAllocator/);
    expect(() => new DebugAllocator({ allocator: {} as never })).toThrow(TypeError);
  });

  test.prop([fc.array(fc.tuple(fc.nat(3), fc.nat(40), fc.integer({ min: 0, max: 1100 })), { maxLength: 120 })], {
    numRuns: 60,
  })("every live block keeps its size, id, pads and data through any sequence of calls", (calls) => {
    const { u8, debug, blocks } = setUp();
    const live: Array<[number, number, number]> = [];
    let tag = 1;
    for (const [kind, pick, size] of calls) {
      if (kind <= 1 || live.length === 0) {
        const p = kind === 0 ? debug.malloc(size) : debug.calloc(1, size);
        u8.fill(tag & 255, p, p + size);
        live.push([p, size, tag++ & 255]);
      } else if (kind === 2) {
        const i = pick % live.length;
        const [p, n, t] = live[i] as [number, number, number];
        const q = debug.realloc(p, size);
        for (let j = 0; j < Math.min(n, size); j++) expect(u8[q + j]).toBe(t);
        u8.fill(t, q, q + size);
        live[i] = [q, size, t];
      } else {
        const [p] = live.splice(pick % live.length, 1)[0] as [number, number, number];
        debug.free(p);
      }
      for (const [p, n, t] of live) {
        debug.checkAddress(p);
        expect(debug.requestedSize(p)).toBe(n);
        if (n > 0) expect([u8[p], u8[p + n - 1]]).toEqual([t, t]);
      }
    }
    blocks.validate();
  });
});

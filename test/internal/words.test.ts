import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { copyBytes, fillBytes, fillWords, readWord, writeWord } from "../../src/internal/words.js";

describe("words", () => {
  it("fillBytes sets exactly the bytes asked for, whatever the alignment and length", () => {
    fc.assert(
      fc.property(fc.nat(64), fc.nat(700), fc.integer({ min: 0, max: 255 }), (from, n, byte) => {
        const buffer = new ArrayBuffer(1024);
        const memory = { u8: new Uint8Array(buffer), u32: new Uint32Array(buffer) };
        memory.u8.fill(0xa5);
        const to = Math.min(from + n, 1024);
        fillBytes(memory, from, to, byte);
        const expected = new Uint8Array(1024).fill(0xa5).fill(byte, from, to);
        expect(memory.u8).toEqual(expected);
      }),
    );
  });

  it("fillWords sets exactly the words asked for, four a turn or not", () => {
    fc.assert(
      fc.property(fc.nat(40), fc.nat(40), fc.nat(2 ** 32 - 1), (from, n, word) => {
        const u32 = new Uint32Array(96).fill(0xa5a5a5a5);
        fillWords(u32, from, from + n, word);
        const expected = new Uint32Array(96).fill(0xa5a5a5a5).fill(word, from, from + n);
        expect(u32).toEqual(expected);
      }),
    );
  });

  it("copyBytes copies exactly the bytes asked for, by words or not, short runs and long", () => {
    fc.assert(
      fc.property(fc.nat(64), fc.nat(64), fc.nat(700), (from, gap, n) => {
        const buffer = new ArrayBuffer(2048);
        const memory = { u8: new Uint8Array(buffer), u32: new Uint32Array(buffer) };
        for (let i = 0; i < 2048; i++) memory.u8[i] = (i * 7 + 3) & 0xff;
        // Blocks that do not overlap: the target starts past the source's end.
        const to = from + n + gap;
        const expected = memory.u8.slice();
        expected.copyWithin(to, from, from + n);
        copyBytes(memory, to, from, n);
        expect(memory.u8).toEqual(expected);
      }),
    );
  });

  it("a word written reads back, above 2^32 too", () => {
    const u32 = new Uint32Array(4);
    for (const v of [0, 1, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1]) {
      writeWord(u32, 8, v);
      expect(readWord(u32, 8)).toBe(v);
    }
  });
});

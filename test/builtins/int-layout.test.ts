import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import {
  digitCount,
  intAllocBytes,
  intHeaderWord,
  intSizeof,
  readDigits,
  writeDigits,
} from "../../src/builtins/int-layout.js";

describe("int layout", () => {
  it("counts 30-bit digits", () => {
    expect([0, 1, 2 ** 30 - 1, 2 ** 30, 2 ** 53].map(digitCount)).toEqual([0, 1, 1, 2, 2]);
    expect(digitCount(-(2n ** 90n))).toBe(4);
    expect(digitCount(2n ** 90n - 1n)).toBe(3);
  });

  it("allocates _PyLong_New's 24 + 4n, or the whole struct for one digit from 3.11", () => {
    expect(intAllocBytes(1, 0)).toBe(28);
    expect(intAllocBytes(1, 32)).toBe(32);
    expect(intAllocBytes(3, 32)).toBe(36);
    expect(intSizeof(0, 0)).toBe(24);
    expect(intSizeof(0, 1)).toBe(28);
  });

  it("writes the sign in ob_size before 3.12 and in lv_tag's low bits after", () => {
    expect(intHeaderWord(-7, 1, false)).toBe(-1);
    expect(intHeaderWord(7, 1, true)).toBe(8);
    expect(intHeaderWord(0, 0, true)).toBe(1);
    expect(intHeaderWord(-7n, 1, true)).toBe(10);
  });

  test.prop([fc.bigInt({ min: -(2n ** 300n), max: 2n ** 300n })])("digits read back as the value written", (v) => {
    const u32 = new Uint32Array(16);
    const n = digitCount(v);
    writeDigits(u32, 2, v, n);
    expect(BigInt(readDigits(u32, 2, n, v < 0n))).toBe(v);
    expect(u32.slice(2, 2 + n).every((d) => d < 2 ** 30)).toBe(true);
  });

  test.prop([fc.maxSafeInteger()])("a number and its bigint give the same digits", (v) => {
    const a = new Uint32Array(4);
    const b = new Uint32Array(4);
    writeDigits(a, 0, v, digitCount(v));
    writeDigits(b, 0, BigInt(v), digitCount(BigInt(v)));
    expect(a).toEqual(b);
  });
});

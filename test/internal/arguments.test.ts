import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatAddress } from "../../src/errors.js";
import { checkPowerOfTwo, checkSize, isPowerOfTwo } from "../../src/internal/arguments.js";

describe("argument checks", () => {
  it("checkSize accepts integers in range and names bad values", () => {
    expect(checkSize(0, "n")).toBe(0);
    expect(() => checkSize(-1, "n")).toThrow(/n must be a non-negative integer, got -1/);
    expect(() => checkSize(Number.POSITIVE_INFINITY, "n")).toThrow(/Infinity/);
    expect(() => checkSize(10n, "n")).toThrow(TypeError);
    expect(() => checkSize(11, "n", 10)).toThrow(/at most 10, got 11/);
  });

  it("isPowerOfTwo agrees with bit arithmetic", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), (n) => {
        expect(isPowerOfTwo(n)).toBe((n & (n - 1)) === 0);
      }),
    );
    expect(isPowerOfTwo(2 ** 40)).toBe(true);
    expect(isPowerOfTwo(0)).toBe(false);
  });

  it("checkPowerOfTwo names the argument and the bounds", () => {
    expect(checkPowerOfTwo(4096, "a", 16, 1 << 20)).toBe(4096);
    expect(() => checkPowerOfTwo(100, "a", 16, 1 << 20)).toThrow(
      /a must be a power of two between 16 and 1048576, got 100/,
    );
  });

  it("addresses print in hex and decimal", () => {
    expect(formatAddress(4096)).toBe("0x1000 (4096)");
  });
});

import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import {
  bytesHash,
  bytesHashHalves,
  floatHash,
  hashSecret,
  intHash,
  secretHalves,
  siphashHigh,
  tupleHash,
} from "../../src/builtins/hashes.js";

describe("hashes", () => {
  test.prop([fc.uint8Array({ maxLength: 80 }), fc.constantFrom(0, 1, 12345), fc.constantFrom(10, 11)])(
    "SipHash on 32-bit halves equals SipHash on bigints",
    (data, seed, minor) => {
      const key = hashSecret(seed);
      const lo = bytesHashHalves(data, secretHalves(key), minor);
      const full = BigInt.asUintN(64, bytesHash(data, key, minor));
      expect((BigInt(siphashHigh) << 32n) | BigInt(lo)).toBe(full);
    },
  );

  test.prop([fc.uint8Array({ maxLength: 80 }), fc.nat(40), fc.nat(40)])(
    "SipHash of bytes within a larger array equals SipHash of those bytes alone",
    (data, a, b) => {
      const start = Math.min(a, data.length);
      const n = Math.min(b, data.length - start);
      const halves = secretHalves(hashSecret(1));
      const alone = bytesHashHalves(data.slice(start, start + n), halves, 11);
      const high = siphashHigh;
      expect(bytesHashHalves(data, halves, 11, start, n)).toBe(alone);
      expect(siphashHigh).toBe(high);
    },
  );

  test.prop([fc.uint8Array({ maxLength: 80 }), fc.nat(40), fc.nat(40), fc.constantFrom(10, 11)])(
    "SipHash read by words equals SipHash read by bytes, whatever follows the bytes",
    (bytes, a, b, minor) => {
      // A buffer as the heap is: words over the same bytes; the run starts 4-aligned or not, and what follows
      // it in memory is noise the word reads must mask off.
      const buffer = new ArrayBuffer(128);
      const data = new Uint8Array(buffer);
      data.set(bytes);
      for (let i = bytes.length; i < 128; i++) data[i] = (i * 37 + 11) & 0xff;
      const start = Math.min(a, bytes.length);
      const n = Math.min(b, bytes.length - start);
      const halves = secretHalves(hashSecret(2));
      const byBytes = bytesHashHalves(data, halves, minor, start, n);
      const high = siphashHigh;
      expect(bytesHashHalves(data, halves, minor, start, n, new Uint32Array(buffer))).toBe(byBytes);
      expect(siphashHigh).toBe(high);
    },
  );

  it("hashes ints and floats alike when they are equal, modulo 2**61 - 1, and never -1", () => {
    expect(intHash(-1n)).toBe(-2n);
    expect(intHash(2n ** 61n - 1n)).toBe(0n);
    expect(floatHash(1000)).toBe(intHash(1000n));
    expect(floatHash(0.5)).toBe(2n ** 60n);
    expect(floatHash(Number.POSITIVE_INFINITY)).toBe(314159n);
  });

  it("keeps hash(()) what it has always been", () => {
    expect(tupleHash([])).toBe(5740354900026072187n);
  });
});

import { describe, expect, it } from "vitest";
import { strAllocBytes, strKind, strShape, utf8Length } from "../../src/builtins/str-layout.js";

describe("str layout", () => {
  it("counts code points, a surrogate pair as one and a lone surrogate as one", () => {
    expect(strShape("a😀b")).toEqual({ length: 3, maxChar: 0x1f600 });
    expect(strShape("\ud800a")).toEqual({ length: 2, maxChar: 0xd800 });
    expect(strShape("")).toEqual({ length: 0, maxChar: 0 });
  });

  it("takes the narrowest kind that holds the widest character", () => {
    expect([0x7f, 0xff, 0x100, 0xffff, 0x10000].map(strKind)).toEqual([1, 1, 2, 2, 4]);
  });

  it("asks for the header and length + 1 characters", () => {
    expect(strAllocBytes(strShape("abc"), 40, 56)).toBe(44);
    expect(strAllocBytes(strShape("é"), 40, 56)).toBe(58);
    expect(strAllocBytes(strShape("😀"), 48, 72)).toBe(80);
  });

  it("measures the UTF-8 form", () => {
    expect(utf8Length("aé€😀")).toBe(1 + 2 + 3 + 4);
    expect(utf8Length("\udc00")).toBe(3);
  });
});

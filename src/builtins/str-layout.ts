/**
 * Strings as CPython stores them (PEP 393): compact objects whose characters
 * follow the header in the narrowest of 1, 2 or 4 bytes per code point, with
 * the shorter header for pure ASCII. Pure helpers.
 *
 * @module
 */

/** What the layout of a string's characters depends on. */
export interface StrShape {
  /** Code points (a surrogate pair of the JavaScript string is one). */
  length: number;
  /** The largest code point. */
  maxChar: number;
}

/** The code-point length and largest code point of `s`. */
export function strShape(s: string): StrShape {
  let length = 0;
  let maxChar = 0;
  for (let i = 0; i < s.length; i += 1) {
    // codePointAt joins a surrogate pair and leaves a lone surrogate as it is, as CPython's code points do.
    const c = s.codePointAt(i) as number;
    if (c > 0xffff) i++;
    if (c > maxChar) maxChar = c;
    length++;
  }
  return { length, maxChar };
}

/** PyUnicode_KIND: bytes per character for a string whose largest code point is `maxChar`. */
export function strKind(maxChar: number): 1 | 2 | 4 {
  return maxChar < 0x100 ? 1 : maxChar < 0x10000 ? 2 : 4;
}

/** Bytes PyUnicode_New asks for: the header, then length + 1 characters (the terminating NUL). */
export function strAllocBytes(shape: StrShape, asciiHeader: number, compactHeader: number): number {
  const header = shape.maxChar < 0x80 ? asciiHeader : compactHeader;
  return header + (shape.length + 1) * strKind(shape.maxChar);
}

/** How many bytes the UTF-8 form of `s` takes (lone surrogates count 3, as CPython's surrogatepass would). */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.codePointAt(i) as number;
    if (c > 0xffff) i++;
    n += c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
  }
  return n;
}

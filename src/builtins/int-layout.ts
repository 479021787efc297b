/**
 * Ints as CPython stores them: 30-bit digits in 4-byte words, least
 * significant first, after a header that holds the digit count and sign
 * (`ob_size` before 3.12, `lv_tag` since). Pure helpers for the sizes and
 * the digits.
 *
 * @module
 */

/** PyLong_SHIFT: bits per digit. */
export const DIGIT_BITS = 30;
const DIGIT_BASE = 2 ** DIGIT_BITS;
/** offsetof(PyLongObject, ob_digit): the header before the digits. */
export const INT_HEADER = 24;
/** The smallest of the small ints CPython shares (the largest depends on the release). */
export const SMALL_INT_MIN = -5;

/** How many 30-bit digits |v| takes (0 for zero). */
export function digitCount(v: number | bigint): number {
  if (typeof v === "number") {
    // A safe integer is under 2^53: two digits at most.
    const a = Math.abs(v);
    return a === 0 ? 0 : a < DIGIT_BASE ? 1 : 2;
  }
  let a = v < 0n ? -v : v;
  let n = 0;
  while (a > 0n) {
    a >>= 30n;
    n++;
  }
  return n;
}

/**
 * Bytes asked of the allocator for an int of `n` digits: `_PyLong_New`'s
 * 24 + 4n, except one-digit values made whole by `_PyLong_FromMedium` (3.11+:
 * `mediumBytes`, the struct's 32).
 */
export function intAllocBytes(n: number, mediumBytes: number): number {
  if (n <= 1 && mediumBytes > 0) return mediumBytes;
  return INT_HEADER + 4 * Math.max(n, 1);
}

/** `sys.getsizeof` of an int of `n` digits: 3.11+ count at least one (`minDigits`). */
export function intSizeof(n: number, minDigits: number): number {
  return INT_HEADER + 4 * Math.max(n, minDigits);
}

/** The header word: a signed digit count (3.8–3.11), or 3.12's tag: count << 3, sign 0 positive, 1 zero, 2 negative. */
export function intHeaderWord(v: number | bigint, n: number, tagged: boolean): number {
  const negative = typeof v === "number" ? v < 0 : v < 0n;
  if (!tagged) return negative ? -n : n;
  return n * 8 + (n === 0 ? 1 : negative ? 2 : 0);
}

/** The digit count a header word holds (intHeaderWord's inverse, sign dropped). */
export function headerDigits(word: number, tagged: boolean): number {
  return tagged ? word >>> 3 : Math.abs(word | 0);
}

/** Writes |v|'s digits as 32-bit words from word index `at` of `u32`. */
export function writeDigits(u32: Uint32Array, at: number, v: number | bigint, n: number): void {
  if (typeof v === "number") {
    // Exact in doubles for a safe integer, and without `%`, which V8 runs as fmod on a double.
    const a = Math.abs(v);
    const high = Math.floor(a / DIGIT_BASE);
    if (n > 0) u32[at] = a - high * DIGIT_BASE;
    if (n > 1) u32[at + 1] = high;
    return;
  }
  let a = v < 0n ? -v : v;
  for (let i = 0; i < n; i++) {
    u32[at + i] = Number(a & 0x3fffffffn);
    a >>= 30n;
  }
}

/** The value of `n` digits from word index `at`, negated when `negative`: a number when safe, else a bigint. */
export function readDigits(u32: Uint32Array, at: number, n: number, negative: boolean): number | bigint {
  let v = 0n;
  for (let i = n - 1; i >= 0; i--) v = (v << 30n) | BigInt(u32[at + i] as number);
  if (negative) v = -v;
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

/** The value of the int object at `address` (its header word at OB_SIZE, 16 bytes in; digits from INT_HEADER). */
export function intAt(u32: Uint32Array, address: number, tagged: boolean): number | bigint {
  const i = (address + 16) >>> 2;
  const low = u32[i] as number;
  // 3.12+ keep the sign in the tag bits; before, a negative ob_size fills the high half too.
  const negative = tagged ? (low & 3) === 2 : (u32[i + 1] as number) !== 0;
  return readDigits(u32, (address + INT_HEADER) >>> 2, headerDigits(low, tagged), negative);
}

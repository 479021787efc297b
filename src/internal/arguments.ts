/**
 * Argument checks shared by every public entry point. Each throws the built-in
 * error a JavaScript API would (TypeError for a wrong type, RangeError for a
 * value out of range) with a message naming the argument and its value, before
 * any state is touched.
 *
 * @module
 */

/** The largest byte count or address pymem accepts: addresses are 32-bit offsets into the buffer. */
export const MAX_ADDRESS = 2 ** 32 - 1;

function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "bigint") return `${value}n`;
  return String(value);
}

/** A byte count: an integer in [0, max]. */
export function checkSize(value: unknown, name: string, max: number = MAX_ADDRESS): number {
  if (typeof value !== "number") {
    throw new TypeError(`${name} must be a number, got ${typeof value} ${describe(value)}`);
  }
  if (!Number.isInteger(value) || value < 0) {
    throw new RangeError(`${name} must be a non-negative integer, got ${describe(value)}`);
  }
  if (value > max) {
    throw new RangeError(`${name} must be at most ${max}, got ${describe(value)}`);
  }
  return value;
}

/** An address argument: an integer in [0, MAX_ADDRESS]; whether it names a block is the allocator's question. */
export function checkAddress(value: unknown, name = "address"): number {
  return checkSize(value, name, MAX_ADDRESS);
}

/** A power of two in [min, max]. */
export function checkPowerOfTwo(value: unknown, name: string, min: number, max: number): number {
  checkSize(value, name, max);
  const v = value as number;
  if (v < min || !isPowerOfTwo(v)) {
    throw new RangeError(`${name} must be a power of two between ${min} and ${max}, got ${v}`);
  }
  return v;
}

/** True for 1, 2, 4, ... (exact for every safe integer). */
export function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n > 0 && 2 ** Math.round(Math.log2(n)) === n;
}

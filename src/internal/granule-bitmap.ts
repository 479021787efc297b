/**
 * Side bitmaps with one bit per 16-byte granule of the buffer, kept outside
 * simulated memory: checked mode's record of which addresses are live blocks.
 * Addresses that are not granule-aligned, or beyond the map, read as unset.
 * Addresses are below 2^32, so uint32 shifts and masks hold them exactly.
 *
 * @module
 */

import { grown } from "./typed-arrays.js";

const GRANULE = 16;

/** Words needed to cover `bytes` of buffer. */
export function granuleWords(bytes: number): number {
  return Math.ceil(bytes / GRANULE / 32);
}

/** `map` grown (copied) to cover `bytes`, or `map` itself when it already does. */
export function growGranules(map: Uint32Array, bytes: number): Uint32Array {
  const words = granuleWords(bytes);
  if (words <= map.length) return map;
  return grown(map, Math.max(words, map.length * 2));
}

/** Whether the bit of `address` is set; false for anything but an integer 0 … 2^32 - 1. */
export function testGranule(map: Uint32Array, address: number): boolean {
  // `>>> 0` gives back exactly the integers in range: one test for range, fraction, NaN and non-numbers.
  if (address >>> 0 !== address || (address & (GRANULE - 1)) !== 0) return false;
  const w = address >>> 9;
  const g = address >>> 4;
  return w < map.length && (((map[w] as number) >>> (g & 31)) & 1) !== 0;
}

/** Sets the bit of `address` (the map must cover it). */
export function setGranule(map: Uint32Array, address: number): void {
  const g = address >>> 4;
  map[g >>> 5] = (map[g >>> 5] as number) | (1 << (g & 31));
}

/** Clears the bit of `address`, if the map covers it. */
export function clearGranule(map: Uint32Array, address: number): void {
  const g = address >>> 4;
  const w = g >>> 5;
  if (w < map.length) map[w] = (map[w] as number) & ~(1 << (g & 31));
}

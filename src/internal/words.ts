/**
 * 64-bit words of simulated memory as JavaScript numbers, through the 32-bit
 * view every layer keeps: pointers, refcounts and gc words are 8 bytes wide in
 * the CPythons modelled, and their values (addresses below 2^32, counts below
 * 2^53) are exact as numbers. The high half is read only when it is not zero,
 * which it almost never is.
 *
 * @module
 */

/** The little-endian 64-bit word at byte address `at` (8-aligned). */
export function readWord(u32: Uint32Array, at: number): number {
  const i = at >>> 2;
  const hi = u32[i + 1] as number;
  return hi === 0 ? (u32[i] as number) : (u32[i] as number) + hi * 0x1_0000_0000;
}

/** Stores a non-negative integer below 2^53 as the 64-bit word at byte address `at` (8-aligned). */
export function writeWord(u32: Uint32Array, at: number, value: number): void {
  const i = at >>> 2;
  if (value >>> 0 === value) {
    u32[i] = value;
    u32[i + 1] = 0;
    return;
  }
  u32[i] = value >>> 0;
  u32[i + 1] = Math.floor(value / 0x1_0000_0000);
}

/** Runs up to this many bytes are filled or copied by words: a call to fill or copyWithin costs more. */
const SHORT_FILL = 512;

/**
 * Sets the 32-bit words [`from`, `to`) of `u32` to `word`, four a turn: in a
 * fill of a few words the loop's own test and jump cost as much as the stores.
 */
export function fillWords(u32: Uint32Array, from: number, to: number, word: number): void {
  let w = from;
  for (const last = to - 3; w < last; w += 4) {
    u32[w] = word;
    u32[w + 1] = word;
    u32[w + 2] = word;
    u32[w + 3] = word;
  }
  for (; w < to; w++) u32[w] = word;
}

/**
 * Copies `n` bytes from `from` to `to`, blocks that do not overlap: by words
 * when both are 4-aligned and the run is short (a call to copyWithin costs
 * more than a few words' loop).
 */
export function copyBytes(memory: { u8: Uint8Array; u32: Uint32Array }, to: number, from: number, n: number): void {
  if (n > SHORT_FILL || ((to | from) & 3) !== 0) {
    memory.u8.copyWithin(to, from, from + n);
    return;
  }
  const u32 = memory.u32;
  const words = n >>> 2;
  const t = to >>> 2;
  const f = from >>> 2;
  for (let w = 0; w < words; w++) u32[t + w] = u32[f + w] as number;
  const u8 = memory.u8;
  for (let b = words * 4; b < n; b++) u8[to + b] = u8[from + b] as number;
}

/** Sets the bytes [`from`, `to`) of `memory` to `byte`, a word at a time where `from` is 4-aligned. */
export function fillBytes(memory: { u8: Uint8Array; u32: Uint32Array }, from: number, to: number, byte: number): void {
  if (to - from > SHORT_FILL || (from & 3) !== 0) {
    memory.u8.fill(byte, from, to);
    return;
  }
  const last = to >>> 2;
  fillWords(memory.u32, from >>> 2, last, byte * 0x01010101);
  const u8 = memory.u8;
  for (let b = last * 4; b < to; b++) u8[b] = byte;
}

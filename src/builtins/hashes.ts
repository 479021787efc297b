/**
 * CPython's hashes of the built-in values, bit for bit: ints and floats
 * modulo the Mersenne prime 2**61 - 1 (so 1000 and 1000.0 hash alike), strs
 * and bytes by SipHash over their stored bytes (SipHash-2-4 up to 3.10,
 * SipHash-1-3 from 3.11) keyed by the hash secret that PYTHONHASHSEED fixes,
 * tuples by CPython's xxHash-style combination. With the same seed, a dict
 * or a set places every entry where the real one does.
 *
 * A hash is a signed 64-bit value; these helpers return it as a bigint.
 *
 * @module
 */

const M64 = (1n << 64n) - 1n;
/** _PyHASH_MODULUS: 2**61 - 1. */
const MODULUS = (1n << 61n) - 1n;
/** _PyHASH_INF. */
const HASH_INF = 314159n;

/** A 64-bit unsigned value as CPython's signed Py_hash_t, with -1 (an error) turned into -2. */
function signed(x: bigint): bigint {
  const v = BigInt.asIntN(64, x);
  return v === -1n ? -2n : v;
}

/** long_hash: the value modulo 2**61 - 1, with its sign. */
export function intHash(v: bigint): bigint {
  const r = (v < 0n ? -v : v) % MODULUS;
  return signed(v < 0n ? -r : r);
}

/** _Py_HashDouble for a finite value: the exact rational modulo 2**61 - 1; infinities hash to ±314159. */
export function floatHash(v: number): bigint {
  if (v === Number.POSITIVE_INFINITY) return HASH_INF;
  if (v === Number.NEGATIVE_INFINITY) return -HASH_INF;
  if (Number.isNaN(v)) return 0n;
  if (Number.isInteger(v)) return intHash(BigInt(v));
  // |v| = mantissa * 2**exponent exactly; 2**-1 is 2**60 modulo the Mersenne prime.
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, Math.abs(v));
  const bits = view.getBigUint64(0);
  const biased = Number((bits >> 52n) & 0x7ffn);
  let mantissa = bits & ((1n << 52n) - 1n);
  let exponent: number;
  if (biased === 0) exponent = -1074;
  else {
    mantissa |= 1n << 52n;
    exponent = biased - 1075;
  }
  const e = ((exponent % 61) + 61) % 61;
  const x = ((mantissa % MODULUS) * (1n << BigInt(e))) % MODULUS;
  return signed(v < 0 ? -x : x);
}

const rotl = (x: bigint, b: bigint) => ((x << b) | (x >> (64n - b))) & M64;

/**
 * CPython's siphash24 (3.8–3.10) or siphash13 (3.11+): `compression` rounds
 * per 8-byte block, `finalization` rounds at the end.
 */
export function siphash(k0: bigint, k1: bigint, data: Uint8Array, compression: number, finalization: number): bigint {
  let v0 = k0 ^ 0x736f6d6570736575n;
  let v1 = k1 ^ 0x646f72616e646f6dn;
  let v2 = k0 ^ 0x6c7967656e657261n;
  let v3 = k1 ^ 0x7465646279746573n;
  const round = () => {
    v0 = (v0 + v1) & M64;
    v2 = (v2 + v3) & M64;
    v1 = rotl(v1, 13n) ^ v0;
    v3 = rotl(v3, 16n) ^ v2;
    v0 = rotl(v0, 32n);
    v2 = (v2 + v1) & M64;
    v0 = (v0 + v3) & M64;
    v1 = rotl(v1, 17n) ^ v2;
    v3 = rotl(v3, 21n) ^ v0;
    v2 = rotl(v2, 32n);
  };
  const n = data.length;
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    let m = 0n;
    for (let j = 7; j >= 0; j--) m = (m << 8n) | BigInt(data[i + j] as number);
    v3 ^= m;
    for (let r = 0; r < compression; r++) round();
    v0 ^= m;
  }
  let b = BigInt(n & 0xff) << 56n;
  for (let j = n - i - 1; j >= 0; j--) b |= BigInt(data[i + j] as number) << BigInt(8 * j);
  v3 ^= b;
  for (let r = 0; r < compression; r++) round();
  v0 ^= b;
  v2 ^= 0xffn;
  for (let r = 0; r < finalization; r++) round();
  return (v0 ^ v1 ^ v2 ^ v3) & M64;
}

/** The SipHash key _Py_HashSecret holds for PYTHONHASHSEED=`seed` (0: all zero; else lcg_urandom's bytes). */
export function hashSecret(seed: number): [bigint, bigint] {
  if (seed === 0) return [0n, 0n];
  const bytes = new Uint8Array(16);
  let x = seed >>> 0;
  for (let i = 0; i < 16; i++) {
    x = (Math.imul(x, 214013) + 2531011) >>> 0;
    bytes[i] = (x >>> 16) & 0xff;
  }
  const word = (at: number) => {
    let w = 0n;
    for (let j = 7; j >= 0; j--) w = (w << 8n) | BigInt(bytes[at + j] as number);
    return w;
  };
  return [word(0), word(8)];
}

/** _Py_HashBytes: 0 for no bytes, else SipHash of them. */
export function bytesHash(data: Uint8Array, key: readonly [bigint, bigint], minor: number): bigint {
  if (data.length === 0) return 0n;
  const [c, d] = minor >= 11 ? [1, 3] : [2, 4];
  return signed(siphash(key[0], key[1], data, c, d));
}

const XXPRIME_1 = 11400714785074694791n;
const XXPRIME_2 = 14029467366897019727n;
const XXPRIME_5 = 2870177450012600261n;

/** tuplehash (3.8+): the items' hashes combined as xxHash combines lanes. */
export function tupleHash(items: readonly bigint[]): bigint {
  let acc = XXPRIME_5;
  for (const h of items) {
    acc = (acc + (h & M64) * XXPRIME_2) & M64;
    acc = rotl(acc, 31n);
    acc = (acc * XXPRIME_1) & M64;
  }
  acc = (acc + (BigInt(items.length) ^ (XXPRIME_5 ^ 3527539n))) & M64;
  if (acc === M64) return 1546275796n;
  return BigInt.asIntN(64, acc);
}

/** frozenset_hash's spreading of one entry's hash over the word. */
function shuffleBits(h: bigint): bigint {
  return ((h ^ 89869747n ^ ((h << 16n) & M64)) * 3644798167n) & M64;
}

/**
 * frozenset_hash (3.8+): the items' hashes spread and xored (so the table's
 * order does not matter; empty and dummy entries cancel out), the size mixed
 * in, then dispersed so nested frozensets do not collide.
 */
export function frozensetHash(items: readonly bigint[]): bigint {
  let h = 0n;
  for (const item of items) h ^= shuffleBits(item & M64);
  h ^= (BigInt(items.length + 1) * 1927868237n) & M64;
  h ^= (h >> 11n) ^ (h >> 25n);
  h = (h * 69069n + 907133923n) & M64;
  if (h === M64) return 590923713n;
  return BigInt.asIntN(64, h);
}

// --- SipHash on 32-bit halves: what dict and set insertion use, without a bigint per call ---------------------

/** The high half of the last hash {@link bytesHashHalves} returned the low half of. */
export let siphashHigh = 0;

/** A hash secret as the four 32-bit halves of its SipHash key (k0 low, k0 high, k1 low, k1 high). */
export function secretHalves(key: readonly [bigint, bigint]): Uint32Array {
  const [k0, k1] = key;
  return Uint32Array.of(Number(k0 & 0xffffffffn), Number(k0 >> 32n), Number(k1 & 0xffffffffn), Number(k1 >> 32n));
}

/**
 * _Py_HashBytes on 32-bit halves: returns the low half of the hash (as
 * unsigned), leaves the high half in {@link siphashHigh}. Equal to
 * {@link bytesHash}. The state lives in locals (a typed array of it, and a
 * call per round, cost three times as much), so the round is written out:
 * once for the message words, once for the finalization. `start` and `n`:
 * the bytes of `data` hashed (a str's characters in memory, without a view).
 * `words32`, a 32-bit view of the same buffer from the same offset: with it,
 * a 4-aligned run is read a word at a time (the platform is little-endian,
 * as the message words are), the bytes past its end masked off.
 */
export function bytesHashHalves(
  data: Uint8Array,
  key: Uint32Array,
  minor: number,
  start = 0,
  n = data.length - start,
  words32?: Uint32Array,
): number {
  if (n === 0) {
    siphashHigh = 0;
    return 0;
  }
  const c = minor >= 11 ? 1 : 2;
  const d = minor >= 11 ? 3 : 4;
  const k0l = key[0] as number;
  const k0h = key[1] as number;
  const k1l = key[2] as number;
  const k1h = key[3] as number;
  let v0l = k0l ^ 0x70736575;
  let v0h = k0h ^ 0x736f6d65;
  let v1l = k1l ^ 0x6e646f6d;
  let v1h = k1h ^ 0x646f7261;
  let v2l = k0l ^ 0x6e657261;
  let v2h = k0h ^ 0x6c796765;
  let v3l = k1l ^ 0x79746573;
  let v3h = k1h ^ 0x74656462;
  let h: number;
  let l: number;
  let t: number;
  // Every 8-byte word, then the last 0–7 bytes with the length in the top byte.
  const words = n >>> 3;
  const u32 = words32 !== undefined && (start & 3) === 0 ? words32 : undefined;
  for (let w = 0; w <= words; w++) {
    const i = w << 3;
    let ml = 0;
    let mh = 0;
    if (w < words) {
      if (u32 !== undefined) {
        ml = u32[(start + i) >>> 2] as number;
        mh = u32[(start + i + 4) >>> 2] as number;
      } else {
        ml =
          (data[start + i] as number) |
          ((data[start + i + 1] as number) << 8) |
          ((data[start + i + 2] as number) << 16) |
          ((data[start + i + 3] as number) << 24);
        mh =
          (data[start + i + 4] as number) |
          ((data[start + i + 5] as number) << 8) |
          ((data[start + i + 6] as number) << 16) |
          ((data[start + i + 7] as number) << 24);
      }
    } else {
      const rest = n - i;
      if (u32 !== undefined) {
        // The words holding the last 1–7 bytes, what follows them masked off.
        if (rest > 0) {
          const a = u32[(start + i) >>> 2] as number;
          ml = rest >= 4 ? a : a & ((1 << (8 * rest)) - 1);
          if (rest > 4) mh = (u32[(start + i + 4) >>> 2] as number) & ((1 << (8 * (rest - 4))) - 1);
        }
      } else {
        for (let j = 0; j < rest; j++) {
          const byte = data[start + i + j] as number;
          if (j < 4) ml |= byte << (8 * j);
          else mh |= byte << (8 * (j - 4));
        }
      }
      mh |= (n & 0xff) << 24;
    }
    v3l ^= ml;
    v3h ^= mh;
    for (let r = 0; r < c; r++) {
      // v0 += v1; v1 = rotl(v1, 13) ^ v0; v0 = rotl(v0, 32)
      l = (v0l + v1l) | 0;
      v0h = (v0h + v1h + (l >>> 0 < v0l >>> 0 ? 1 : 0)) | 0;
      v0l = l;
      h = (v1h << 13) | (v1l >>> 19);
      l = (v1l << 13) | (v1h >>> 19);
      v1h = h ^ v0h;
      v1l = l ^ v0l;
      t = v0l;
      v0l = v0h;
      v0h = t;
      // v2 += v3; v3 = rotl(v3, 16) ^ v2
      l = (v2l + v3l) | 0;
      v2h = (v2h + v3h + (l >>> 0 < v2l >>> 0 ? 1 : 0)) | 0;
      v2l = l;
      h = (v3h << 16) | (v3l >>> 16);
      l = (v3l << 16) | (v3h >>> 16);
      v3h = h ^ v2h;
      v3l = l ^ v2l;
      // v0 += v3; v3 = rotl(v3, 21) ^ v0
      l = (v0l + v3l) | 0;
      v0h = (v0h + v3h + (l >>> 0 < v0l >>> 0 ? 1 : 0)) | 0;
      v0l = l;
      h = (v3h << 21) | (v3l >>> 11);
      l = (v3l << 21) | (v3h >>> 11);
      v3h = h ^ v0h;
      v3l = l ^ v0l;
      // v2 += v1; v1 = rotl(v1, 17) ^ v2; v2 = rotl(v2, 32)
      l = (v2l + v1l) | 0;
      v2h = (v2h + v1h + (l >>> 0 < v2l >>> 0 ? 1 : 0)) | 0;
      v2l = l;
      h = (v1h << 17) | (v1l >>> 15);
      l = (v1l << 17) | (v1h >>> 15);
      v1h = h ^ v2h;
      v1l = l ^ v2l;
      t = v2l;
      v2l = v2h;
      v2h = t;
    }
    v0l ^= ml;
    v0h ^= mh;
  }
  v2l ^= 0xff;
  for (let r = 0; r < d; r++) {
    // v0 += v1; v1 = rotl(v1, 13) ^ v0; v0 = rotl(v0, 32)
    l = (v0l + v1l) | 0;
    v0h = (v0h + v1h + (l >>> 0 < v0l >>> 0 ? 1 : 0)) | 0;
    v0l = l;
    h = (v1h << 13) | (v1l >>> 19);
    l = (v1l << 13) | (v1h >>> 19);
    v1h = h ^ v0h;
    v1l = l ^ v0l;
    t = v0l;
    v0l = v0h;
    v0h = t;
    // v2 += v3; v3 = rotl(v3, 16) ^ v2
    l = (v2l + v3l) | 0;
    v2h = (v2h + v3h + (l >>> 0 < v2l >>> 0 ? 1 : 0)) | 0;
    v2l = l;
    h = (v3h << 16) | (v3l >>> 16);
    l = (v3l << 16) | (v3h >>> 16);
    v3h = h ^ v2h;
    v3l = l ^ v2l;
    // v0 += v3; v3 = rotl(v3, 21) ^ v0
    l = (v0l + v3l) | 0;
    v0h = (v0h + v3h + (l >>> 0 < v0l >>> 0 ? 1 : 0)) | 0;
    v0l = l;
    h = (v3h << 21) | (v3l >>> 11);
    l = (v3l << 21) | (v3h >>> 11);
    v3h = h ^ v0h;
    v3l = l ^ v0l;
    // v2 += v1; v1 = rotl(v1, 17) ^ v2; v2 = rotl(v2, 32)
    l = (v2l + v1l) | 0;
    v2h = (v2h + v1h + (l >>> 0 < v2l >>> 0 ? 1 : 0)) | 0;
    v2l = l;
    h = (v1h << 17) | (v1l >>> 15);
    l = (v1l << 17) | (v1h >>> 15);
    v1h = h ^ v2h;
    v1l = l ^ v2l;
    t = v2l;
    v2l = v2h;
    v2h = t;
  }
  let lo = (v0l ^ v1l ^ v2l ^ v3l) >>> 0;
  const hi = (v0h ^ v1h ^ v2h ^ v3h) >>> 0;
  // -1 is the error value: -2 instead.
  if (lo === 0xffffffff && hi === 0xffffffff) lo = 0xfffffffe;
  siphashHigh = hi;
  return lo;
}

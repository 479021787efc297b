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

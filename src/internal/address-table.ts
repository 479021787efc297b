/**
 * A hash table from addresses to numbers in two typed arrays: open
 * addressing, linear probing, deletion by shifting back (no tombstones).
 * For per-block bookkeeping where a Map entry per block would cost an object.
 *
 * @module
 */

/** Addresses (never 0) to non-negative numbers. */
export class AddressTable {
  private keys = new Float64Array(64);
  private values = new Float64Array(64);
  private mask = 63;
  // 32 - log2(capacity): the product's top bits are the slot.
  private shift = 26;
  /** Entries held. */
  size = 0;

  private slot(address: number): number {
    // Addresses are 16-aligned: drop the zero bits, then Fibonacci hashing. Its high bits mix every input bit;
    // the low bits would depend on the input's low bits only, so addresses 1 KiB apart would all collide.
    return Math.imul((address / 16) >>> 0, 0x9e3779b1) >>> this.shift;
  }

  /** The value of `address`, or -1 when it has none. */
  get(address: number): number {
    for (let i = this.slot(address); ; i = (i + 1) & this.mask) {
      const k = this.keys[i] as number;
      if (k === address) return this.values[i] as number;
      if (k === 0) return -1;
    }
  }

  set(address: number, value: number): void {
    if (2 * (this.size + 1) > this.keys.length) this.resize(this.keys.length * 2);
    for (let i = this.slot(address); ; i = (i + 1) & this.mask) {
      const k = this.keys[i] as number;
      if (k === address || k === 0) {
        if (k === 0) this.size++;
        this.keys[i] = address;
        this.values[i] = value;
        return;
      }
    }
  }

  /** Removes `address`; true if it was there. */
  delete(address: number): boolean {
    let i = this.slot(address);
    for (; ; i = (i + 1) & this.mask) {
      const k = this.keys[i] as number;
      if (k === 0) return false;
      if (k === address) break;
    }
    // Shift later entries of the run back into the hole, so that probes never stop early.
    for (let j = (i + 1) & this.mask; ; j = (j + 1) & this.mask) {
      const k = this.keys[j] as number;
      if (k === 0) break;
      const home = this.slot(k);
      // Entry j may move to i when its home is not in the cyclic range (i, j].
      if (i <= j ? home <= i || home > j : home <= i && home > j) {
        this.keys[i] = k;
        this.values[i] = this.values[j] as number;
        i = j;
      }
    }
    this.keys[i] = 0;
    this.size--;
    return true;
  }

  private resize(capacity: number): void {
    const keys = this.keys;
    const values = this.values;
    this.keys = new Float64Array(capacity);
    this.values = new Float64Array(capacity);
    this.mask = capacity - 1;
    this.shift = 32 - Math.log2(capacity);
    this.size = 0;
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i] as number;
      if (k !== 0) this.set(k, values[i] as number);
    }
  }
}

/**
 * The interpreter's table of interned strings (CPython's `interned` dict):
 * one str per text, found by the str's hash and then its characters. It lives
 * in typed arrays beside the simulated memory, not in it: the real table's
 * size at any moment depends on everything the interpreter interned since
 * start-up, which no program of pymem's can know, so its growth is not
 * simulated (documented in docs/builtins.md).
 *
 * @module
 */

// A slot that held a str since removed: probing goes on past it.
const REMOVED = 1;

/** Open addressing with linear probing over str addresses (0 empty; strs are 8-aligned, so 1 is never one). */
export class InternTable {
  private slots = new Uint32Array(64);
  private used = 0;
  private filled = 0;

  /**
   * @param hash - the low 32 bits of a str's hash (cached in the str)
   * @param equal - whether two strs hold the same characters
   */
  constructor(
    private readonly hash: (s: number) => number,
    private readonly equal: (a: number, b: number) => boolean,
  ) {}

  /** How many strs are interned. */
  get size(): number {
    return this.used;
  }

  /** The interned str with the text of `s` (`s` itself if interned), or 0. */
  find(s: number): number {
    const slots = this.slots;
    const mask = slots.length - 1;
    for (let i = this.hash(s) & mask; ; i = (i + 1) & mask) {
      const t = slots[i] as number;
      if (t === 0) return 0;
      if (t !== REMOVED && (t === s || this.equal(t, s))) return t;
    }
  }

  /** Interns `s`, whose text is not interned yet. */
  add(s: number): void {
    if ((this.filled + 1) * 3 > this.slots.length * 2) this.rebuild(this.used + 1);
    const slots = this.slots;
    const mask = slots.length - 1;
    let i = this.hash(s) & mask;
    while ((slots[i] as number) > REMOVED) i = (i + 1) & mask;
    if (slots[i] === 0) this.filled++;
    slots[i] = s;
    this.used++;
  }

  /** Takes `s` out (a mortal interned str being freed); nothing when it is not there. */
  remove(s: number): void {
    const slots = this.slots;
    const mask = slots.length - 1;
    for (let i = this.hash(s) & mask; ; i = (i + 1) & mask) {
      const t = slots[i] as number;
      if (t === 0) return;
      if (t === s) {
        slots[i] = REMOVED;
        this.used--;
        return;
      }
    }
  }

  /** Room for `n` strs at most two-thirds full; removed slots dropped. */
  private rebuild(n: number): void {
    let size = 64;
    while (size * 2 < n * 3 + 3) size *= 2;
    const old = this.slots;
    this.slots = new Uint32Array(size);
    this.used = 0;
    this.filled = 0;
    for (let i = 0; i < old.length; i++) {
      const s = old[i] as number;
      if (s > REMOVED) this.add(s);
    }
  }
}

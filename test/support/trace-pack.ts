/**
 * Recorded traces packed small enough to commit as goldens. A trace recorded
 * by pymem-record names each new block with the smallest free ID, so an m or
 * c line's ID is known from the lines before it and is not stored; an f or r
 * line's block is stored as its age (how many blocks were made since it), which
 * is small for the short-lived blocks most frees are. Op letters, IDs and sizes
 * go in separate columns, and the whole pack through brotli: ten programs of
 * one release (their start-ups alike) take about a tenth of their gzip.
 */
import { brotliCompressSync, brotliDecompressSync, constants } from "node:zlib";

class Bytes {
  buf = new Uint8Array(1 << 16);
  length = 0;
  push(b: number): void {
    if (this.length === this.buf.length) {
      const bigger = new Uint8Array(this.buf.length * 2);
      bigger.set(this.buf);
      this.buf = bigger;
    }
    this.buf[this.length++] = b;
  }
  varint(n: number): void {
    while (n >= 128) {
      this.push((n % 128) | 128);
      n = Math.floor(n / 128);
    }
    this.push(n);
  }
  bytes(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }
}

class Reader {
  at = 0;
  constructor(readonly buf: Uint8Array) {}
  byte(): number {
    if (this.at >= this.buf.length) throw new Error("trace pack: truncated");
    return this.buf[this.at++] as number;
  }
  varint(): number {
    let n = 0;
    let scale = 1;
    for (;;) {
      const b = this.byte();
      n += (b & 127) * scale;
      if (b < 128) return n;
      scale *= 128;
    }
  }
}

/**
 * The smallest-free-ID rule of pymem-record, and the live blocks in the order they were made: a block is named by
 * its rank there, from the newest (a Fenwick tree counts the live blocks made after it).
 */
class Ids {
  private readonly heap: number[] = [];
  private next = 0;
  private made = 0;
  private live = 0;
  private readonly born: number[] = [];
  private readonly ofBirth: number[] = [];
  private readonly isLive: boolean[] = [];
  private tree = new Int32Array(1 << 16);
  private add(birth: number, d: number): void {
    for (let i = birth + 1; i <= this.tree.length; i += i & -i) this.tree[i - 1] = (this.tree[i - 1] as number) + d;
  }
  /** Live blocks made before `birth`. */
  private before(birth: number): number {
    let n = 0;
    for (let i = birth; i > 0; i -= i & -i) n += this.tree[i - 1] as number;
    return n;
  }
  take(): number {
    const h = this.heap;
    let id = this.next;
    if (h.length === 0) this.next++;
    else {
      id = h[0] as number;
      const last = h.pop() as number;
      let i = 0;
      while (h.length > 0) {
        let m = 2 * i + 1;
        if (m >= h.length) break;
        if (m + 1 < h.length && (h[m + 1] as number) < (h[m] as number)) m++;
        if ((h[m] as number) >= last) break;
        h[i] = h[m] as number;
        i = m;
      }
      if (h.length > 0) h[i] = last;
    }
    if (this.made === this.tree.length) {
      // The Fenwick tree doubles by counting its live blocks again: rare, and packs are made and read rarely.
      const old = this.made;
      this.tree = new Int32Array(this.tree.length * 2);
      for (let birth = 0; birth < old; birth++) {
        const was = this.ofBirth[birth] as number;
        if (this.born[was] === birth && this.isLive[was]) this.add(birth, 1);
      }
    }
    this.born[id] = this.made;
    this.isLive[id] = true;
    this.ofBirth[this.made] = id;
    this.add(this.made++, 1);
    this.live++;
    return id;
  }
  give(id: number): void {
    this.add(this.born[id] as number, -1);
    this.isLive[id] = false;
    this.live--;
    const h = this.heap;
    let i = h.length;
    h.push(id);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if ((h[p] as number) <= id) break;
      h[i] = h[p] as number;
      i = p;
    }
    h[i] = id;
  }
  rank(id: number): number {
    const b = this.born[id];
    if (b === undefined || !this.isLive[id]) throw new Error(`trace pack: block ${id} is not live`);
    return this.live - 1 - this.before(b);
  }
  ofRank(rank: number): number {
    // The live block with `live - 1 - rank` live blocks before it: a descent of the Fenwick tree.
    let want = this.live - 1 - rank;
    if (want < 0 || rank < 0) throw new Error(`trace pack: no live block of rank ${rank}`);
    let pos = 0;
    for (let step = this.tree.length; step > 0; step >>= 1) {
      const next = pos + step;
      if (next <= this.tree.length && (this.tree[next - 1] as number) <= want) {
        pos = next;
        want -= this.tree[next - 1] as number;
      }
    }
    const id = this.ofBirth[pos];
    if (id === undefined) throw new Error(`trace pack: no live block of rank ${rank}`);
    return id;
  }
}

const OPS = "mcrfs";

/** Packs traces (text as pymem-record writes it) into one buffer. */
export function packTraces(texts: readonly string[]): Uint8Array {
  const headers: string[][] = [];
  const ops = new Bytes();
  const ids = new Bytes();
  const sizes = new Bytes();
  const counts: number[] = [];
  for (const text of texts) {
    const header: string[] = [];
    const model = new Ids();
    let n = 0;
    for (const line of text.split("\n")) {
      if (line === "") continue;
      if (line.startsWith("#")) {
        header.push(`${n} ${line}`);
        continue;
      }
      const f = line.split(" ");
      const op = OPS.indexOf(f[0] as string);
      if (op < 0 || f[0]?.length !== 1) throw new Error(`trace pack: bad line ${JSON.stringify(line)}`);
      ops.push(op);
      n++;
      const id = Number(f[1]);
      if (f[0] === "m" || f[0] === "c") {
        if (model.take() !== id)
          throw new Error(`trace pack: ${JSON.stringify(line)} does not take the smallest free ID`);
      } else if (f[0] === "f") {
        ids.varint(model.rank(id));
        model.give(id);
      } else if (f[0] === "r") {
        ids.varint(model.rank(id));
      }
      for (const s of f.slice(2)) sizes.varint(Number(s));
    }
    headers.push(header);
    counts.push(n);
  }
  const meta = new TextEncoder().encode(JSON.stringify({ headers, counts }));
  const parts = [meta, ops.bytes(), ids.bytes(), sizes.bytes()];
  const whole = new Bytes();
  for (const p of parts) whole.varint(p.length);
  for (const p of parts) for (const b of p) whole.push(b);
  return brotliCompressSync(whole.bytes(), {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: 11,
      [constants.BROTLI_PARAM_LGWIN]: 24,
      [constants.BROTLI_PARAM_SIZE_HINT]: whole.length,
    },
  });
}

/** The traces a pack holds, as the text they were packed from (blank lines aside). */
export function unpackTraces(packed: Uint8Array): string[] {
  const whole = new Reader(brotliDecompressSync(packed));
  const lengths = [whole.varint(), whole.varint(), whole.varint(), whole.varint()];
  const parts: Uint8Array[] = [];
  let at = whole.at;
  for (const n of lengths) {
    parts.push(whole.buf.subarray(at, at + n));
    at += n;
  }
  const { headers, counts } = JSON.parse(new TextDecoder().decode(parts[0])) as {
    headers: string[][];
    counts: number[];
  };
  const ops = new Reader(parts[1] as Uint8Array);
  const ids = new Reader(parts[2] as Uint8Array);
  const sizes = new Reader(parts[3] as Uint8Array);
  return counts.map((count, t) => {
    const out: string[] = [];
    const header = headers[t] ?? [];
    let h = 0;
    const model = new Ids();
    for (let n = 0; n <= count; n++) {
      while (h < header.length && Number((header[h] as string).split(" ", 1)[0]) === n) {
        const line = header[h++] as string;
        out.push(line.slice(line.indexOf(" ") + 1));
      }
      if (n === count) break;
      const op = OPS[ops.byte()];
      if (op === "m") {
        const id = model.take();
        out.push(`m ${id} ${sizes.varint()}`);
      } else if (op === "c") {
        const id = model.take();
        out.push(`c ${id} ${sizes.varint()} ${sizes.varint()}`);
      } else if (op === "f") {
        const id = model.ofRank(ids.varint());
        model.give(id);
        out.push(`f ${id}`);
      } else if (op === "r") {
        out.push(`r ${model.ofRank(ids.varint())} ${sizes.varint()}`);
      } else if (op === "s") {
        out.push("s");
      } else throw new Error("trace pack: bad op");
    }
    return `${out.join("\n")}\n`;
  });
}

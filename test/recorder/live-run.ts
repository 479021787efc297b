/**
 * Turns what pymem-record saw in the live run (--addresses) into the stream
 * the pymalloc-replay harness prints, with arena addresses as offsets from a
 * 1 GiB-aligned base, so the live run and a replay can be compared line by line.
 */

const GIB = 2 ** 30;
const REGION = 2 * GIB;

export interface LiveRun {
  /** Arena offsets from the base, in the order the live run took them. */
  arenas: number[];
  /** Stream lines: +OFF, -OFF, a OFF or a raw. */
  lines: string[];
}

export function liveRun(addressesText: string, arenaSize: number): LiveRun {
  const raw = addressesText.split("\n").filter(Boolean);
  const arenaAddresses = raw.filter((l) => l.startsWith("+")).map((l) => BigInt(l.slice(1)));
  if (arenaAddresses.length === 0) return { arenas: [], lines: raw.map(() => "a raw") };
  let lo = arenaAddresses[0] as bigint;
  for (const a of arenaAddresses) if (a < lo) lo = a;
  const base = lo - (lo % BigInt(GIB));
  const off = (a: bigint) => {
    const o = Number(a - base);
    if (o + arenaSize > REGION) throw new Error(`the live run's arenas span more than ${REGION} bytes`);
    return o;
  };
  const live = new Set<bigint>();
  const arenas: number[] = [];
  const lines: string[] = [];
  const size = BigInt(arenaSize);
  for (const l of raw) {
    if (l.startsWith("+")) {
      const a = BigInt(l.slice(1));
      live.add(a);
      arenas.push(off(a));
      lines.push(`+${off(a)}`);
    } else if (l.startsWith("-")) {
      const a = BigInt(l.slice(1));
      live.delete(a);
      lines.push(`-${off(a)}`);
    } else {
      const p = BigInt(l.slice(2));
      let inArena = false;
      for (const a of live) if (p >= a && p < a + size) inArena = true;
      lines.push(inArena ? `a ${off(p)}` : "a raw");
    }
  }
  return { arenas, lines };
}

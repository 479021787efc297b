/**
 * What `pymem record --addresses` saw the live run do with addresses, and an
 * arena allocator that puts a replay's arenas at the same places: a replay
 * then meets the live run's alignment (the first partial pool an unaligned
 * arena loses) and can be checked against it address for address.
 */
import type { ArenaAllocator, RawAllocator } from "pymem";

/** A replay that cannot be placed like the live run: its message says why. */
export class LiveRunError extends Error {
  override name = "LiveRunError";
}

/** The live run's arenas and addresses, as offsets from a base below its lowest arena. */
export interface LiveRun {
  /** Where the offsets start (a multiple of the alignment asked for). */
  base: bigint;
  /** Arena offsets from the base, in the order the live run took them. */
  arenas: number[];
  /** One line per event: `+OFF` an arena taken, `-OFF` given back, `a OFF` a block in an arena, `a raw` one outside. */
  lines: string[];
  /** Bytes from the base to the end of the highest arena. */
  span: number;
}

/**
 * Reads an addresses file. `alignment` is the base's: a multiple of every
 * arena size and pool size keeps what depends on alignment unchanged (the C
 * harness asks for 1 GiB, its region's).
 */
export function liveRun(addressesText: string, arenaSize: number, alignment = 2 ** 30): LiveRun {
  const raw = addressesText.split("\n").filter(Boolean);
  const arenaAddresses = raw.filter((l) => l.startsWith("+")).map((l) => BigInt(l.slice(1)));
  if (arenaAddresses.length === 0) return { base: 0n, arenas: [], lines: raw.map(() => "a raw"), span: 0 };
  let lo = arenaAddresses[0] as bigint;
  let hi = lo;
  for (const a of arenaAddresses) {
    if (a < lo) lo = a;
    if (a > hi) hi = a;
  }
  const base = lo - (lo % BigInt(alignment));
  const span = Number(hi - base) + arenaSize;
  const off = (a: bigint) => Number(a - base);
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
  return { base, arenas, lines, span };
}

/** An arena allocator handing out a live run's arena places in order, inside a region of the raw allocator. */
export interface LiveArenas extends ArenaAllocator {
  /** The region's first address: a live offset plus this is the replay's address. */
  readonly region: number;
  /** How many arenas it has handed out. */
  readonly taken: number;
}

/** The largest alignment the region is given: every arena and pool size of every profile divides it. */
export const LIVE_ALIGNMENT = 2 ** 22;

/**
 * Reserves the region a live run's arenas span in `raw` and gives them out in
 * the live run's order. Asked for more arenas than the live run took, it
 * throws: the replay is not the run it is placed like.
 */
export function liveArenas(run: LiveRun, raw: RawAllocator): LiveArenas {
  if (Number(run.base % BigInt(LIVE_ALIGNMENT)) !== 0) {
    throw new LiveRunError(`the live run's base must be a multiple of ${LIVE_ALIGNMENT} bytes`);
  }
  const region = run.arenas.length === 0 ? 0 : raw.allocAligned(run.span, LIVE_ALIGNMENT);
  let taken = 0;
  return {
    region,
    get taken() {
      return taken;
    },
    alloc() {
      const at = run.arenas[taken];
      if (at === undefined) {
        throw new LiveRunError(
          `the live run took ${run.arenas.length} arena(s) and this replay asks for more: it does not repeat that run (another profile, or another trace)`,
        );
      }
      taken++;
      return region + at;
    },
    free() {},
  };
}

/**
 * Seeded allocation traces (trace-format v1) that stress pymalloc where it is
 * easiest to get wrong: size-class edges (0, 1, 16, 17, 512, 513), pools and
 * whole arenas filled and emptied in different orders (arena release, the
 * kept last arena, usable_arenas reordering), realloc within and across
 * classes and across the 512-byte threshold, and calloc.
 */
import { intIn, pickOne, rng } from "../support/random.js";

const EDGE_SIZES = [
  0, 1, 2, 15, 16, 17, 31, 32, 33, 48, 49, 64, 255, 256, 257, 496, 497, 511, 512, 513, 600, 1024, 4096,
];

/** Builds one trace from its seed. */
export function generateTrace(seed: number): string {
  const rand = rng(seed * 7919 + 17);
  const lines: string[] = [`# generated trace, seed ${seed}`];
  const live: number[] = [];
  let nextId = 0;
  const size = (): number => {
    const r = rand();
    if (r < 0.35) return pickOne(rand, EDGE_SIZES);
    if (r < 0.9) return intIn(rand, 1, 512);
    return intIn(rand, 513, 3000);
  };
  const malloc = (n: number) => {
    const id = nextId++;
    lines.push(`m ${id} ${n}`);
    live.push(id);
    return id;
  };
  const takeLive = (k: number) => {
    const i = k % live.length;
    const id = live[i] as number;
    live[i] = live[live.length - 1] as number;
    live.pop();
    return id;
  };
  const free = (id: number) => lines.push(`f ${id}`);
  const phases = intIn(rand, 2, 6);
  for (let ph = 0; ph < phases; ph++) {
    const kind = pickOne(rand, ["mix", "mix", "fill", "realloc-walk", "calloc", "drain"] as const);
    if (kind === "mix") {
      const n = intIn(rand, 50, 600);
      for (let i = 0; i < n; i++) {
        const r = rand();
        if (r < 0.45 || live.length === 0) malloc(size());
        else if (r < 0.55) {
          const id = nextId++;
          lines.push(
            `c ${id} ${pickOne(rand, [0, 1, 2, 3, 8, 32])} ${pickOne(rand, [0, 1, 8, 16, 17, 64, 100, 256, 513])}`,
          );
          live.push(id);
        } else if (r < 0.7) {
          const id = live[Math.floor(rand() * live.length)] as number;
          lines.push(`r ${id} ${size()}`);
        } else if (r < 0.72) {
          lines.push("s");
        } else {
          free(takeLive(Math.floor(rand() * 1e9)));
        }
      }
    } else if (kind === "fill") {
      // Enough blocks of a few large classes to fill one or more arenas, then free them in some order.
      const sz = intIn(rand, 200, 512);
      const count = intIn(rand, 200, 2500);
      const ids: number[] = [];
      for (let i = 0; i < count; i++) ids.push(malloc(sz + (rand() < 0.1 ? -intIn(rand, 0, 100) : 0)));
      const order = pickOne(rand, ["fifo", "lifo", "random", "stride", "keep-some"] as const);
      let victims = ids;
      if (order === "lifo") victims = [...ids].reverse();
      else if (order === "random") victims = [...ids].sort(() => rand() - 0.5);
      else if (order === "stride") {
        const step = intIn(rand, 2, 40);
        victims = [];
        for (let k = 0; k < step; k++) for (let i = k; i < ids.length; i += step) victims.push(ids[i] as number);
      } else if (order === "keep-some") victims = ids.filter(() => rand() < 0.9);
      const freeing = new Set(victims);
      for (const id of victims) free(id);
      for (let i = live.length - 1; i >= 0; i--) if (freeing.has(live[i] as number)) live.splice(i, 1);
      if (rand() < 0.5) lines.push("s");
    } else if (kind === "realloc-walk") {
      const id = malloc(intIn(rand, 1, 64));
      const steps = intIn(rand, 5, 60);
      for (let i = 0; i < steps; i++) {
        const to = rand() < 0.5 ? intIn(rand, 0, 700) : pickOne(rand, EDGE_SIZES);
        lines.push(`r ${id} ${to}`);
      }
    } else if (kind === "calloc") {
      for (let i = 0; i < intIn(rand, 5, 40); i++) {
        const id = nextId++;
        lines.push(`c ${id} ${intIn(rand, 0, 40)} ${pickOne(rand, [0, 1, 7, 16, 24, 100, 513])}`);
        live.push(id);
      }
    } else {
      const n = Math.floor(live.length * rand());
      for (let i = 0; i < n; i++) free(takeLive(Math.floor(rand() * 1e9)));
      lines.push("s");
    }
  }
  if (rand() < 0.5) while (live.length > 0) free(takeLive(Math.floor(rand() * 1e9)));
  return `${lines.join("\n")}\n`;
}

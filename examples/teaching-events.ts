/**
 * For teaching tools: listen to pymalloc's events and draw its state. Here,
 * one line per event, then a map of the first arena's pools (# full, + used,
 * . empty, space never carved).
 */
import { BlockAllocator, profiles, RawAllocator } from "pymem";

const blocks = new BlockAllocator({ raw: new RawAllocator(), profile: profiles["cpython-3.11"] });
const log: string[] = [];
blocks.on("arena:alloc", (e) => log.push(`arena ${e.index} at 0x${e.address.toString(16)}, ${e.nTotalPools} pools`));
blocks.on("pool:init", (e) =>
  log.push(`pool 0x${e.address.toString(16)} now serves ${e.blockSize}-byte blocks${e.reused ? " (reused)" : ""}`),
);
blocks.on("pool:full", (e) => log.push(`pool 0x${e.address.toString(16)} is full`));
blocks.on("pool:empty", (e) => log.push(`pool 0x${e.address.toString(16)} is empty`));

const objects: number[] = [];
for (let i = 0; i < 200; i++) objects.push(blocks.malloc(i % 2 === 0 ? 500 : 64));
for (let i = 0; i < objects.length; i += 2) blocks.free(objects[i] as number);

const [arena] = blocks.arenas();
if (arena !== undefined) {
  const glyph = { full: "#", used: "+", empty: "." } as const;
  const map = arena.pools().map((p) => glyph[p.state]);
  log.push(`arena 0 pools: [${map.join("").padEnd(arena.nTotalPools)}]`);
  const pool = arena.pools()[0];
  if (pool !== undefined) {
    log.push(
      `first pool: ${pool.blocksInUse} of ${pool.capacity} blocks in use; next free: ${pool.freeList().slice(0, 3)}`,
    );
  }
}
console.log(log.join("\n"));

/**
 * For experimenters: run one workload under several profiles, including a
 * derived one ("what would 256 KiB arenas do?"), and compare what pymalloc did.
 */
import { BlockAllocator, defineProfile, type Profile, profiles, RawAllocator } from "pymem";

function workload(blocks: BlockAllocator): void {
  let seed = 42;
  const rand = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 2 ** 32;
  };
  const live: number[] = [];
  for (let i = 0; i < 200_000; i++) {
    if (live.length > 0 && rand() < 0.48) {
      const k = Math.floor(rand() * live.length);
      blocks.free(live[k] as number);
      live[k] = live[live.length - 1] as number;
      live.pop();
    } else {
      live.push(blocks.malloc(1 + Math.floor(rand() ** 2 * 600)));
    }
  }
}

const smallArenas = defineProfile({
  ...profiles["cpython-3.11"],
  name: "3.11 with 256 KiB arenas",
  arenaSize: 256 * 1024,
  arenaMap: { ...profiles["cpython-3.11"].arenaMap, rootBits: 17 } as Profile["arenaMap"],
});

const rows: string[] = [
  "profile                        arenas now  highwater  allocated  unused pools  bytes lost to alignment",
];
for (const profile of [profiles["cpython-3.8"], profiles["cpython-3.11"], smallArenas]) {
  const blocks = new BlockAllocator({ raw: new RawAllocator(), profile });
  workload(blocks);
  blocks.validate();
  const s = blocks.stats();
  rows.push(
    `${profile.name.padEnd(30)} ${String(s.arenasAllocatedCurrent).padStart(10)} ${String(s.arenasHighwater).padStart(10)} ${String(s.arenasAllocatedTotal).padStart(10)} ${String(s.unusedPools).padStart(13)} ${String(s.arenaAlignmentBytes).padStart(24)}`,
  );
}
console.log(rows.join("\n"));

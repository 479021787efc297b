/**
 * pymalloc's invariants, checked by walking every arena, pool and list:
 * `BlockAllocator.validate()`, kept apart from the allocator's own code,
 * which never needs them.
 *
 * @module
 */

import { HeapCorruptionError } from "../errors.js";
import { testGranule } from "../internal/granule-bitmap.js";
import { type ArenaObjects, NO_ARENA } from "./arena-objects.js";
import type { PoolGeometry } from "./checked-mode.js";
import {
  POOL_ARENAINDEX,
  POOL_FREEBLOCK,
  POOL_MAXNEXTOFFSET,
  POOL_NEXTOFFSET,
  POOL_NEXTPOOL,
  POOL_PREVPOOL,
  POOL_SZIDX,
  USEDPOOLS_HEAD,
} from "./pool-header.js";
import type { BlockStats } from "./stats.js";

/**
 * Checks every invariant: unused_arena_objects and usable_arenas (linked both
 * ways, sorted, nfp2lasta right), each arena's free pool count against its
 * freepools list and virgin pools, the usedpools rings, each pool's count
 * against its free list and virgin blocks, checked mode's bitmap, and that
 * the stats add up to the arenas' bytes.
 * @throws HeapCorruptionError naming the first inconsistent address
 */
export function validatePymalloc(A: ArenaObjects, s: PoolGeometry, st: BlockStats): void {
  const { u32, poolSize, poolOverhead } = s;
  const nClasses = s.classSize.length;
  const maxPoolsInArena = A.nfp2lasta.length - 1;
  const arenaSize = maxPoolsInArena * poolSize;
  const fail = (address: number, detail: string): never => {
    throw new HeapCorruptionError(address, detail);
  };
  // unused_arena_objects: exactly the slots without an arena.
  let unused = 0;
  const seen = new Uint8Array(A.maxArenas);
  for (let a = A.unusedArenaObjects; a !== NO_ARENA; a = A.arenaNext[a] as number) {
    if (a < 0 || a >= A.maxArenas || seen[a]) fail(0, `unused_arena_objects is broken at arena index ${a}`);
    seen[a] = 1;
    if (A.arenaAddress[a] !== 0)
      fail(A.arenaAddress[a] as number, `arena ${a} is allocated but on unused_arena_objects`);
    unused++;
  }
  let allocated = 0;
  for (let a = 0; a < A.maxArenas; a++) if (A.arenaAddress[a] !== 0) allocated++;
  if (allocated + unused !== A.maxArenas)
    fail(0, `${A.maxArenas - allocated - unused} empty arena slots are on no list`);
  if (allocated !== A.nArenasCurrentlyAllocated) {
    fail(0, `narenas_currently_allocated is ${A.nArenasCurrentlyAllocated}, ${allocated} arenas are allocated`);
  }
  // usable_arenas: linked both ways, sorted by nfreepools, exactly the arenas with a free pool.
  const inUsable = new Uint8Array(A.maxArenas);
  let prev = NO_ARENA;
  let prevNf = 0;
  const lastWith = new Int32Array(maxPoolsInArena + 1).fill(NO_ARENA);
  for (let a = A.usableArenas; a !== NO_ARENA; a = A.arenaNext[a] as number) {
    if (a < 0 || a >= A.maxArenas || inUsable[a]) fail(0, `usable_arenas is broken at arena index ${a}`);
    inUsable[a] = 1;
    const base = A.arenaAddress[a] as number;
    if (base === 0) fail(0, `usable_arenas holds unallocated arena slot ${a}`);
    if (A.arenaPrev[a] !== prev) fail(base, `arena ${a}'s prevarena is ${A.arenaPrev[a]}, expected ${prev}`);
    const nf = A.arenaNFreePools[a] as number;
    if (nf === 0) fail(base, `arena ${a} has no free pool but is in usable_arenas`);
    if (nf < prevNf)
      fail(base, `usable_arenas is not sorted: arena ${a} has ${nf} free pools after one with ${prevNf}`);
    lastWith[nf] = a;
    prev = a;
    prevNf = nf;
  }
  for (let k = 0; k <= maxPoolsInArena; k++) {
    if ((A.nfp2lasta[k] as number) !== (lastWith[k] as number)) {
      fail(
        0,
        `nfp2lasta[${k}] is arena ${A.nfp2lasta[k]}, the last usable arena with ${k} free pools is ${lastWith[k]}`,
      );
    }
  }
  // Every pool of every arena.
  const ringMember = new Set<number>();
  for (let c = 0; c < nClasses; c++) {
    let prevPool = USEDPOOLS_HEAD;
    let n = 0;
    for (let p = s.usedFirst[c] as number; p !== USEDPOOLS_HEAD; p = u32[(p + POOL_NEXTPOOL) >>> 2] as number) {
      if (ringMember.has(p) || ++n > 1 << 24) fail(p, `usedpools[${c}] ring is broken`);
      ringMember.add(p);
      if ((u32[(p + POOL_PREVPOOL) >>> 2] as number) !== prevPool)
        fail(p, `pool's prevpool in usedpools[${c}] is wrong`);
      if ((u32[(p + POOL_SZIDX) >>> 2] as number) !== c)
        fail(p, `pool of class ${u32[(p + POOL_SZIDX) >>> 2]} in usedpools[${c}]`);
      prevPool = p;
    }
    if ((s.usedLast[c] as number) !== prevPool) fail(prevPool, `usedpools[${c}]'s last pool is wrong`);
  }
  let ringPools = 0;
  let liveBlocks = 0;
  for (let a = 0; a < A.maxArenas; a++) {
    const base = A.arenaAddress[a] as number;
    if (base === 0) continue;
    const first = A.firstPool(a);
    const total = A.arenaNTotalPools[a] as number;
    const expectTotal = first === base ? maxPoolsInArena : maxPoolsInArena - 1;
    if (total !== expectTotal) fail(base, `arena ${a} has ntotalpools ${total}, expected ${expectTotal}`);
    const poolAddress = A.arenaPoolAddress[a] as number;
    const carved = (poolAddress - first) / poolSize;
    if (!Number.isInteger(carved) || carved < 0 || carved > total)
      fail(base, `arena ${a}'s pool_address is out of range`);
    if (!(A.arenaNFreePools[a] === 0 || inUsable[a]))
      fail(base, `arena ${a} has free pools but is not in usable_arenas`);
    let onFreeList = 0;
    const freeSet = new Set<number>();
    for (let p = A.arenaFreePools[a] as number; p !== 0; p = u32[(p + POOL_NEXTPOOL) >>> 2] as number) {
      if (p < first || p >= poolAddress || (p - first) % poolSize !== 0 || freeSet.has(p)) {
        fail(p, `arena ${a}'s freepools list is broken`);
      }
      freeSet.add(p);
      onFreeList++;
    }
    if (onFreeList + total - carved !== A.arenaNFreePools[a]) {
      fail(
        base,
        `arena ${a}: nfreepools ${A.arenaNFreePools[a]} != ${onFreeList} empty + ${total - carved} virgin pools`,
      );
    }
    for (let pool = first; pool < poolAddress; pool += poolSize) {
      if ((u32[(pool + POOL_ARENAINDEX) >>> 2] as number) !== a) fail(pool, `pool's arenaindex is not ${a}`);
      const count = u32[pool >>> 2] as number;
      if (count === 0) {
        if (!freeSet.has(pool)) fail(pool, "empty pool is not on its arena's freepools");
        continue;
      }
      if (freeSet.has(pool)) fail(pool, `pool with ${count} blocks in use is on freepools`);
      const c = u32[(pool + POOL_SZIDX) >>> 2] as number;
      if (c >= nClasses) fail(pool, `pool in use has size class ${c}`);
      const size = s.classSize[c] as number;
      const capacity = s.classBlocks[c] as number;
      const nextOffset = u32[(pool + POOL_NEXTOFFSET) >>> 2] as number;
      if ((u32[(pool + POOL_MAXNEXTOFFSET) >>> 2] as number) !== poolSize - size) fail(pool, "maxnextoffset is wrong");
      const virgin = nextOffset <= poolSize - size ? Math.floor((poolSize - size - nextOffset) / size) + 1 : 0;
      let freeBlocks = 0;
      const visited = new Set<number>();
      for (let p = u32[(pool + POOL_FREEBLOCK) >>> 2] as number; p !== 0; p = u32[p >>> 2] as number) {
        const off = p - pool - poolOverhead;
        if (off < 0 || off % size !== 0 || p - pool >= nextOffset || visited.has(p)) {
          fail(p, `free list of pool 0x${pool.toString(16)} holds a bad block`);
        }
        if (u32[(p >>> 2) + 1] !== 0) fail(p, "free-list link's high word is not 0");
        if (s.live.length > 0 && testGranule(s.live, p)) fail(p, "block on a free list is marked live");
        visited.add(p);
        freeBlocks++;
      }
      if (count + freeBlocks + virgin !== capacity) {
        fail(pool, `pool count ${count} + ${freeBlocks} free + ${virgin} virgin != ${capacity} blocks`);
      }
      const inRing = ringMember.has(pool);
      if (freeBlocks === 0 && inRing) fail(pool, "full pool is in a usedpools ring");
      if (freeBlocks > 0 && !inRing) fail(pool, "pool with free blocks is not in its usedpools ring");
      if (inRing) ringPools++;
      liveBlocks += count;
      if (s.checked) {
        let marked = 0;
        for (let off = poolOverhead; off + size <= poolSize; off += size) if (testGranule(s.live, pool + off)) marked++;
        if (marked !== count) fail(pool, `pool count ${count} but ${marked} blocks are marked live`);
      }
    }
  }
  if (ringPools !== ringMember.size) fail(0, "a usedpools ring holds a pool that is not carved in a live arena");
  const total =
    st.arenasAllocatedCurrent * arenaSize -
    st.unusedPools * poolSize -
    st.arenaAlignmentBytes -
    st.poolsByClass.reduce(
      (x, n, c) =>
        x +
        n *
          ((s.classBlocks[c] as number) * (s.classSize[c] as number) +
            poolOverhead +
            ((poolSize - poolOverhead) % (s.classSize[c] as number))),
      0,
    );
  if (total !== 0) fail(0, `stats do not add up to the arenas' bytes (off by ${total})`);
  if (st.allocatedBlocks - st.rawAllocatedBlocks !== liveBlocks) fail(0, "allocated block count is wrong");
}

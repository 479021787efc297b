/**
 * The text of CPython's `_PyObject_DebugMallocStats` (what
 * `sys._debugmallocstats()` prints first), from the quantities it sums.
 *
 * @module
 */

import type { Profile } from "../profiles.js";
import type { ArenaMapCounts } from "./arena-map.js";
import type { ArenaObjects } from "./arena-objects.js";
import { POOL_SZIDX } from "./pool-header.js";
import { blockSizeOf } from "./size-class.js";

/** What the stats report sums over the arenas. */
export interface MallocStats {
  /** Per size class: pools with at least one block in use (the report's `# pools`). */
  poolsByClass: number[];
  /** Per size class: blocks in use (the report's `# blocks in use`; their sum is {@link BlockStats.poolBlocksInUse}). */
  blocksInUseByClass: number[];
  /** Per size class: free blocks in those pools, virgin blocks included (the report's `# avail blocks`). */
  availBlocksByClass: number[];
  /** ntimes_arena_allocated. */
  arenasAllocatedTotal: number;
  /** narenas_highwater. */
  arenasHighwater: number;
  /** Arenas allocated now. */
  arenasAllocatedCurrent: number;
  /** Empty and never-carved pools of the allocated arenas. */
  unusedPools: number;
  /** Bytes lost because arenas are not pool-aligned. */
  arenaAlignmentBytes: number;
  /** Radix-tree counts, for profiles with a radix-tree arena map. */
  arenaMap: ArenaMapCounts | undefined;
}

/** The quantities of CPython's stats report, as numbers, plus totals: what `BlockAllocator.stats()` returns. */
export interface BlockStats extends MallocStats {
  /** Blocks in use in pools, every size class: the sum of {@link MallocStats.blocksInUseByClass}. */
  poolBlocksInUse: number;
  /** `sys.getallocatedblocks()`: small blocks in use plus raw blocks this allocator handed out. */
  allocatedBlocks: number;
  /** Raw-allocator blocks this allocator handed out (raw_allocated_blocks). */
  rawAllocatedBlocks: number;
}

/** The report's quantities plus the block totals `sys.getallocatedblocks()` counts. */
export function withBlockCounts(s: MallocStats, rawAllocatedBlocks: number): BlockStats {
  let inUse = 0;
  for (const n of s.blocksInUseByClass) inUse += n;
  return { ...s, poolBlocksInUse: inUse, allocatedBlocks: inUse + rawAllocatedBlocks, rawAllocatedBlocks };
}

/**
 * The report's quantities, summed over every carved pool of every allocated
 * arena as `_PyObject_DebugMallocStats` sums them: pools and blocks per size
 * class, free pools, the bytes lost to arenas that are not pool-aligned.
 */
export function collectMallocStats(
  arenas: ArenaObjects,
  u32: Uint32Array,
  classBlocks: Uint32Array,
  poolSize: number,
  arenaMap: ArenaMapCounts | undefined,
): MallocStats {
  const n = classBlocks.length;
  const numPools = new Array<number>(n).fill(0);
  const blocksInUse = new Array<number>(n).fill(0);
  const availBlocks = new Array<number>(n).fill(0);
  let narenas = 0;
  let freePools = 0;
  let arenaAlignment = 0;
  for (let i = 0; i < arenas.maxArenas; i++) {
    const base = arenas.arenaAddress[i] as number;
    if (base === 0) continue;
    narenas++;
    freePools += arenas.arenaNFreePools[i] as number;
    const first = arenas.firstPool(i);
    if (first !== base) arenaAlignment += poolSize;
    const end = arenas.arenaPoolAddress[i] as number;
    for (let pool = first; pool < end; pool += poolSize) {
      const count = u32[pool >>> 2] as number;
      if (count === 0) continue;
      const c = u32[(pool + POOL_SZIDX) >>> 2] as number;
      numPools[c] = (numPools[c] as number) + 1;
      blocksInUse[c] = (blocksInUse[c] as number) + count;
      availBlocks[c] = (availBlocks[c] as number) + (classBlocks[c] as number) - count;
    }
  }
  return {
    poolsByClass: numPools,
    blocksInUseByClass: blocksInUse,
    availBlocksByClass: availBlocks,
    arenasAllocatedTotal: arenas.nTimesArenaAllocated,
    arenasHighwater: arenas.nArenasHighwater,
    arenasAllocatedCurrent: narenas,
    unusedPools: freePools,
    arenaAlignmentBytes: arenaAlignment,
    arenaMap,
  };
}

/** A number with a comma every three digits, as CPython's printone writes it. */
export function withCommas(n: number): string {
  const digits = String(n);
  let out = "";
  for (let i = 0; i < digits.length; i++) {
    if (i > 0 && (digits.length - i) % 3 === 0) out += ",";
    out += digits[i];
  }
  return out;
}

/** printone: the label padded to 35 columns, `=`, the value right-aligned in 21 columns with commas. */
export function printOne(label: string, value: number): string {
  return `${label.padEnd(35)}=${withCommas(value).padStart(21)}\n`;
}

/** The byte totals of the report: where the arenas' bytes went. */
export interface MallocByteTotals {
  /** `# bytes in allocated blocks` */
  allocatedBytes: number;
  /** `# bytes in available blocks` */
  availableBytes: number;
  /** `N unused pools * POOL_SIZE bytes` */
  unusedPoolBytes: number;
  /** `# bytes lost to pool headers` */
  poolHeaderBytes: number;
  /** `# bytes lost to quantization` */
  quantizationBytes: number;
  /** `# bytes lost to arena alignment` */
  arenaAlignmentBytes: number;
  /** `Total`: the arenas' bytes. */
  totalBytes: number;
}

/** Sums `s` the way the report does. */
export function mallocByteTotals(s: MallocStats, profile: Profile): MallocByteTotals {
  const { alignment, poolSize, poolOverhead, smallRequestThreshold } = profile;
  const nClasses = smallRequestThreshold / alignment;
  let allocatedBytes = 0;
  let availableBytes = 0;
  let poolHeaderBytes = 0;
  let quantizationBytes = 0;
  for (let c = 0; c < nClasses; c++) {
    const pools = s.poolsByClass[c] ?? 0;
    if (pools === 0) continue;
    const size = blockSizeOf(c, alignment);
    allocatedBytes += (s.blocksInUseByClass[c] ?? 0) * size;
    availableBytes += (s.availBlocksByClass[c] ?? 0) * size;
    poolHeaderBytes += pools * poolOverhead;
    quantizationBytes += pools * ((poolSize - poolOverhead) % size);
  }
  const unusedPoolBytes = s.unusedPools * poolSize;
  return {
    allocatedBytes,
    availableBytes,
    unusedPoolBytes,
    poolHeaderBytes,
    quantizationBytes,
    arenaAlignmentBytes: s.arenaAlignmentBytes,
    totalBytes:
      allocatedBytes + availableBytes + unusedPoolBytes + poolHeaderBytes + quantizationBytes + s.arenaAlignmentBytes,
  };
}

/** The report's text for `s` under `profile`. */
export function formatMallocStats(s: MallocStats, profile: Profile): string {
  const { alignment, arenaSize, poolSize, smallRequestThreshold } = profile;
  const nClasses = smallRequestThreshold / alignment;
  let out = `Small block threshold = ${smallRequestThreshold}, in ${nClasses} size classes.\n\n`;
  out += "class   size   num pools   blocks in use  avail blocks\n";
  out += "-----   ----   ---------   -------------  ------------\n";
  for (let c = 0; c < nClasses; c++) {
    const pools = s.poolsByClass[c] ?? 0;
    if (pools === 0) continue;
    const size = blockSizeOf(c, alignment);
    out += `${String(c).padStart(5)} ${String(size).padStart(6)} ${String(pools).padStart(11)} ${String(s.blocksInUseByClass[c] ?? 0).padStart(15)} ${String(s.availBlocksByClass[c] ?? 0).padStart(13)}\n`;
  }
  const t = mallocByteTotals(s, profile);
  out += "\n";
  out += printOne("# arenas allocated total", s.arenasAllocatedTotal);
  out += printOne("# arenas reclaimed", s.arenasAllocatedTotal - s.arenasAllocatedCurrent);
  out += printOne("# arenas highwater mark", s.arenasHighwater);
  out += printOne("# arenas allocated current", s.arenasAllocatedCurrent);
  out += printOne(
    `${s.arenasAllocatedCurrent} arenas * ${arenaSize} bytes/arena`,
    s.arenasAllocatedCurrent * arenaSize,
  );
  out += "\n";
  out += printOne("# bytes in allocated blocks", t.allocatedBytes);
  out += printOne("# bytes in available blocks", t.availableBytes);
  out += printOne(`${s.unusedPools} unused pools * ${poolSize} bytes`, t.unusedPoolBytes);
  out += printOne("# bytes lost to pool headers", t.poolHeaderBytes);
  out += printOne("# bytes lost to quantization", t.quantizationBytes);
  out += printOne("# bytes lost to arena alignment", t.arenaAlignmentBytes);
  out += printOne("Total", t.totalBytes);
  const map = profile.arenaMap;
  if (map.kind === "radix-tree" && s.arenaMap !== undefined) {
    const root = 2 ** map.rootBits * map.pointerBytes;
    const mid = 2 ** map.midBits * map.pointerBytes * s.arenaMap.midNodes;
    const bot = 2 ** map.botBits * map.leafBytes * s.arenaMap.botNodes;
    out += "\narena map counts\n";
    out += printOne("# arena map mid nodes", s.arenaMap.midNodes);
    out += printOne("# arena map bot nodes", s.arenaMap.botNodes);
    out += "\n";
    out += printOne("# bytes lost to arena map root", root);
    out += printOne("# bytes lost to arena map mid", mid);
    out += printOne("# bytes lost to arena map bot", bot);
    out += printOne("Total", root + mid + bot);
  }
  return out;
}

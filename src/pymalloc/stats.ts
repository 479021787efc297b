/**
 * The text of CPython's `_PyObject_DebugMallocStats` (what
 * `sys._debugmallocstats()` prints first), from the quantities it sums.
 *
 * @module
 */

import type { Profile } from "../profiles.js";
import { blockSizeOf } from "./size-class.js";

/** Radix-tree node counts (3.10+). */
export interface ArenaMapCounts {
  /** Mid nodes ever created. */
  midNodes: number;
  /** Bottom nodes ever created. */
  botNodes: number;
}

/** What the stats report sums over the arenas. */
export interface MallocStats {
  /** Per size class: pools with at least one block in use. */
  numPools: number[];
  /** Per size class: blocks in use. */
  blocksInUse: number[];
  /** Per size class: free blocks in those pools, virgin blocks included. */
  availBlocks: number[];
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

/** The report's text for `s` under `profile`. */
export function formatMallocStats(s: MallocStats, profile: Profile): string {
  const { alignment, poolSize, poolOverhead, arenaSize, smallRequestThreshold } = profile;
  const nClasses = smallRequestThreshold / alignment;
  let out = `Small block threshold = ${smallRequestThreshold}, in ${nClasses} size classes.\n\n`;
  out += "class   size   num pools   blocks in use  avail blocks\n";
  out += "-----   ----   ---------   -------------  ------------\n";
  let allocated = 0;
  let available = 0;
  let poolHeaders = 0;
  let quantization = 0;
  for (let c = 0; c < nClasses; c++) {
    const pools = s.numPools[c] ?? 0;
    if (pools === 0) continue;
    const size = blockSizeOf(c, alignment);
    const inUse = s.blocksInUse[c] ?? 0;
    const avail = s.availBlocks[c] ?? 0;
    out += `${String(c).padStart(5)} ${String(size).padStart(6)} ${String(pools).padStart(11)} ${String(inUse).padStart(15)} ${String(avail).padStart(13)}\n`;
    allocated += inUse * size;
    available += avail * size;
    poolHeaders += pools * poolOverhead;
    quantization += pools * ((poolSize - poolOverhead) % size);
  }
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
  out += printOne("# bytes in allocated blocks", allocated);
  out += printOne("# bytes in available blocks", available);
  out += printOne(`${s.unusedPools} unused pools * ${poolSize} bytes`, s.unusedPools * poolSize);
  out += printOne("# bytes lost to pool headers", poolHeaders);
  out += printOne("# bytes lost to quantization", quantization);
  out += printOne("# bytes lost to arena alignment", s.arenaAlignmentBytes);
  out += printOne(
    "Total",
    allocated + available + s.unusedPools * poolSize + poolHeaders + quantization + s.arenaAlignmentBytes,
  );
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

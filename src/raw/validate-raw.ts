/**
 * The RawAllocator's invariants, checked by walking the whole heap and every
 * free list: kept apart from the allocator's own code, which never needs them.
 *
 * @module
 */

import { HeapCorruptionError } from "../errors.js";
import { testGranule } from "../internal/granule-bitmap.js";
import { FIRST_BLOCK, FREE, floorGranule, MIN_BLOCK, RAW_HEADER, sizeOfWord } from "./raw-block.js";
import { binOfSize, FL_COUNT, GRANULE, SL_COUNT } from "./tlsf.js";

/** What the walk reads: the allocator's fields, as they are now. */
export interface RawHeapState {
  u32: Uint32Array;
  heapBytes: number;
  checked: boolean;
  heads: Uint32Array;
  flBitmap: number;
  slBitmaps: Uint32Array;
  sentinel: number;
  live: Uint32Array;
  nLive: number;
  nFree: number;
  inUse: number;
  requested: number;
}

/**
 * Checks block sizes and links, that no two free blocks touch, each free
 * block's bin, the bitmaps against the bins, and the counters against the walk.
 * @throws HeapCorruptionError naming the first inconsistent address
 */
export function validateRawHeap(s: RawHeapState): void {
  const u32 = s.u32;
  const prevPhys = (block: number) => u32[(block >>> 2) + 1] as number;
  const end = floorGranule(s.heapBytes);
  if (s.sentinel !== end - RAW_HEADER) {
    throw new HeapCorruptionError(s.sentinel, `sentinel is not at the end of the ${end}-byte heap`);
  }
  let b = FIRST_BLOCK;
  let prev = 0;
  let prevFree = false;
  let nLive = 0;
  let nFree = 0;
  let inUse = 0;
  let requested = 0;
  while (b !== s.sentinel) {
    const word = u32[b >>> 2] as number;
    const size = sizeOfWord(word);
    const free = (word & FREE) !== 0;
    if (size < MIN_BLOCK || size % GRANULE !== 0 || b + size > s.sentinel) {
      throw new HeapCorruptionError(
        b,
        `block size ${size} is not a multiple of ${GRANULE} of at least ${MIN_BLOCK} within the heap`,
      );
    }
    if (prevPhys(b) !== prev) {
      throw new HeapCorruptionError(b, `previous-block link is ${prevPhys(b)}, expected ${prev}`);
    }
    if (free && prevFree) throw new HeapCorruptionError(b, "two adjacent free blocks were not coalesced");
    if (free) {
      nFree++;
      if (s.checked && testGranule(s.live, b + RAW_HEADER)) {
        throw new HeapCorruptionError(b, "free block is marked live");
      }
    } else {
      nLive++;
      inUse += size;
      const req = u32[(b >>> 2) + 2] as number;
      if (req > size - RAW_HEADER)
        throw new HeapCorruptionError(b, `request ${req} exceeds usable ${size - RAW_HEADER}`);
      requested += req;
      if (s.checked && !testGranule(s.live, b + RAW_HEADER)) {
        throw new HeapCorruptionError(b, "used block is not marked live");
      }
    }
    prevFree = free;
    prev = b;
    b += size;
  }
  if (prevPhys(s.sentinel) !== prev) {
    throw new HeapCorruptionError(
      s.sentinel,
      `sentinel's previous-block link is ${prevPhys(s.sentinel)}, expected ${prev}`,
    );
  }
  if ((u32[s.sentinel >>> 2] as number) !== 0) throw new HeapCorruptionError(s.sentinel, "sentinel header changed");
  if (nLive !== s.nLive || inUse !== s.inUse || requested !== s.requested) {
    throw new HeapCorruptionError(
      FIRST_BLOCK,
      `counters say ${s.nLive} live blocks, ${s.inUse} bytes in use, ${s.requested} requested; the walk found ${nLive}, ${inUse}, ${requested}`,
    );
  }
  validateBins(s, nFree);
}

/** The free lists: each bin's blocks free, of its size, linked both ways; bitmaps and counter agreeing. */
function validateBins(s: RawHeapState, nFreeWalked: number): void {
  const u32 = s.u32;
  let listed = 0;
  for (let fl = 0; fl < FL_COUNT; fl++) {
    const flBit = (s.flBitmap >>> fl) & 1;
    const slMap = s.slBitmaps[fl] as number;
    if ((slMap !== 0 ? 1 : 0) !== flBit) {
      throw new HeapCorruptionError(0, `first-level bitmap bit ${fl} is ${flBit} but its second-level map is ${slMap}`);
    }
    for (let sl = 0; sl < SL_COUNT; sl++) {
      const bin = fl * SL_COUNT + sl;
      const head = s.heads[bin] as number;
      if ((head !== 0 ? 1 : 0) !== ((slMap >>> sl) & 1)) {
        throw new HeapCorruptionError(head, `bin ${bin} head and bitmap disagree`);
      }
      let prev = 0;
      for (let b = head; b !== 0; b = u32[(b >>> 2) + 2] as number) {
        if (b < FIRST_BLOCK || b >= s.sentinel || b % GRANULE !== 0) {
          throw new HeapCorruptionError(b, `free list of bin ${bin} points outside the heap`);
        }
        const word = u32[b >>> 2] as number;
        if ((word & FREE) === 0) throw new HeapCorruptionError(b, `used block on the free list of bin ${bin}`);
        if (binOfSize(sizeOfWord(word)) !== bin) {
          throw new HeapCorruptionError(b, `free block of ${sizeOfWord(word)} bytes filed in bin ${bin}`);
        }
        if ((u32[(b >>> 2) + 3] as number) !== prev) throw new HeapCorruptionError(b, "free list back link is wrong");
        prev = b;
        if (++listed > nFreeWalked) {
          throw new HeapCorruptionError(b, "free lists hold more blocks than the heap (a cycle?)");
        }
      }
    }
  }
  if (listed !== nFreeWalked || listed !== s.nFree) {
    throw new HeapCorruptionError(
      0,
      `free lists hold ${listed} blocks, the heap walk found ${nFreeWalked}, the counter says ${s.nFree}`,
    );
  }
}

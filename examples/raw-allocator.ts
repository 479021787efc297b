/**
 * For simulator authors: drive RawAllocator call by call, watch its events,
 * and check its heap. Run with `npm run examples`.
 */
import { DoubleFreeError, RawAllocator } from "pymem";

const raw = new RawAllocator({ initialBytes: 1 << 16, maxBytes: 1 << 24 });
const log: string[] = [];
raw.on("raw:grow", (e) => log.push(`grew ${e.oldBytes} -> ${e.newBytes} bytes`));

const a = raw.malloc(100);
const b = raw.calloc(10, 8);
raw.u8.fill(0x41, a, a + 100);
const a2 = raw.realloc(a, 200_000); // moves, and grows the buffer
raw.free(b);

try {
  raw.free(b);
} catch (e) {
  if (!(e instanceof DoubleFreeError)) throw e;
  log.push(`caught: ${e.message}`);
}

raw.free(raw.allocAligned(256 * 1024, 4096)); // an arena-sized, page-aligned region
raw.validate();
const s = raw.stats();
log.push(`live ${s.liveBlocks} block(s), ${s.bytesInUse} bytes in use, first byte ${raw.u8[a2]}`);
console.log(log.join("\n"));

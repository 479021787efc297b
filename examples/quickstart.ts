import { RawAllocator } from "pymem";

const raw = new RawAllocator({ maxBytes: 64 * 1024 * 1024 });
const p = raw.malloc(100); // a 16-byte aligned address in raw.u8
raw.u8.set([1, 2, 3], p);
const q = raw.realloc(p, 10_000); // contents kept
raw.free(q);
raw.validate(); // throws HeapCorruptionError if any invariant broke
console.log(raw.stats());

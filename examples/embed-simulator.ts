/**
 * For authors of other simulators: a toy interpreter's heap on pymem. Its
 * lists and ints are CPython objects in simulated memory; refcounting frees
 * what it can, the cyclic gc what it cannot; a snapshot forks the heap to try
 * two futures from one state.
 */
import { createHeap, instantiate, snapshot } from "pymem";

// The whole stack: raw, blocks, objects and the gc.
const heap = createHeap({ profile: "cpython-3.12" });
const { objects, gc } = heap;
const List = objects.defineType({ name: "list", listLike: true, container: true });
const Int = objects.defineType({ name: "int", dataBytes: 8 });

/** The interpreter's `[0, 1, ..., n-1]`. */
function range(n: number): number {
  const xs = objects.new(List);
  for (let i = 0; i < n; i++) {
    const v = objects.new(Int);
    objects.append(xs, v);
    objects.decref(v);
  }
  return xs;
}

// x = range(1000); x.append(x); del x   -> a cycle only the gc can free
const x = range(1000);
objects.append(x, x);
objects.decref(x);
console.log(`after del x: ${objects.liveObjects} objects live, ${heap.blocks.stats().allocatedBlocks} blocks`);

const fork = instantiate(snapshot(heap));
console.log(`gc.collect() found ${gc.collect()}; ${objects.liveObjects} objects live`);
// The fork still holds the cycle: its future is its own.
console.log(`in the fork: ${fork.objects?.liveObjects} objects live until its gc runs (${fork.gc?.collect()} found)`);
heap.blocks.validate();

/**
 * One objects measurement in a process of its own: argv = program
 * ("collect": collect(2) of the 10^6-object graph, in ms; "chain": a
 * 10^6-object chain built and released, in ns per object), profile name.
 * Prints the best of three rounds. The bundle is dist/index.js or
 * PYMEM_BUNDLE's.
 */
import { buildGraph, chainNs, N } from "./objects.bench.js";
import { built } from "./pymem.js";

const [program, name] = process.argv.slice(2) as [string, string];
const pm = await built();
// A baseline bundle from before the 3.14 profiles were renamed calls 3.14.0's incremental collector cpython-3.14.
const profile =
  pm.profiles[name as "cpython-3.11"] ??
  (name === "cpython-3.14.0" ? Object.values(pm.profiles).find((p) => p.gc === "incremental-3.14") : undefined);
if (profile === undefined) throw new Error(`no profile ${name} in this build`);
let best = Number.POSITIVE_INFINITY;
if (program === "collect") {
  for (let r = 0; r < 3; r++) {
    const { gc } = buildGraph(pm, profile);
    const t0 = performance.now();
    const found = gc.collect(2);
    best = Math.min(best, performance.now() - t0);
    if (found !== N) throw new Error(`collect(2) found ${found} of ${N}`);
  }
} else {
  // Built before the first round: see replay-child.ts on why no heap is built between timed runs.
  const stacks = Array.from({ length: 3 }, () => {
    const raw = new pm.RawAllocator({ maxBytes: 2 ** 31, reserve: true });
    const objects = new pm.RefCounter({ allocator: new pm.BlockAllocator({ raw, profile, checked: false }) });
    return { objects, Node: objects.defineType({ name: "Node", slots: 3, container: true }) };
  });
  for (const { objects, Node } of stacks) best = Math.min(best, chainNs(objects, Node));
}
console.log(best);

/// <reference lib="dom" />
/**
 * The cyclic gc on eight objects, phase by phase: each `gc:phase` event is a
 * frame, drawn from what the objects' PyGC_Head words in simulated memory say
 * at that moment (the unreachable mark in `_gc_next`), whether each is alive,
 * and whether its finalizer has run.
 */
import { createHeap } from "pymem";

interface Frame {
  phase: string;
  objects: number;
  /** Per node: "reachable", "unreachable" or "freed"; and whether finalized. */
  nodes: Array<{ state: "tracked" | "unreachable" | "freed"; finalized: boolean }>;
}

const NAMES = ["A", "B", "C", "D", "E", "F", "G", "H"];
// A root holds A; A→B→C→A is a cycle kept alive by it. D⇄E, F⇄G (F has a finalizer) and H→H are garbage.
const EDGES: Array<[number, number]> = [
  [0, 1],
  [1, 2],
  [2, 0],
  [3, 4],
  [4, 3],
  [5, 6],
  [6, 5],
  [7, 7],
];
const CAPTIONS: Record<string, string> = {
  before: "Before: every object is tracked; only A is held from outside (the root).",
  move_unreachable:
    "update_refs, subtract_refs, move_unreachable: references from inside the set are subtracted; what is left with none and is not reached from what has some is unreachable.",
  handle_weakrefs: "handle_weakrefs: weak references to the unreachable are cleared.",
  finalize_garbage: "finalize_garbage: F's finalizer runs (PEP 442), once.",
  handle_resurrected_objects: "handle_resurrected_objects: nothing was resurrected, so all stay unreachable.",
  delete_garbage: "delete_garbage: each unreachable object's tp_clear breaks its cycle; refcounting frees them.",
  after: "After: the cycles are gone; A, B and C survive, kept by the root.",
};

export function gcDemo(container: HTMLElement, caption: HTMLElement, button: HTMLButtonElement): void {
  let frames: Frame[] = [];
  let addresses: number[] = [];
  let collect = () => 0;

  function build(): void {
    const heap = createHeap({ profile: "cpython-3.11" });
    const { objects, gc } = heap;
    gc.disable();
    const Plain = objects.defineType({ name: "Node", slots: 2, container: true });
    const Finalized = objects.defineType({ name: "Finalized", slots: 2, container: true, finalize: () => {} });
    addresses = NAMES.map((n) => objects.new(n === "F" ? Finalized : Plain));
    const used = new Array(NAMES.length).fill(0);
    for (const [from, to] of EDGES) objects.setSlot(addresses[from] as number, used[from]++, addresses[to] as number);
    // Drop our references: only A keeps one, the root's.
    addresses.forEach((a, i) => {
      if (i !== 0) objects.decref(a);
    });
    const take = (phase: string, count: number) => {
      frames.push({
        phase,
        objects: count,
        nodes: addresses.map((a, i) => {
          // A freed object's memory is reused: what is known of it is what the frame before saw.
          if (!objects.isAlive(a)) return { state: "freed", finalized: frames.at(-1)?.nodes[i]?.finalized ?? false };
          // 3.11's PyGC_Head: bit 0 of _gc_next marks the unreachable during a collection.
          const next = heap.raw.memory.read32(a - 16);
          return { state: (next & 1) === 1 ? "unreachable" : "tracked", finalized: objects.isFinalized(a) };
        }),
      });
    };
    frames = [];
    take("before", NAMES.length);
    gc.on("gc:phase", (e) => take(e.phase, e.objects));
    collect = () => {
      const n = gc.collect(2);
      take("after", n);
      return n;
    };
    draw(frames[0] as Frame);
    caption.textContent = CAPTIONS.before as string;
  }

  function draw(f: Frame): void {
    const r = 150;
    const pos = NAMES.map((_, i) => {
      const t = (i / NAMES.length) * 2 * Math.PI - Math.PI / 2;
      return [200 + r * Math.cos(t), 180 + r * Math.sin(t)] as const;
    });
    const fill = { tracked: "#9ecae1", unreachable: "#fb8072", freed: "#f2f2f2" };
    const edges = EDGES.map(([a, b]) => {
      const [x1, y1] = pos[a] as readonly [number, number];
      const [x2, y2] = pos[b] as readonly [number, number];
      if (a === b) return `<circle cx="${x1 + 22}" cy="${y1 - 22}" r="14" fill="none" stroke="#888"/>`;
      const dx = x2 - x1;
      const dy = y2 - y1;
      const len = Math.hypot(dx, dy);
      const [ex, ey] = [x2 - (dx / len) * 22, y2 - (dy / len) * 22];
      return `<line x1="${x1}" y1="${y1}" x2="${ex}" y2="${ey}" stroke="#888" marker-end="url(#arrow)"/>`;
    }).join("");
    const nodes = f.nodes
      .map((n, i) => {
        const [x, y] = pos[i] as readonly [number, number];
        return (
          `<g class="node" data-node="${NAMES[i]}" data-state="${n.state}" data-finalized="${n.finalized}">` +
          `<circle cx="${x}" cy="${y}" r="20" fill="${fill[n.state]}" stroke="${n.finalized ? "#e6550d" : "#555"}" ` +
          `stroke-width="${n.finalized ? 3 : 1}"${n.state === "freed" ? ' stroke-dasharray="3 3"' : ""}/>` +
          `<text x="${x}" y="${y + 4}" text-anchor="middle">${NAMES[i]}</text></g>`
        );
      })
      .join("");
    const root = pos[0] as readonly [number, number];
    container.innerHTML =
      `<svg xmlns="http://www.w3.org/2000/svg" width="400" height="370" data-phase="${f.phase}">` +
      `<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" markerHeight="6" orient="auto">` +
      `<path d="M0,0 L10,5 L0,10 z" fill="#888"/></marker></defs>` +
      `<text x="${root[0] + 30}" y="${root[1] - 6}">← root</text>${edges}${nodes}` +
      `<text x="10" y="360">${f.phase}: ${f.objects} objects</text></svg>`;
  }

  button.addEventListener("click", () => {
    if (button.dataset.done === "true") {
      button.dataset.done = "false";
      button.textContent = "gc.collect()";
      build();
      return;
    }
    button.disabled = true;
    collect();
    let i = 1;
    const next = () => {
      const f = frames[i] as Frame;
      draw(f);
      caption.textContent = CAPTIONS[f.phase] ?? f.phase;
      i++;
      if (i < frames.length) setTimeout(next, 900);
      else {
        button.disabled = false;
        button.dataset.done = "true";
        button.textContent = "build the graph again";
        document.body.dataset.gcDone = "true";
      }
    };
    setTimeout(next, 300);
  });
  build();
}

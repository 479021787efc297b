/// <reference lib="dom" />
/**
 * pymem's browser visualizer: a trace played op by op into pymalloc, the heap
 * map redrawn as it goes (pools the last ops touched outlined, from the
 * allocator's events), any pool's header and blocks and any block's bytes on
 * a click, and the cyclic gc's phases on a small object graph.
 * `npm run visualizer` serves it (Vite).
 */
import {
  createHeap,
  type Heap,
  parseTrace,
  profiles,
  renderHeapMap,
  sizeClassColor,
  type Trace,
  TracePlayer,
} from "pymem";
import demoUrl from "../../cli/traces/demo.trace.gz?url";
import startupUrl from "../../cli/traces/startup.trace.gz?url";
import { gcDemo } from "./gc-demo.js";

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const samples: Record<string, string> = { startup: startupUrl, demo: demoUrl };
const hex = (n: number) => `0x${n.toString(16)}`;

let heap: Heap;
let player: TracePlayer;
let trace: Trace;
let playing = false;
let selectedPool = 0;
let selectedBlock = 0;
const touched = new Set<number>();

/** Trace text from bytes, gunzipped by the browser when they are gzip. */
async function textOf(bytes: Uint8Array): Promise<string> {
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(new DecompressionStream("gzip"));
    return await new Response(stream).text();
  }
  return new TextDecoder().decode(bytes);
}

function start(t: Trace): void {
  trace = t;
  playing = false;
  selectedPool = 0;
  heap = createHeap({ profile: $<HTMLSelectElement>("profile").value });
  // Outline what each frame's ops touched; a seek replays many ops and outlines nothing.
  const touch = (e: { pool: number }) => {
    if (!player.seeking) touched.add(e.pool);
  };
  heap.blocks.on("block:alloc", touch);
  heap.blocks.on("block:free", touch);
  heap.blocks.on("pool:init", (e) => touch({ pool: e.address }));
  player = new TracePlayer(trace, heap);
  $<HTMLInputElement>("scrub").max = String(player.length);
  render();
}

async function loadSample(name: string): Promise<void> {
  const bytes = new Uint8Array(await (await fetch(samples[name] as string)).arrayBuffer());
  start(parseTrace(await textOf(bytes)));
}

async function loadFile(file: File): Promise<void> {
  try {
    start(parseTrace(await textOf(new Uint8Array(await file.arrayBuffer()))));
  } catch (e) {
    $("op").textContent = `${file.name}: ${(e as Error).message}`;
  }
}

function render(): void {
  const map = $("map");
  map.innerHTML = renderHeapMap(heap.blocks, { cellSize: 12 });
  for (const p of touched) map.querySelector(`[data-pool="${p}"]`)?.classList.add("touched");
  touched.clear();
  if (selectedPool !== 0) map.querySelector(`[data-pool="${selectedPool}"]`)?.classList.add("selected-pool");
  $("position").textContent = `${player.position} / ${player.length}`;
  const last = player.last;
  $("op").textContent =
    last === undefined
      ? "(nothing played yet)"
      : `line ${last.line}: ${last.text}${last.address ? ` → ${hex(last.address)}` : ""}${last.oldAddress ? ` (was ${hex(last.oldAddress)})` : ""}`;
  $<HTMLInputElement>("scrub").value = String(player.position);
  $("play").textContent = playing ? "pause" : "play";
  showPool();
}

/** The selected pool's header fields and blocks, and the selected block's bytes. */
function showPool(): void {
  const detail = $("detail");
  if (selectedPool === 0) return;
  const pool = heap.blocks.pool(selectedPool);
  if (pool === undefined) {
    detail.innerHTML = `<p class="note">Pool ${hex(selectedPool)} is not carved at this point.</p>`;
    return;
  }
  const free = pool.freeList();
  const rows: Array<[string, string]> = [
    ["pool", hex(pool.address)],
    ["state", pool.state],
    ["ref.count", String(pool.blocksInUse)],
    ["freeblock", free.length > 0 ? hex(free[0] as number) : "NULL"],
    ["arenaindex", String(pool.arenaIndex)],
    ["szidx", `${pool.sizeClass} (${pool.blockSize}-byte blocks)`],
    ["nextoffset", String(pool.nextOffset)],
    ["maxnextoffset", String(pool.maxNextOffset)],
    ["capacity", `${pool.capacity} blocks`],
    ["free list", `${free.slice(0, 6).map(hex).join(" → ")}${free.length > 6 ? ` … (${free.length})` : ""}`],
  ];
  const { poolOverhead } = heap.profile;
  const onList = new Set(free);
  const cells: string[] = [];
  for (let i = 0; i < pool.capacity; i++) {
    const a = pool.address + poolOverhead + i * pool.blockSize;
    const state = poolOverhead + i * pool.blockSize >= pool.nextOffset ? "v" : onList.has(a) ? "f" : "u";
    cells.push(
      `<button type="button" class="${state}${a === selectedBlock ? " selected" : ""}" data-block="${a}" title="${hex(a)}"></button>`,
    );
  }
  const color = sizeClassColor(pool.sizeClass, heap.profile.smallRequestThreshold / heap.profile.alignment);
  detail.innerHTML =
    `<h3>Pool header</h3><table id="pool-fields">${rows.map(([k, v]) => `<tr><th>${k}</th><td data-field="${k}">${v}</td></tr>`).join("")}</table>` +
    `<h3>Blocks</h3><div id="blocks" style="--class-color:${color}">${cells.join("")}</div>` +
    `<p class="note">solid: in use, grey: on the free list, white: never handed out. Click one for its bytes.</p>` +
    (selectedBlock !== 0 && selectedBlock >= pool.address && selectedBlock < pool.address + heap.profile.poolSize
      ? `<h3>Bytes of ${hex(selectedBlock)}</h3><pre id="bytes">${dump(selectedBlock, pool.blockSize)}</pre>`
      : "");
}

/** A hex dump, 16 bytes a line, as a debugger shows memory. */
function dump(address: number, size: number): string {
  const u8 = heap.raw.u8;
  const lines: string[] = [];
  for (let o = 0; o < size; o += 16) {
    const bytes = Array.from(u8.subarray(address + o, address + Math.min(size, o + 16)), (b) =>
      b.toString(16).padStart(2, "0"),
    );
    lines.push(`${hex(address + o).padStart(10)}  ${bytes.join(" ")}`);
  }
  return lines.join("\n");
}

function frame(): void {
  if (!playing) return;
  const n = Number($<HTMLSelectElement>("speed").value);
  for (let i = 0; i < n && !player.atEnd; i++) player.step();
  if (player.atEnd) playing = false;
  render();
  if (playing) requestAnimationFrame(frame);
}

function setPlaying(on: boolean): void {
  playing = on && !player.atEnd;
  render();
  if (playing) requestAnimationFrame(frame);
}

for (const name of Object.keys(profiles)) {
  const o = document.createElement("option");
  o.value = name;
  o.textContent = name;
  o.selected = name === "cpython-3.11";
  $("profile").appendChild(o);
}
$("sample").addEventListener("change", (e) => loadSample((e.target as HTMLSelectElement).value));
$("profile").addEventListener("change", () => start(trace));
$("file").addEventListener("change", (e) => {
  const f = (e.target as HTMLInputElement).files?.[0];
  if (f) void loadFile(f);
});
document.addEventListener("dragover", (e) => {
  e.preventDefault();
  document.body.classList.add("dragging");
});
document.addEventListener("dragleave", () => document.body.classList.remove("dragging"));
document.addEventListener("drop", (e) => {
  e.preventDefault();
  document.body.classList.remove("dragging");
  const f = e.dataTransfer?.files[0];
  if (f) void loadFile(f);
});
$("play").addEventListener("click", () => setPlaying(!playing));
$("step").addEventListener("click", () => {
  setPlaying(false);
  player.step();
  render();
});
$("back").addEventListener("click", () => {
  setPlaying(false);
  player.back();
  render();
});
$("start").addEventListener("click", () => {
  setPlaying(false);
  player.seek(0);
  render();
});
$("end").addEventListener("click", () => {
  setPlaying(false);
  player.seek(player.length);
  render();
});
$("scrub").addEventListener("input", (e) => {
  const to = Number((e.target as HTMLInputElement).value);
  setPlaying(false);
  player.seek(to);
  render();
});
$("map").addEventListener("click", (e) => {
  const g = (e.target as Element).closest("[data-pool]");
  if (g === null) return;
  selectedPool = Number(g.getAttribute("data-pool"));
  selectedBlock = 0;
  render();
});
$("detail").addEventListener("click", (e) => {
  const b = (e.target as Element).closest("[data-block]");
  if (b === null) return;
  selectedBlock = Number(b.getAttribute("data-block"));
  showPool();
});

gcDemo($("graph"), $("gc-phase"), $<HTMLButtonElement>("collect"));
await loadSample("startup");
document.body.dataset.ready = "true";

/**
 * The heap map: a BlockAllocator's arenas drawn as SVG, for people who would
 * rather look than read. Two levels of detail: pools (every arena a row of
 * pools, each coloured by size class and filled as far as its blocks are in
 * use) and blocks (one arena, every pool a tile of its blocks: in use, on the
 * free list, or never handed out). Pure string building, so it runs in
 * browsers and Node alike; it reads the allocator and changes nothing.
 *
 * @module
 */

import type { Arena } from "../pymalloc/arena.js";
import { asPymalloc, type BlockAllocator } from "../pymalloc/block-allocator.js";
import type { Pool } from "../pymalloc/pool.js";
import { blockSizeOf, sizeClassCount } from "../pymalloc/size-class.js";
import { withCommas } from "../pymalloc/stats.js";
import { type TypePalette, typePalette } from "./type-palette.js";

/** Options of {@link renderHeapMap}. */
export interface HeapMapOptions {
  /**
   * What a cell is: `"pools"` (every arena, a cell per pool), `"blocks"` (one
   * arena, a cell per block) or `"auto"` (blocks when there is exactly one
   * arena or {@link HeapMapOptions.arena} is given, pools otherwise). Default `"auto"`.
   */
  detail?: "auto" | "pools" | "blocks";
  /** The arena to draw block by block (its index, as `Arena.index`); implies blocks unless `detail` says pools. */
  arena?: number;
  /** The heading; default names the profile and the totals. */
  title?: string;
  /** Side of a pool cell in the pools view, in pixels (4 to 64, default 12). */
  cellSize?: number;
  /**
   * Leave out the pools an arena has never carved (default false, which draws
   * them as dashed outlines): a nearly empty heap's block view is then its
   * carved pools alone. A caption line says how many were left out.
   */
  hideUncarved?: boolean;
  /**
   * Colour blocks by the Python type they hold instead of by size class:
   * the type of the block in use at an address, or undefined when unknown
   * (a replay checkpoint's `typeOf` gives it for a trace whose blocks are
   * named). The most frequent types get a colour each; a pool
   * takes the colour of the type most of its blocks hold.
   */
  blockType?: (address: number) => string | undefined;
}

// Where block-view tiles and pools-view rows start, and the spacing of everything.
const MARGIN = 12;
const LABEL_WIDTH = 132;
const LINE = 18;
const TILE = 112;
const TILE_COLUMNS = 8;
const TILE_HEADER = 14;
const LEGEND_SWATCH = 14;
const LEGEND_WIDTH = 900;

/**
 * The colour of a size class: hues spread over the classes the profile has,
 * stopping short of the full circle so that the first and last classes differ.
 */
export function sizeClassColor(sizeClass: number, nClasses: number): string {
  const hue = nClasses <= 1 ? 210 : Math.round((sizeClass / (nClasses - 1)) * 300);
  return `hsl(${hue} 70% 45%)`;
}

/** The same hue, pale: the free part of a pool, or a free block. */
function paleColor(sizeClass: number, nClasses: number): string {
  const hue = nClasses <= 1 ? 210 : Math.round((sizeClass / (nClasses - 1)) * 300);
  return `hsl(${hue} 70% 88%)`;
}

/**
 * Text made safe for SVG character data and attribute values. Characters XML
 * 1.0 forbids even as references (most control characters, U+FFFE, U+FFFF,
 * lone surrogates) become U+FFFD.
 */
export function escapeXml(text: string): string {
  let clean = "";
  for (const ch of text.toWellFormed()) {
    const c = ch.charCodeAt(0);
    const forbidden = (c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) || c === 0xfffe || c === 0xffff;
    clean += forbidden ? "\ufffd" : ch;
  }
  return clean.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function hex(address: number): string {
  return `0x${address.toString(16)}`;
}

function checkOptions(blocks: BlockAllocator, options: HeapMapOptions): { detail: "pools" | "blocks"; arena?: Arena } {
  // pymalloc's views (arenas, pools) are what the map draws: any other allocator has none.
  if (asPymalloc(blocks) === undefined) {
    throw new TypeError(`blocks must be a BlockAllocator, got ${blocks === null ? "null" : typeof blocks}`);
  }
  if (typeof options !== "object" || options === null) {
    throw new TypeError(`options must be an object, got ${String(options)}`);
  }
  const { detail = "auto", arena, title, cellSize, hideUncarved, blockType } = options;
  if (blockType !== undefined && typeof blockType !== "function") {
    throw new TypeError(`blockType must be a function, got ${typeof blockType}`);
  }
  if (detail !== "auto" && detail !== "pools" && detail !== "blocks") {
    throw new RangeError(`detail must be "auto", "pools" or "blocks", got ${JSON.stringify(detail)}`);
  }
  if (title !== undefined && typeof title !== "string") {
    throw new TypeError(`title must be a string, got ${typeof title}`);
  }
  if (cellSize !== undefined && !(Number.isInteger(cellSize) && cellSize >= 4 && cellSize <= 64)) {
    throw new RangeError(`cellSize must be an integer from 4 to 64, got ${String(cellSize)}`);
  }
  if (hideUncarved !== undefined && typeof hideUncarved !== "boolean") {
    throw new TypeError(`hideUncarved must be a boolean, got ${String(hideUncarved)}`);
  }
  let chosen: Arena | undefined;
  if (arena !== undefined) {
    chosen = blocks.arena(arena);
    if (chosen === undefined) throw new RangeError(`arena ${String(arena)} is not an allocated arena`);
  }
  const arenas = blocks.arenas();
  if (detail === "blocks" && chosen === undefined) {
    if (arenas.length !== 1) {
      throw new RangeError(`detail "blocks" draws one arena: pass its index as arena (there are ${arenas.length})`);
    }
    chosen = arenas[0];
  }
  if (detail === "auto") {
    if (chosen === undefined && arenas.length === 1) chosen = arenas[0];
    return chosen === undefined ? { detail: "pools" } : { detail: "blocks", arena: chosen };
  }
  return detail === "pools" ? { detail } : { detail, arena: chosen };
}

/**
 * Draws a BlockAllocator's heap as an SVG document (a string).
 *
 * Pools view: one row per arena, in arena-index order, a cell per pool the
 * arena can hold. A pool in use is tinted with its size class's colour and
 * filled from the bottom in proportion to its blocks in use (a full pool is
 * solid); an empty pool (on the arena's `freepools`) is grey; a pool never
 * carved is a dashed outline. Blocks view: one arena, a tile per pool, a
 * square per block. Every pool cell carries `data-` attributes (address,
 * state, size class, blocks in use and capacity) and a tooltip, so a page can
 * make it interactive. With `hideUncarved`, pools never carved are left out
 * (an arena carves its pools from the bottom up, so they are the end of it)
 * and a caption line (`data-uncarved`, the count) says how many.
 *
 * @example
 * ```ts
 * import { createHeap, renderHeapMap } from "pymem";
 *
 * const { blocks } = createHeap({ profile: "cpython-3.11" });
 * for (let i = 0; i < 1000; i++) blocks.malloc(8 + (i % 64) * 8);
 * const svg = renderHeapMap(blocks); // one arena: drawn block by block
 * console.log(svg.startsWith("<svg")); // true
 * ```
 * @throws RangeError for an unknown `detail`, a `cellSize` out of range, or an `arena` that is not allocated
 * @throws TypeError for a `hideUncarved` that is not a boolean
 */
export function renderHeapMap(blocks: BlockAllocator, options: HeapMapOptions = {}): string {
  const { detail, arena } = checkOptions(blocks, options);
  return detail === "blocks" && arena !== undefined
    ? blocksView(blocks, arena, options)
    : poolsView(blocks, options.cellSize ?? 12, options.title, options.hideUncarved === true, options.blockType);
}

interface Totals {
  arenas: number;
  pools: number;
  blocks: number;
  bytes: number;
}

function totals(arenas: Arena[]): Totals {
  let pools = 0;
  let inUse = 0;
  let bytes = 0;
  for (const a of arenas) {
    for (const p of a.pools()) {
      const n = p.blocksInUse;
      if (n === 0) continue;
      pools++;
      inUse += n;
      bytes += n * p.blockSize;
    }
  }
  return { arenas: arenas.length, pools, blocks: inUse, bytes };
}

function headingText(blocks: BlockAllocator, t: Totals, title: string | undefined): string {
  return (
    title ??
    `${blocks.profile.name}: ${t.arenas} arena${t.arenas === 1 ? "" : "s"}, ${t.pools} pools in use, ` +
      `${withCommas(t.blocks)} blocks in use (${withCommas(t.bytes)} bytes)`
  );
}

function heading(text: string): string {
  return `<text x="${MARGIN}" y="${MARGIN + 12}" class="title">${escapeXml(text)}</text>`;
}

/** The line saying how many pools never carved were left out (`hideUncarved`). */
function uncarvedCaption(y: number, n: number): string {
  return (
    `<text x="${MARGIN}" y="${y + 11}" class="caption" data-uncarved="${n}">` +
    `${n} pool${n === 1 ? "" : "s"} never carved, not drawn</text>`
  );
}

function poolTooltip(p: Pool, state: string): string {
  return state === "empty"
    ? `pool ${hex(p.address)}: empty (last class ${p.sizeClass})`
    : `pool ${hex(p.address)}: class ${p.sizeClass} (${p.blockSize}-byte blocks), ${p.blocksInUse} of ${p.capacity} in use`;
}

function poolData(p: Pool, state: string): string {
  return (
    `data-pool="${p.address}" data-state="${state}" data-class="${p.sizeClass}" ` +
    `data-used="${p.blocksInUse}" data-capacity="${p.capacity}"`
  );
}

const STYLE =
  "<style>text{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:11px;fill:#222}" +
  ".title{font-size:13px;font-weight:bold}.unused{fill:none;stroke:#bbb;stroke-dasharray:2 2}" +
  ".empty{fill:#e4e4e4;stroke:#aaa}.v{fill:#fff}.nb{fill:#f2f2f2}.tile{fill:none;stroke:#999}</style>";

/**
 * The keys of the pool states both legends share (empty, and never carved unless those are left out, when the next
 * key takes their place), pushed to `parts`; returns where the legend's last key goes.
 */
function poolStateKeys(parts: string[], y: number, uncarved: boolean): number {
  const h = LEGEND_SWATCH;
  parts.push(
    `<rect x="${MARGIN}" y="${y}" width="${h}" height="${h}" class="empty"/>`,
    `<text x="${MARGIN + h + 4}" y="${y + 11}">empty pool</text>`,
  );
  if (uncarved) {
    parts.push(
      `<rect x="${MARGIN + 110}" y="${y}" width="${h}" height="${h}" class="unused"/>`,
      `<text x="${MARGIN + 110 + h + 4}" y="${y + 11}">never carved</text>`,
    );
  }
  return MARGIN + (uncarved ? 240 : 110);
}

/** The legend: the size classes drawn, then the pool states. Returns the SVG and the y below it. */
function legend(
  nClasses: number,
  alignment: number,
  y: number,
  classes: number[],
  uncarved = true,
): { svg: string; bottom: number } {
  const parts: string[] = [`<text x="${MARGIN}" y="${y + 11}">size classes (bytes per block):</text>`];
  y += LINE;
  let x = MARGIN;
  for (const c of classes) {
    const label = String(blockSizeOf(c, alignment));
    const w = LEGEND_SWATCH + 10 + label.length * 7;
    if (x + w > MARGIN + LEGEND_WIDTH) {
      x = MARGIN;
      y += LINE;
    }
    parts.push(
      `<rect x="${x}" y="${y}" width="${LEGEND_SWATCH}" height="${LEGEND_SWATCH}" fill="${sizeClassColor(c, nClasses)}"/>`,
      `<text x="${x + LEGEND_SWATCH + 4}" y="${y + 11}">${label}</text>`,
    );
    x += w;
  }
  if (classes.length === 0) parts.push(`<text x="${x}" y="${y + 11}">(no pool in use)</text>`);
  y += LINE + 4;
  const h = LEGEND_SWATCH;
  const half = h / 2;
  const x2 = poolStateKeys(parts, y, uncarved);
  parts.push(
    `<rect x="${x2}" y="${y}" width="${h}" height="${h}" fill="${paleColor(0, nClasses)}"/>`,
    `<rect x="${x2}" y="${y + half}" width="${h}" height="${half}" fill="${sizeClassColor(0, nClasses)}"/>`,
    `<text x="${x2 + h + 4}" y="${y + 11}">solid: blocks in use, pale: free</text>`,
  );
  return { svg: `<g class="legend">${parts.join("")}</g>`, bottom: y + LINE };
}

/** The legend of a map coloured by type: a swatch per key, then the pool states. */
function typeLegend(palette: TypePalette, y: number, uncarved: boolean): { svg: string; bottom: number } {
  const parts: string[] = [`<text x="${MARGIN}" y="${y + 11}">types (blocks in use):</text>`];
  y += LINE;
  let x = MARGIN;
  for (const k of palette.keys) {
    const label = `${k.label} ${withCommas(k.blocks)}`;
    const w = LEGEND_SWATCH + 14 + label.length * 7;
    if (x + w > MARGIN + LEGEND_WIDTH) {
      x = MARGIN;
      y += LINE;
    }
    parts.push(
      `<rect x="${x}" y="${y}" width="${LEGEND_SWATCH}" height="${LEGEND_SWATCH}" fill="${k.color}"/>`,
      `<text x="${x + LEGEND_SWATCH + 4}" y="${y + 11}" data-type="${escapeXml(k.label)}">${escapeXml(label)}</text>`,
    );
    x += w;
  }
  if (palette.keys.length === 0) parts.push(`<text x="${x}" y="${y + 11}">(no block in use)</text>`);
  y += LINE + 4;
  const h = LEGEND_SWATCH;
  const x2 = poolStateKeys(parts, y, uncarved);
  parts.push(
    `<rect x="${x2}" y="${y}" width="${h}" height="${h}" fill="${FREE_FILL}"/>`,
    `<text x="${x2 + h + 4}" y="${y + 11}">pale: free blocks; a pool has the colour of most of its blocks</text>`,
  );
  return { svg: `<g class="legend">${parts.join("")}</g>`, bottom: y + LINE };
}

/** The part of a pool, or a block, that is free, on a map coloured by type. */
const FREE_FILL = "#ececec";

/** Per block of a pool, the type of the block in use there (undefined when free, never handed out, or untyped). */
function blockTypes(
  blocks: BlockAllocator,
  p: Pool,
  states: Uint8Array,
  blockType: (address: number) => string | undefined,
): Array<string | undefined> {
  const start = p.address + blocks.profile.poolOverhead;
  const types: Array<string | undefined> = new Array(states.length);
  for (let i = 0; i < states.length; i++) if (states[i] === 2) types[i] = blockType(start + i * p.blockSize);
  return types;
}

/** Types of the pools to draw: the palette over their blocks in use, and each pool's most frequent type. */
function typesOfPools(
  blocks: BlockAllocator,
  pools: Pool[],
  blockType: (address: number) => string | undefined,
): { palette: TypePalette; byPool: Map<number, Array<string | undefined>>; major: Map<number, string | undefined> } {
  const counts = new Map<string | undefined, number>();
  const byPool = new Map<number, Array<string | undefined>>();
  const major = new Map<number, string | undefined>();
  for (const p of pools) {
    const states = blockStates(blocks, p);
    const types = blockTypes(blocks, p, states, blockType);
    byPool.set(p.address, types);
    const here = new Map<string | undefined, number>();
    for (let i = 0; i < types.length; i++) {
      if (states[i] !== 2) continue;
      const t = types[i];
      counts.set(t, (counts.get(t) ?? 0) + 1);
      here.set(t, (here.get(t) ?? 0) + 1);
    }
    let best: string | undefined;
    let most = -1;
    for (const [t, n] of here) {
      if (n > most || (n === most && t !== undefined && (best === undefined || t < best))) {
        best = t;
        most = n;
      }
    }
    major.set(p.address, best);
  }
  return { palette: typePalette(counts), byPool, major };
}

/** The pools of `arenas` with a block in use. */
function poolsInUse(arenas: Arena[]): Pool[] {
  const out: Pool[] = [];
  for (const a of arenas) for (const p of a.pools()) if (p.state !== "empty" && p.blocksInUse > 0) out.push(p);
  return out;
}

/** The SVG document; `label` (the heading) is its accessible name and title. */
function document(width: number, height: number, label: string, body: string[]): string {
  const name = escapeXml(label);
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
    `shape-rendering="crispEdges" role="img" aria-label="${name}"><title>${name}</title>` +
    `${STYLE}<rect width="100%" height="100%" fill="#fff"/>${body.join("")}</svg>\n`
  );
}

/** Every arena a row, every pool a cell. */
function poolsView(
  blocks: BlockAllocator,
  cell: number,
  title: string | undefined,
  hideUncarved: boolean,
  blockType?: (address: number) => string | undefined,
): string {
  const { poolSize, alignment } = blocks.profile;
  const nClasses = sizeClassCount(blocks.profile.smallRequestThreshold, alignment);
  const arenas = blocks.arenas();
  const typed = blockType === undefined ? undefined : typesOfPools(blocks, poolsInUse(arenas), blockType);
  const label = headingText(blocks, totals(arenas), title);
  const body: string[] = [heading(label)];
  const used = new Set<number>();
  let widest = 0;
  let hidden = 0;
  let y = MARGIN + 24;
  for (const a of arenas) {
    const first = a.firstPool;
    const carvedEnd = a.poolAddress;
    // An arena carves its pools from the bottom up: the first nCarvedPools are carved, the rest never were.
    const drawn = hideUncarved ? a.nCarvedPools : a.nTotalPools;
    hidden += a.nTotalPools - drawn;
    widest = Math.max(widest, drawn);
    const left = hideUncarved ? ` data-uncarved="${a.nTotalPools - drawn}"` : "";
    body.push(
      `<g data-arena="${a.index}"${left}><text x="${MARGIN}" y="${y + Math.min(cell, 12) - 1}">#${a.index} ${hex(a.address)}</text>`,
    );
    for (let k = 0; k < drawn; k++) {
      const address = first + k * poolSize;
      const x = MARGIN + LABEL_WIDTH + k * (cell + 1);
      const at = `x="${x}" y="${y}" width="${cell}" height="${cell}"`;
      if (address >= carvedEnd) {
        body.push(`<rect ${at} class="unused"><title>never carved</title></rect>`);
        continue;
      }
      const p = blocks.pool(address) as Pool;
      const state = p.state;
      const tip = `<title>${poolTooltip(p, state)}</title>`;
      if (state === "empty") {
        body.push(`<g ${poolData(p, state)}>${tip}<rect ${at} class="empty"/></g>`);
        continue;
      }
      const c = p.sizeClass;
      used.add(c);
      // At least one pixel for a pool with any block in use, so that no used pool looks empty.
      const h = Math.max(1, Math.round((cell * p.blocksInUse) / p.capacity));
      const major = typed?.major.get(p.address);
      const solid = typed === undefined ? sizeClassColor(c, nClasses) : typed.palette.colorOf(major);
      const typeData = typed === undefined ? "" : ` data-type="${escapeXml(major ?? "")}"`;
      body.push(
        `<g ${poolData(p, state)}${typeData}>${tip}<rect ${at} fill="${typed === undefined ? paleColor(c, nClasses) : FREE_FILL}"/>` +
          `<rect x="${x}" y="${y + cell - h}" width="${cell}" height="${h}" fill="${solid}"/></g>`,
      );
    }
    body.push("</g>");
    y += cell + 2;
  }
  if (arenas.length === 0) {
    body.push(`<text x="${MARGIN}" y="${y + 11}">no arena allocated</text>`);
    y += LINE;
  } else if (hideUncarved) {
    body.push(uncarvedCaption(y + 4, hidden));
    y += LINE + 4;
  }
  const key =
    typed === undefined
      ? legend(
          nClasses,
          alignment,
          y + 10,
          [...used].sort((a, b) => a - b),
          !hideUncarved,
        )
      : typeLegend(typed.palette, y + 10, !hideUncarved);
  body.push(key.svg);
  const width = Math.max(MARGIN * 2 + LABEL_WIDTH + widest * (cell + 1), MARGIN * 2 + LEGEND_WIDTH);
  return document(width, key.bottom + MARGIN, label, body);
}

/** Per block of a carved, non-empty pool: 2 in use, 1 on the free list, 0 never handed out. */
function blockStates(blocks: BlockAllocator, p: Pool): Uint8Array {
  const { poolOverhead } = blocks.profile;
  const size = p.blockSize;
  const states = new Uint8Array(p.capacity);
  const handedOut = Math.min(p.capacity, Math.max(0, (p.nextOffset - poolOverhead) / size));
  states.fill(2, 0, handedOut);
  for (const b of p.freeList()) {
    const i = (b - p.address - poolOverhead) / size;
    if (Number.isInteger(i) && i >= 0 && i < states.length) states[i] = 1;
  }
  return states;
}

/** One arena, every pool a tile of its blocks. */
function blocksView(blocks: BlockAllocator, arena: Arena, options: HeapMapOptions): string {
  const { poolSize, alignment } = blocks.profile;
  const nClasses = sizeClassCount(blocks.profile.smallRequestThreshold, alignment);
  const label = headingText(blocks, totals([arena]), options.title ?? arenaTitle(blocks, arena));
  const hideUncarved = options.hideUncarved === true;
  const n = hideUncarved ? arena.nCarvedPools : arena.nTotalPools;
  const left = hideUncarved ? ` data-uncarved="${arena.nTotalPools - n}"` : "";
  const body: string[] = [heading(label), `<g data-arena="${arena.index}"${left}>`];
  const used = new Set<number>();
  const top = MARGIN + 24;
  const typed =
    options.blockType === undefined ? undefined : typesOfPools(blocks, poolsInUse([arena]), options.blockType);
  for (let k = 0; k < n; k++) {
    const address = arena.firstPool + k * poolSize;
    const x = MARGIN + (k % TILE_COLUMNS) * (TILE + 8);
    const y = top + Math.floor(k / TILE_COLUMNS) * (TILE + TILE_HEADER + 8);
    const box = `x="${x}" y="${y + TILE_HEADER}" width="${TILE}" height="${TILE}"`;
    if (address >= arena.poolAddress) {
      body.push(`<text x="${x}" y="${y + 10}">never carved</text><rect ${box} class="unused"/>`);
      continue;
    }
    const p = blocks.pool(address) as Pool;
    const state = p.state;
    const tip = `<title>${poolTooltip(p, state)}</title>`;
    if (state === "empty") {
      body.push(
        `<g ${poolData(p, state)}>${tip}<text x="${x}" y="${y + 10}">empty</text><rect ${box} class="empty"/></g>`,
      );
      continue;
    }
    const c = p.sizeClass;
    used.add(c);
    const states = blockStates(blocks, p);
    // A square grid of blocks, as square as the count allows; runs of one state along a row are one rect.
    const cols = Math.ceil(Math.sqrt(states.length));
    // Whole pixels, so that rows of blocks meet without seams.
    const side = Math.max(1, Math.floor(TILE / cols));
    const runs: string[] = [];
    const types = typed?.byPool.get(p.address);
    for (let row = 0; row * cols < states.length; row++) {
      const end = Math.min(states.length, (row + 1) * cols);
      for (let i = row * cols; i < end; ) {
        let j = i + 1;
        while (j < end && states[j] === states[i] && (types === undefined || types[j] === types[i])) j++;
        const cls = states[i] === 2 ? "u" : states[i] === 1 ? "f" : "v";
        let fill = states[i] === 1 ? ` fill="${paleColor(c, nClasses)}"` : "";
        if (typed !== undefined && states[i] === 1) fill = ` fill="${FREE_FILL}"`;
        if (typed !== undefined && states[i] === 2) fill = ` fill="${typed.palette.colorOf(types?.[i])}"`;
        runs.push(
          `<rect class="${cls}" x="${x + (i - row * cols) * side}" y="${y + TILE_HEADER + row * side}" ` +
            `width="${(j - i) * side}" height="${side}"${fill}/>`,
        );
        i = j;
      }
    }
    body.push(
      `<g ${poolData(p, state)} data-side="${side}" fill="${sizeClassColor(c, nClasses)}">${tip}` +
        `<text x="${x}" y="${y + 10}">${p.blockSize} B ${p.blocksInUse}/${p.capacity}</text>` +
        `<rect ${box} class="nb"/>${runs.join("")}<rect ${box} class="tile"/></g>`,
    );
  }
  body.push("</g>");
  const rows = Math.ceil(n / TILE_COLUMNS);
  let y = top + rows * (TILE + TILE_HEADER + 8);
  if (hideUncarved) {
    body.push(uncarvedCaption(y, arena.nTotalPools - n));
    y += LINE;
  }
  const key =
    typed === undefined
      ? legend(
          nClasses,
          alignment,
          y + 4,
          [...used].sort((a, b) => a - b),
          !hideUncarved,
        )
      : typeLegend(typed.palette, y + 4, !hideUncarved);
  body.push(key.svg);
  const width = Math.max(MARGIN * 2 + TILE_COLUMNS * (TILE + 8), MARGIN * 2 + LEGEND_WIDTH);
  return document(width, key.bottom + MARGIN, label, body);
}

function arenaTitle(blocks: BlockAllocator, arena: Arena): string {
  const t = totals([arena]);
  return (
    `${blocks.profile.name}: arena #${arena.index} at ${hex(arena.address)}, ${arena.nCarvedPools} of ` +
    `${arena.nTotalPools} pools carved, ${withCommas(t.blocks)} blocks in use (${withCommas(t.bytes)} bytes)`
  );
}

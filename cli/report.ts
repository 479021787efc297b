/**
 * The HTML report of `pymem replay --html` and `pymem compare --html`: one
 * self-contained file (uPlot's script and styles inlined, the data as JSON,
 * the pictures as SVG) that opens offline. Node only: it reads uPlot from
 * node_modules.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { escapeXml, withCommas } from "pymem";
import type { JobResult, ReportData } from "./job.js";

const require = createRequire(import.meta.url);

/** uPlot's script and stylesheet, to inline. */
function uplot(): { js: string; css: string } {
  return {
    js: readFileSync(require.resolve("uplot/dist/uPlot.iife.min.js"), "utf8"),
    css: readFileSync(require.resolve("uplot/dist/uPlot.min.css"), "utf8"),
  };
}

/** A run of the report: a job's result with its report data. */
type Run = JobResult & { report: ReportData };

/** How an axis writes its numbers: counts in thousands (250k, 1.5M) or bytes in powers of 1024 (512 KiB, 1.5 MiB). */
export type TickUnit = "count" | "bytes";

/** Ticks of an axis: where they are, and what they say. */
export interface Ticks {
  values: number[];
  labels: string[];
}

// compactNumber to bucketLabel are also the page's own (see pageHelpers): each refers to no import, only to
// the others, so their source runs as it is in the browser.

/**
 * `v` in few characters: a count as 0, 950, 1k, 250k, 1.5M, 12M; bytes as 0 B, 512 B, 1.25 KiB, 16 MiB. As many
 * decimals as `v` needs, up to three (rounded there), so ticks a step apart read apart ({@link chooseTicks} checks).
 */
export function compactNumber(v: number, unit: TickUnit): string {
  const base = unit === "bytes" ? 1024 : 1000;
  const suffixes = unit === "bytes" ? [" B", " KiB", " MiB", " GiB", " TiB"] : ["", "k", "M", "G", "T"];
  const a = Math.abs(v);
  let e = 0;
  while (e < suffixes.length - 1 && a >= base ** (e + 1)) e++;
  const x = a / base ** e;
  let d = 0;
  while (d < 3 && Math.abs(Math.round(x * 10 ** d) - x * 10 ** d) > 1e-6) d++;
  const digits = x
    .toFixed(d)
    .replace(/(\.\d*?)0+$/, "$1")
    .replace(/\.$/, "");
  return `${v < 0 && digits !== "0" ? "-" : ""}${digits}${suffixes[e]}`;
}

/** The labels of ticks at `values`, each {@link compactNumber}. */
export function tickLabels(values: number[], unit: TickUnit): string[] {
  return values.map((v) => compactNumber(v, unit));
}

/**
 * The steps an axis over `span` may take, smallest first, all whole numbers: 1, 2, 5, 10, 20, 25, 50, ... for
 * counts, powers of two for bytes; the last is larger than `span`, so it leaves one tick at most.
 */
export function tickSteps(unit: TickUnit, span: number): number[] {
  const steps: number[] = [];
  if (unit === "bytes") {
    for (let s = 1; ; s *= 2) {
      steps.push(s);
      if (s > span) return steps;
    }
  }
  for (let p = 1; ; p *= 10) {
    for (const m of [1, 2, 2.5, 5]) {
      const s = m * p;
      if (!Number.isInteger(s)) continue;
      steps.push(s);
      if (s > span) return steps;
    }
  }
}

/**
 * The densest ticks over [min, max], on an axis `lengthPx` long, whose labels neither touch nor repeat: the
 * first of `steps` at which every label's extent along the axis (`extent(label)`, in px) plus `gap` fits
 * between two ticks and no two labels read alike. A label is centred on its tick, so a tick `extent + gap`
 * from the next keeps the two apart whatever their widths. With no step fitting, the largest step's ticks, or
 * where that leaves none, the roundest number in range alone.
 */
export function chooseTicks(
  min: number,
  max: number,
  lengthPx: number,
  steps: number[],
  format: (values: number[]) => string[],
  extent: (label: string) => number,
  gap: number,
): Ticks {
  let last: Ticks = { values: [], labels: [] };
  const span = max - min;
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i] as number;
    const spacing = span > 0 ? (lengthPx * step) / span : Number.POSITIVE_INFINITY;
    if (spacing < Math.max(1, gap) && i < steps.length - 1) continue;
    const values: number[] = [];
    for (let k = firstMultiple(min, step); k * step <= max + 1e-9 * step; k++) values.push(k * step);
    const labels = format(values);
    last = { values, labels };
    let widest = 0;
    for (const l of labels) widest = Math.max(widest, extent(l));
    if (values.length > 0 && widest + gap <= spacing && new Set(labels).size === labels.length) return last;
  }
  if (last.values.length > 0) return last;
  // No multiple of the largest step in range: the roundest number there is, alone.
  for (let i = steps.length - 1; i >= 0; i--) {
    const step = steps[i] as number;
    const v = firstMultiple(min, step) * step;
    if (v <= max + 1e-9 * step) return { values: [v], labels: format([v]) };
  }
  return last;
}

/**
 * The index of the first multiple of `step` at or above `min`: rounding
 * forgiven (0.3 / 0.1), but never a multiple below `min` by more than
 * rounding (0 for an axis starting at 1 with a step of 10^9).
 */
function firstMultiple(min: number, step: number): number {
  let k = Math.ceil(min / step - 1e-9);
  while (k * step < min - 1e-9 * Math.abs(min)) k++;
  return k;
}

/** {@link chooseTicks} with {@link tickSteps} and {@link tickLabels}: the ticks of a numeric axis. */
export function axisTicks(
  min: number,
  max: number,
  lengthPx: number,
  unit: TickUnit,
  extent: (label: string) => number,
  gap: number,
): Ticks {
  return chooseTicks(min, max, lengthPx, tickSteps(unit, max - min), (v) => tickLabels(v, unit), extent, gap);
}

/** A bucket of the request-size histogram, short: a size class's block size as it is, `≤1048576` as `≤1 MiB`. */
export function bucketLabel(label: string): string {
  const m = /^≤(\d+)$/.exec(label);
  return m === null ? label : `≤${compactNumber(Number(m[1]), "bytes")}`;
}

/** The helpers above and withCommas, as the source of the page's `H` object (with their names, whatever the bundler made of them). */
function pageHelpers(): string {
  const fns = { compactNumber, tickLabels, tickSteps, firstMultiple, chooseTicks, axisTicks, bucketLabel, withCommas };
  return `${Object.values(fns)
    .map((f) => f.toString())
    .join("\n")}\nconst H = {${Object.entries(fns)
    .map(([k, f]) => `${k}: ${f.name}`)
    .join(", ")}};`;
}

/** Colour of a heat-map cell: white for an empty arena, deep blue for a full one, grey where no arena is. */
export function useColor(use: number): string {
  if (use < 0) return "#eeeeee";
  const u = Math.min(1, Math.max(0, use));
  return `hsl(215 80% ${Math.round(96 - u * 60)}%)`;
}

/** Width of a monospace character of the heat map's 10px font, in px (0.6 em, a little over). */
const HEAT_CHAR = 6.5;
const heatWidth = (s: string) => s.length * HEAT_CHAR;

/**
 * Per arena slot (rows) over the replay (columns): the share of the arena's bytes in blocks in use. The ops
 * axis under it and the slots beside it are labelled as densely as their labels allow, no denser.
 */
export function arenaUseSvg(data: ReportData["arenaUse"], totalOps: number): string {
  const slots = Math.max(0, ...data.rows.map((r) => r.length));
  const cols = data.ops.length;
  const open = (width: number, height: number) =>
    `<svg xmlns="http://www.w3.org/2000/svg" class="heat" width="${width}" height="${height}" ` +
    `shape-rendering="crispEdges" font-family="monospace" font-size="10">`;
  if (cols === 0 || slots === 0) {
    const why =
      cols === 0
        ? `no sample: ${withCommas(totalOps)} ops are fewer than one sampling interval`
        : "no arena was allocated";
    return `${open(Math.ceil(heatWidth(why)) + 20, 24)}<text x="4" y="15">${escapeXml(why)}</text></svg>`;
  }
  const cw = Math.max(1, Math.min(8, Math.floor(900 / cols)));
  const rh = Math.max(3, Math.min(14, Math.floor(300 / slots)));
  const left = 70;
  const top = 8;
  const plotW = cols * cw;
  const plotH = slots * rh;
  const parts: string[] = [];
  // Slot labels: every one that has room (a line of text, 2px apart).
  const slotTicks = chooseTicks(
    0,
    slots - 1,
    (slots - 1) * rh,
    tickSteps("count", slots),
    (v) => v.map((s) => `#${s}`),
    () => 10,
    2,
  );
  for (const s of slotTicks.values) {
    parts.push(`<text x="${left - 6}" y="${top + s * rh + rh / 2 + 3.5}" text-anchor="end">#${s}</text>`);
  }
  for (let s = 0; s < slots; s++) {
    // Runs of equal colour along a row are one rect.
    for (let c = 0; c < cols; ) {
      const color = useColor(data.rows[c]?.[s] ?? -1);
      let d = c + 1;
      while (d < cols && useColor(data.rows[d]?.[s] ?? -1) === color) d++;
      parts.push(
        `<rect x="${left + c * cw}" y="${top + s * rh}" width="${(d - c) * cw}" height="${rh}" fill="${color}"/>`,
      );
      c = d;
    }
  }
  // The ops axis: column c covers the ops after the previous sample up to data.ops[c].
  const lastOp = data.ops[cols - 1] as number;
  const xOf = (op: number) => {
    let c = 0;
    while (c < cols - 1 && (data.ops[c] as number) < op) c++;
    const from = c === 0 ? 0 : (data.ops[c - 1] as number);
    const to = data.ops[c] as number;
    return left + (c + (to > from ? Math.min(1, Math.max(0, (op - from) / (to - from))) : 1)) * cw;
  };
  const axisY = top + plotH;
  const opTicks = axisTicks(0, lastOp, plotW, "count", heatWidth, 10);
  parts.push(`<line x1="${left}" y1="${axisY + 0.5}" x2="${left + plotW}" y2="${axisY + 0.5}" stroke="#888"/>`);
  opTicks.values.forEach((op, i) => {
    const x = Math.round(xOf(op)) + 0.5;
    parts.push(
      `<line x1="${x}" y1="${axisY}" x2="${x}" y2="${axisY + 4}" stroke="#888"/>`,
      `<text x="${x}" y="${axisY + 14}" text-anchor="middle">${escapeXml(opTicks.labels[i] as string)}</text>`,
    );
  });
  const captionY = axisY + 28;
  parts.push(`<text x="${left}" y="${captionY}">ops replayed (${withCommas(totalOps)} in all)</text>`);
  // The legend, on a line of its own.
  const legendY = captionY + 10;
  const intro = "in blocks in use:";
  let x = left + heatWidth(intro) + 8;
  parts.push(`<text x="${left}" y="${legendY + 9}">${intro}</text>`);
  for (const u of [0, 0.25, 0.5, 0.75, 1]) {
    parts.push(
      `<rect x="${x}" y="${legendY}" width="40" height="10" fill="${useColor(u)}" stroke="#ccc"/>`,
      `<text x="${x}" y="${legendY + 22}">${u * 100}%</text>`,
    );
    x += 40;
  }
  x += 12;
  parts.push(
    `<rect x="${x}" y="${legendY}" width="20" height="10" fill="${useColor(-1)}"/>`,
    `<text x="${x + 25}" y="${legendY + 9}">no arena</text>`,
  );
  const legendRight = x + 25 + heatWidth("no arena");
  const lastLabel = opTicks.labels.at(-1) ?? "";
  const width = Math.ceil(Math.max(legendRight, left + plotW + heatWidth(lastLabel) / 2) + 10);
  const height = legendY + 28;
  return `${open(width, height)}${parts.join("")}</svg>`;
}

function table(rows: Array<[string, string]>): string {
  return `<table>${rows.map(([k, v]) => `<tr><th>${escapeXml(k)}</th><td>${escapeXml(v)}</td></tr>`).join("")}</table>`;
}

/** An integer with thousands separators; a number with a fraction as it is. */
const num = (v: number | undefined): string => (Number.isInteger(v ?? 0) ? withCommas(v ?? 0) : String(v));

function summaryRows(r: Run): Array<[string, string]> {
  const s = r.summary;
  const p = r.atPeak;
  return [
    ["trace", r.trace],
    ["profile", r.profile],
    [
      "ops",
      `${num(s.ops)} (malloc ${num(s.mallocs)}, calloc ${num(s.callocs)}, realloc ${num(s.reallocs)}, free ${num(s.frees)})`,
    ],
    ["peak live", `${num(s.peakLiveBlocks)} blocks, ${num(s.peakLiveBytes)} requested bytes`],
    ["arenas high-water", num(s.arenasHighwater)],
    ["peak raw bytes", num(s.peakRawBytes)],
    [
      "lost at that peak",
      `quantization ${num(p.quantizationBytes)}, pool headers ${num(p.poolHeaderBytes)}, arena alignment ${num(p.arenaAlignmentBytes)} bytes`,
    ],
  ];
}

function profileRows(r: Run): Array<[string, string]> {
  return Object.entries(r.report.profile).map(([k, v]) => [
    k,
    typeof v === "number" ? num(v) : typeof v === "object" ? JSON.stringify(v) : String(v),
  ]);
}

/** Lines drawn in the chart of bytes by type: the types with most bytes at the peak; the rest are summed. */
const TYPE_LINES = 10;

/** One trace's chart of bytes by type: x, then a column per line. */
export function typeChart(
  trace: string,
  t: NonNullable<ReportData["types"]>,
): { trace: string; labels: string[]; columns: number[][] } {
  const top = t.peak.types.slice(0, TYPE_LINES).map((u) => t.names.indexOf(u.type));
  const x = t.series.map((p) => p.op);
  const columns = top.map((k) => t.series.map((p) => p.bytes[k] ?? 0));
  const labels = top.map((k) => t.names[k] as string);
  const others = t.series.map((p) => p.bytes.reduce((a, b, k) => (top.includes(k) ? a : a + b), 0));
  if (others.some((v) => v > 0)) {
    columns.push(others);
    labels.push("other types");
  }
  columns.push(t.series.map((p) => p.untypedBytes));
  labels.push("untyped");
  return { trace, labels, columns: [x, ...columns] };
}

function typeTable(t: NonNullable<ReportData["types"]>["peak"]): string {
  const rows = t.types
    .slice(0, 15)
    .map(
      (u) =>
        `<tr><td>${escapeXml(u.type)}</td><td>${withCommas(u.objects)}</td><td>${withCommas(u.objectBytes)}</td>` +
        `<td>${withCommas(u.parts)}</td><td>${withCommas(u.partBytes)}</td><td>${withCommas(u.bytes)}</td></tr>`,
    );
  rows.push(
    `<tr><td>(untyped blocks)</td><td>${withCommas(t.untypedBlocks)}</td><td>${withCommas(t.untypedBytes)}</td>` +
      `<td></td><td></td><td>${withCommas(t.untypedBytes)}</td></tr>`,
  );
  return (
    `<p class="note">At the peak (after op ${withCommas(t.op)}): ${withCommas(t.liveBlocks)} live blocks, ` +
    `${withCommas(t.liveBytes)} bytes; the 15 types with most bytes.</p>` +
    `<table><tr><th>type</th><th>objects</th><th>object bytes</th><th>owned blocks</th><th>owned bytes</th><th>bytes</th></tr>${rows.join("")}</table>`
  );
}

/** Bytes by type: the chart (drawn by the page), the table at the peak and the heap map coloured by type. */
function typeSection(typed: Run[], perRun: (f: (r: Run) => string) => string): string {
  return `<h2>Bytes by Python type</h2>
<p class="note">From the trace's type annotations (pymem record names each block after the type of the object it holds or belongs to): the same under every profile. A type's bytes are its objects' blocks and the blocks they own (a list's items, a dict's keys and values).</p>
<div id="types"></div>
${typed.map((r) => typeTable((r.report.types as NonNullable<ReportData["types"]>).peak)).join("")}
<h3>Heap map at the end, by type</h3>
${perRun((r) => r.report.heapMapByType ?? "")}`;
}

/** JSON safe inside a script element. */
function scriptJson(v: unknown): string {
  return JSON.stringify(v).replace(/</g, "\\u003c");
}

const STYLE = `
body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#1d1d1f;max-width:1400px}
h1{font-size:22px}h2{font-size:17px;margin-top:32px;border-bottom:1px solid #ddd;padding-bottom:4px}
h3{font-size:14px;margin:12px 0 4px}
table{border-collapse:collapse;margin:6px 0}th,td{padding:2px 10px;text-align:left;vertical-align:top}
th{color:#555;font-weight:600}td{font-family:ui-monospace,monospace;font-size:12px}
pre{font-size:11px;background:#f7f7f7;padding:8px;overflow:auto;max-height:420px}
.runs{display:grid;grid-template-columns:repeat(auto-fit,minmax(520px,1fr));gap:20px}
.run{overflow:auto}.chart{margin:8px 0 18px}.note{color:#666;font-size:12px}
`;

// The page's own script: the charts, drawn by uPlot from the embedded data, after pageHelpers()' `H`.
// Every axis picks its own ticks (H.axisTicks, H.chooseTicks) from its length and its labels' widths,
// measured in the font it draws them in; every number in a legend has thousands separators.
const PAGE_SCRIPT = `
const D = JSON.parse(document.getElementById("pymem-data").textContent);
const COLORS = ["#1f77b4","#d62728","#2ca02c","#ff7f0e","#9467bd","#8c564b","#e377c2","#17becf","#7f7f7f","#bcbd22"];
const width = () => Math.max(480, Math.min(1100, document.body.clientWidth - 40));
const FONT = '12px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
const LINE = 14, GAP = 12;
const ruler = document.createElement("canvas").getContext("2d");
ruler.font = FONT;
const textWidth = (s) => ruler.measureText(s).width;
const commas = (u, v) => v == null ? "-" : H.withCommas(Math.round(v));
function tickAxis(ticks, opts) {
  let dim = 0;
  return Object.assign({ font: FONT,
    space: (u, i, min, max, d) => { dim = d; return GAP; },
    splits: (u, i, min, max) => ticks(min, max, dim).values }, opts);
}
function numAxis(unit, horizontal, opts) {
  const extent = horizontal ? textWidth : () => LINE;
  return tickAxis((min, max, dim) => H.axisTicks(min, max, dim, unit, extent, GAP), Object.assign({
    values: (u, splits) => H.tickLabels(splits, unit),
  }, horizontal ? {} : { size: (u, values) => values == null ? 50 : Math.ceil(Math.max(16, ...values.map(textWidth))) + 20 }, opts));
}
function lines(el, title, tables, labels, unit) {
  const data = tables.length === 1 ? tables[0] : uPlot.join(tables);
  const series = [{ label: "op", value: commas }].concat(labels.map((l, i) => ({ label: l, stroke: COLORS[i % COLORS.length], width: 1.5, spanGaps: true, value: commas })));
  // From op 0 to the last op: uPlot would widen a lone sample's axis past the replay's end.
  const last = Math.max(1, ...data[0]);
  new uPlot({ title, width: width(), height: 260, series,
    scales: { x: { time: false, range: () => [0, last] } },
    axes: [numAxis("count", true, { label: "ops replayed" }), numAxis(unit, false)] }, data, el);
}
function chartEl(parent) { const d = document.createElement("div"); d.className = "chart"; parent.appendChild(d); return d; }
const byteMetrics = [["liveBytes", "bytes requested by live blocks"], ["blockBytes", "bytes in pool blocks in use"], ["rawBytes", "bytes held from the RawAllocator"]];
const over = document.getElementById("over-time");
if (D.runs.length === 1) {
  const s = D.runs[0].series; const x = s.map(p => p.op);
  lines(chartEl(over), "Memory over the replay", [[x].concat(byteMetrics.map(([k]) => s.map(p => p[k])))], byteMetrics.map(m => m[1]), "bytes");
  lines(chartEl(over), "Arenas allocated", [[x, s.map(p => p.arenas)]], ["arenas"], "count");
} else {
  for (const [k, title] of byteMetrics.concat([["arenas", "arenas allocated"]])) {
    lines(chartEl(over), title[0].toUpperCase() + title.slice(1), D.runs.map(r => [r.series.map(p => p.op), r.series.map(p => p[k])]), D.runs.map(r => r.name), k === "arenas" ? "count" : "bytes");
  }
}
const pools = document.getElementById("pools");
for (const r of D.runs) {
  const s = r.series; const x = s.map(p => p.op);
  const classes = []; const n = Math.max(0, ...s.map(p => p.poolsPerClass.length));
  for (let c = 0; c < n; c++) if (s.some(p => p.poolsPerClass[c] > 0)) classes.push(c);
  lines(chartEl(pools), "Pools in use per size class" + (D.runs.length > 1 ? ": " + r.name : ""), [[x].concat(classes.map(c => s.map(p => p.poolsPerClass[c] || 0)))], classes.map(c => (c + 1) * r.alignment + " B"), "count");
}
const types = document.getElementById("types");
for (const t of D.types) lines(chartEl(types), "Bytes by type over the replay" + (D.types.length > 1 ? ": " + t.trace : ""), [t.columns], t.labels, "bytes");
const hist = document.getElementById("sizes");
for (const h of D.sizes) {
  const xs = h.counts.map((_, i) => i);
  const short = h.labels.map(H.bucketLabel);
  const full = h.labels.map(l => (l.startsWith("≤") ? "≤" + H.withCommas(Number(l.slice(1))) : l) + " B");
  // Labels at 45°: two of them stay apart when their ticks are a line's height times √2 apart.
  const bucketTicks = (min, max, dim) => H.chooseTicks(min, max, dim, H.tickSteps("count", max - min), v => v.map(i => short[i] ?? ""), () => LINE * Math.SQRT2, 4);
  new uPlot({ title: "Blocks handed out, by requested size: " + h.trace, width: width(), height: 260,
    scales: { x: { time: false, range: () => [-0.5, xs.length - 0.5] } },
    series: [{ label: "bucket", value: (u, i) => i == null ? "-" : full[i] ?? "" }, { label: "requests", fill: "#1f77b455", stroke: "#1f77b4", paths: uPlot.paths.bars({ size: [0.8, 30] }), points: { show: false }, value: commas }],
    axes: [tickAxis(bucketTicks, { values: (u, splits) => splits.map(i => short[i] ?? ""), rotate: 45,
        size: (u, values) => values == null ? 60 : Math.ceil((Math.max(0, ...values.map(textWidth)) + LINE) * Math.SQRT1_2) + 16,
        label: "bytes requested (size class, then power of two)" }),
      numAxis("count", false)] }, [xs, h.counts], chartEl(hist));
}
`;

/** The report for one replay (`replay --html`) or several (`compare --html`), as one HTML document. */
export function htmlReport(results: JobResult[], title: string): string {
  const runs = results.filter((r): r is Run => r.report !== undefined);
  if (runs.length === 0) throw new Error("no report data: run the jobs with report: true");
  const lib = uplot();
  const name = (r: Run) =>
    runs.length > 1 && new Set(runs.map((x) => x.trace)).size > 1 ? `${r.trace} · ${r.profile}` : r.profile;
  const traces = [...new Map(runs.map((r) => [r.trace, r])).values()];
  const typed = traces.filter((r) => r.report.types !== undefined);
  const data = {
    runs: runs.map((r) => ({ name: name(r), series: r.report.series, alignment: r.report.profile.alignment })),
    sizes: traces.map((r) => ({ trace: r.trace, labels: r.report.sizes.labels, counts: r.report.sizes.counts })),
    types: typed.map((r) => typeChart(r.trace, r.report.types as NonNullable<ReportData["types"]>)),
  };
  const perRun = (f: (r: Run) => string) =>
    `<div class="runs">${runs.map((r) => `<div class="run"><h3>${escapeXml(name(r))}</h3>${f(r)}</div>`).join("")}</div>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeXml(title)}</title>
<style>${lib.css}${STYLE}</style></head>
<body>
<h1>${escapeXml(title)}</h1>
<p class="note">Written by pymem: CPython's memory manager, simulated. Everything here is in this file; it needs no network.</p>
<h2>Summary</h2>
${perRun((r) => table(summaryRows(r)))}
<h2>Over the replay</h2>
<div id="over-time"></div>
<p class="note">The cyclic gc is not shown: allocation traces record calls to the allocator, not objects.</p>
<h2>Pools per size class</h2>
<div id="pools"></div>
<h2>Request sizes</h2>
<div id="sizes"></div>
<h2>Arena use over the replay</h2>
<p class="note">Each row an arena slot (CPython's arena objects), each column a moment: the share of the arena's bytes in blocks in use. Pale cells are arenas held for little: fragmentation.</p>
${perRun((r) => arenaUseSvg(r.report.arenaUse, r.summary.ops))}
<h2>Heap map at the end</h2>
${perRun((r) => r.report.heapMap)}
${typed.length === 0 ? "" : typeSection(typed, perRun)}
<h2>_PyObject_DebugMallocStats at the end</h2>
${perRun((r) => `<pre>${escapeXml(r.finalStats)}</pre>`)}
<h2>Profile</h2>
${perRun((r) => table(profileRows(r)))}
<script type="application/json" id="pymem-data">${scriptJson(data)}</script>
<script>${lib.js}</script>
<script>${pageHelpers()}
${PAGE_SCRIPT}</script>
</body></html>
`;
}

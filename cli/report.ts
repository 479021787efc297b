/**
 * The HTML report of `pymem replay --html` and `pymem compare --html`: one
 * self-contained file (uPlot's script and styles inlined, the data as JSON,
 * the pictures as SVG) that opens offline. Node only: it reads uPlot from
 * node_modules.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { escapeXml } from "../src/view/heap-map.js";
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

/** Colour of a heat-map cell: white for an empty arena, deep blue for a full one, grey where no arena is. */
export function useColor(use: number): string {
  if (use < 0) return "#eeeeee";
  const u = Math.min(1, Math.max(0, use));
  return `hsl(215 80% ${Math.round(96 - u * 60)}%)`;
}

/** Per arena slot (rows) over the replay (columns): the share of the arena's bytes in blocks in use. */
export function arenaUseSvg(data: ReportData["arenaUse"], totalOps: number): string {
  const slots = Math.max(0, ...data.rows.map((r) => r.length));
  const cols = data.ops.length;
  const cw = Math.max(1, Math.min(8, Math.floor(900 / Math.max(1, cols))));
  const rh = Math.max(3, Math.min(14, Math.floor(300 / Math.max(1, slots))));
  const left = 70;
  const top = 8;
  const width = left + cols * cw + 10;
  const height = top + slots * rh + 58;
  const cells: string[] = [];
  for (let s = 0; s < slots; s++) {
    cells.push(`<text x="${left - 6}" y="${top + s * rh + rh - 1}" text-anchor="end">#${s}</text>`);
    // Runs of equal colour along a row are one rect.
    for (let c = 0; c < cols; ) {
      const color = useColor(data.rows[c]?.[s] ?? -1);
      let d = c + 1;
      while (d < cols && useColor(data.rows[d]?.[s] ?? -1) === color) d++;
      cells.push(
        `<rect x="${left + c * cw}" y="${top + s * rh}" width="${(d - c) * cw}" height="${rh}" fill="${color}"/>`,
      );
      c = d;
    }
  }
  const axis = top + slots * rh + 14;
  const legend = [0, 0.25, 0.5, 0.75, 1]
    .map(
      (u, i) =>
        `<rect x="${left + 260 + i * 40}" y="${axis + 14}" width="40" height="10" fill="${useColor(u)}"/>` +
        `<text x="${left + 260 + i * 40}" y="${axis + 36}">${u * 100}%</text>`,
    )
    .join("");
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" class="heat" width="${width}" height="${height}" ` +
    `shape-rendering="crispEdges" font-family="monospace" font-size="10">${cells.join("")}` +
    `<text x="${left}" y="${axis}">op 0</text><text x="${left + cols * cw}" y="${axis}" text-anchor="end">` +
    `op ${totalOps}</text><text x="${left}" y="${axis + 23}">in blocks in use:</text>${legend}` +
    `<rect x="${left + 470}" y="${axis + 14}" width="20" height="10" fill="${useColor(-1)}"/>` +
    `<text x="${left + 495}" y="${axis + 23}">no arena</text></svg>`
  );
}

function table(rows: Array<[string, string]>): string {
  return `<table>${rows.map(([k, v]) => `<tr><th>${escapeXml(k)}</th><td>${escapeXml(v)}</td></tr>`).join("")}</table>`;
}

function summaryRows(r: Run): Array<[string, string]> {
  const s = r.summary;
  return [
    ["trace", r.trace],
    ["profile", r.profile],
    ["ops", `${s.ops} (malloc ${s.mallocs}, calloc ${s.callocs}, realloc ${s.reallocs}, free ${s.frees})`],
    ["peak live", `${s.peakLiveBlocks} blocks, ${s.peakLiveBytes} requested bytes`],
    ["arenas high-water", String(s.arenasHighwater ?? 0)],
    ["peak raw bytes", String(s.peakRawBytes ?? 0)],
    [
      "lost at that peak",
      `quantization ${r.atPeak.quantizationBytes}, pool headers ${r.atPeak.poolHeaderBytes}, arena alignment ${r.atPeak.arenaAlignmentBytes} bytes`,
    ],
  ];
}

function profileRows(r: Run): Array<[string, string]> {
  return Object.entries(r.report.profile).map(([k, v]) => [k, typeof v === "object" ? JSON.stringify(v) : String(v)]);
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

// The page's own script: the charts, drawn by uPlot from the embedded data.
const PAGE_SCRIPT = `
const D = JSON.parse(document.getElementById("pymem-data").textContent);
const COLORS = ["#1f77b4","#d62728","#2ca02c","#ff7f0e","#9467bd","#8c564b","#e377c2","#17becf","#7f7f7f","#bcbd22"];
const width = () => Math.max(480, Math.min(1100, document.body.clientWidth - 40));
const bytes = (u, vals) => vals.map(v => v == null ? "" : v >= 1048576 ? (v / 1048576).toFixed(1) + " MiB" : v >= 1024 ? (v / 1024).toFixed(0) + " KiB" : String(v));
function lines(el, title, tables, labels, yValues) {
  const data = tables.length === 1 ? tables[0] : uPlot.join(tables);
  const series = [{ label: "op" }].concat(labels.map((l, i) => ({ label: l, stroke: COLORS[i % COLORS.length], width: 1.5, spanGaps: true })));
  new uPlot({ title, width: width(), height: 260, scales: { x: { time: false } }, series,
    axes: [{ label: "ops replayed" }, { size: 80, values: yValues }] }, data, el);
}
function chartEl(parent) { const d = document.createElement("div"); d.className = "chart"; parent.appendChild(d); return d; }
const byteMetrics = [["liveBytes", "bytes requested by live blocks"], ["blockBytes", "bytes in pool blocks in use"], ["rawBytes", "bytes held from the RawAllocator"]];
const over = document.getElementById("over-time");
if (D.runs.length === 1) {
  const s = D.runs[0].series; const x = s.map(p => p.op);
  lines(chartEl(over), "Memory over the replay", [[x].concat(byteMetrics.map(([k]) => s.map(p => p[k])))], byteMetrics.map(m => m[1]), bytes);
  lines(chartEl(over), "Arenas allocated", [[x, s.map(p => p.arenas)]], ["arenas"]);
} else {
  for (const [k, title] of byteMetrics.concat([["arenas", "arenas allocated"]])) {
    lines(chartEl(over), title[0].toUpperCase() + title.slice(1), D.runs.map(r => [r.series.map(p => p.op), r.series.map(p => p[k])]), D.runs.map(r => r.name), k === "arenas" ? undefined : bytes);
  }
}
const pools = document.getElementById("pools");
for (const r of D.runs) {
  const s = r.series; const x = s.map(p => p.op);
  const classes = []; const n = Math.max(0, ...s.map(p => p.poolsPerClass.length));
  for (let c = 0; c < n; c++) if (s.some(p => p.poolsPerClass[c] > 0)) classes.push(c);
  lines(chartEl(pools), "Pools in use per size class" + (D.runs.length > 1 ? ": " + r.name : ""), [[x].concat(classes.map(c => s.map(p => p.poolsPerClass[c] || 0)))], classes.map(c => (c + 1) * r.alignment + " B"));
}
const hist = document.getElementById("sizes");
for (const h of D.sizes) {
  const xs = h.counts.map((_, i) => i);
  new uPlot({ title: "Blocks handed out, by requested size: " + h.trace, width: width(), height: 240, scales: { x: { time: false } },
    series: [{ label: "bucket", value: (u, i) => i == null ? "" : h.labels[i] }, { label: "requests", fill: "#1f77b455", stroke: "#1f77b4", paths: uPlot.paths.bars({ size: [0.8, 30] }), points: { show: false } }],
    axes: [{ values: (u, vals) => vals.map(i => h.labels[i] ?? ""), rotate: -45, size: 60, label: "bytes (size class, then power of two)" }, { size: 70 }] }, [xs, h.counts], chartEl(hist));
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
  const data = {
    runs: runs.map((r) => ({ name: name(r), series: r.report.series, alignment: r.report.profile.alignment })),
    sizes: traces.map((r) => ({ trace: r.trace, labels: r.report.sizes.labels, counts: r.report.sizes.counts })),
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
<h2>_PyObject_DebugMallocStats at the end</h2>
${perRun((r) => `<pre>${escapeXml(r.finalStats)}</pre>`)}
<h2>Profile</h2>
${perRun((r) => table(profileRows(r)))}
<script type="application/json" id="pymem-data">${scriptJson(data)}</script>
<script>${lib.js}</script>
<script>${PAGE_SCRIPT}</script>
</body></html>
`;
}

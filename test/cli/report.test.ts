import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import { fc } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { main } from "../../cli/main.js";
import {
  arenaUseSvg,
  axisTicks,
  bucketLabel,
  compactNumber,
  type TickUnit,
  tickLabels,
  useColor,
} from "../../cli/report.js";
import { withCommas } from "../../src/index.js";
import { escapeXml } from "../../src/view/heap-map.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const demo = `${root}cli/traces/demo.trace.gz`;
const startup = `${root}cli/traces/startup.trace.gz`;
const scratch = mkdtempSync(`${tmpdir()}/pymem-report-`);

async function run(args: string[]) {
  let out = "";
  let err = "";
  const status = await main(args, {
    out: (s) => {
      out += s;
    },
    err: (s) => {
      err += s;
    },
  });
  return { status, out, err };
}

interface Data {
  runs: Array<{ name: string; series: Array<{ op: number; arenas: number; rawBytes: number; blockBytes: number }> }>;
  sizes: Array<{ trace: string; labels: string[]; counts: number[] }>;
}

function embedded(html: string): Data {
  const m = /<script type="application\/json" id="pymem-data">(.*?)<\/script>/s.exec(html);
  expect(m, "the report embeds its data").not.toBeNull();
  return JSON.parse((m as RegExpExecArray)[1] as string);
}

/** Everything the page loads must be inside it: no URL to fetch in src, href, url() or @import. */
function expectSelfContained(html: string): void {
  expect(html).not.toMatch(/\b(?:src|href)\s*=\s*["']?(?:https?:)?\/\//i);
  expect(html).not.toMatch(/url\(\s*["']?(?:https?:)?\/\//i);
  expect(html).not.toMatch(/@import/i);
  expect(html).toMatch(/<script>[\s\S]*uPlot[\s\S]*<\/script>/);
}

describe("pymem replay --html", () => {
  it("writes one self-contained page with the series, the sizes, the arena use, the heap map and the report", async () => {
    const file = `${scratch}/demo.html`;
    const r = await run(["replay", demo, "--html", file, "--json", "-q"]);
    expect(r.status).toBe(0);
    expect(r.err).toContain(`report written to ${file}`);
    const summary = JSON.parse(r.out).summary;
    const html = readFileSync(file, "utf8");
    expectSelfContained(html);
    const data = embedded(html);
    const series = data.runs[0]?.series ?? [];
    expect(series.length).toBeGreaterThan(10);
    expect(series.length).toBeLessThanOrEqual(600);
    expect(series.at(-1)?.op).toBe(summary.ops);
    expect(Math.max(...series.map((s) => s.arenas))).toBe(summary.arenasHighwater);
    for (const s of series) expect(s.rawBytes).toBeGreaterThanOrEqual(s.blockBytes);
    // Every malloc and calloc got a block; a realloc got one when it moved.
    const handedOut = (data.sizes[0]?.counts ?? []).reduce((a, b) => a + b, 0);
    expect(handedOut).toBeGreaterThanOrEqual(summary.mallocs + summary.callocs);
    expect(handedOut).toBeLessThanOrEqual(summary.mallocs + summary.callocs + summary.reallocs);
    expect(html).toMatch(/<svg[^>]*class="heat"/);
    expect(html).toContain('data-pool="');
    expect(html).toMatch(/<pre>Small block threshold = 512/);
    expect(html).toContain("<th>arenaSize</th><td>1,048,576</td>");
  });

  it("colours arena use from pale to deep, and no arena grey", () => {
    const light = (c: string) => Number(/(\d+)%\)$/.exec(c)?.[1]);
    expect(light(useColor(0))).toBeGreaterThan(light(useColor(0.5)));
    expect(light(useColor(0.5))).toBeGreaterThan(light(useColor(1)));
    expect(useColor(-1)).toBe("#eeeeee");
  });
});

describe("pymem compare --html", () => {
  it("puts every trace and profile side by side in one page", async () => {
    const file = `${scratch}/compare.html`;
    const r = await run(["compare", startup, demo, "-p", "cpython-3.9", "-p", "cpython-3.11", "--html", file, "-q"]);
    expect(r.status).toBe(0);
    const html = readFileSync(file, "utf8");
    expectSelfContained(html);
    const data = embedded(html);
    expect(data.runs.map((x) => x.name)).toEqual([
      `${startup} · cpython-3.9`,
      `${startup} · cpython-3.11`,
      `${demo} · cpython-3.9`,
      `${demo} · cpython-3.11`,
    ]);
    // Sizes depend on the trace only: one histogram per trace.
    expect(data.sizes.map((s) => s.trace)).toEqual([startup, demo]);
    expect(html.match(/<pre>Small block threshold/g)).toHaveLength(4);
    expect(
      (await run(["compare", startup, "-p", "cpython-3.9", "--html", `${scratch}/none/x.html`, "-q"])).status,
    ).toBe(1);
  });
});

/** A label's width in the charts' 12px sans-serif, over-estimated: 7.5px a character. */
const width12 = (s: string) => s.length * 7.5;

/** The number a compact label says: "1.5M" is 1,500,000, "1.25 KiB" is 1,280. */
function parseCompact(label: string): number {
  const m = /^(-?[\d.]+)( ?)(k|M|G|T|B|KiB|MiB|GiB|TiB)?$/.exec(label);
  expect(m, label).not.toBeNull();
  const [, digits, , suffix] = m as RegExpExecArray;
  const scale: Record<string, number> = {
    k: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
    B: 1,
    KiB: 2 ** 10,
    MiB: 2 ** 20,
    GiB: 2 ** 30,
  };
  return Number(digits) * (suffix === undefined ? 1 : (scale[suffix] as number));
}

/** Ticks an axis `lengthPx` long may carry: apart by their widest label and the gap, distinct, true, in range. */
function expectReadable(min: number, max: number, lengthPx: number, unit: TickUnit, gap = 12): string[] {
  const { values, labels } = axisTicks(min, max, lengthPx, unit, width12, gap);
  expect(labels).toHaveLength(values.length);
  expect(values.length).toBeGreaterThanOrEqual(1);
  expect(new Set(labels).size).toBe(labels.length);
  const widest = Math.max(...labels.map(width12));
  for (let i = 1; i < values.length; i++) {
    const apart = (((values[i] as number) - (values[i - 1] as number)) * lengthPx) / (max - min);
    expect(apart, `${labels[i - 1]} and ${labels[i]}`).toBeGreaterThanOrEqual(widest + gap - 1e-9);
  }
  values.forEach((v, i) => {
    expect(v).toBeGreaterThanOrEqual(min);
    expect(v).toBeLessThanOrEqual(max);
    // Exact, or rounded at the third decimal of its unit (1.015625 GiB reads 1.016 GiB).
    expect(Math.abs(parseCompact(labels[i] as string) - v)).toBeLessThanOrEqual(Math.abs(v) * 5e-4);
  });
  return labels;
}

describe("axis ticks", () => {
  it("write numbers short and exactly: 250k, 1.5M, 12M; 512 B, 1.25 KiB, 96 MiB", () => {
    const counts = [0, 7, 950, 1000, 2500, 250_000, 900_000, 1_000_000, 1_050_000, 1_500_000, 12_000_000, 3e9];
    expect(counts.map((v) => compactNumber(v, "count"))).toEqual([
      "0",
      "7",
      "950",
      "1k",
      "2.5k",
      "250k",
      "900k",
      "1M",
      "1.05M",
      "1.5M",
      "12M",
      "3G",
    ]);
    const bytes = [0, 512, 1024, 1280, 768 * 1024, 1.5 * 2 ** 20, 96 * 2 ** 20, 2 ** 32];
    expect(bytes.map((v) => compactNumber(v, "bytes"))).toEqual([
      "0 B",
      "512 B",
      "1 KiB",
      "1.25 KiB",
      "768 KiB",
      "1.5 MiB",
      "96 MiB",
      "4 GiB",
    ]);
    expect(tickLabels([900_000, 950_000, 1_000_000, 1_050_000], "count")).toEqual(["900k", "950k", "1M", "1.05M"]);
  });

  it.each([
    [0, 10],
    [0, 1e6],
    [0, 1.2e7],
    [1024, 35_254],
    [0, 1e7],
  ])("over %d..%d ops: labels apart by their width, distinct, short, from 300 to 1100 px", (min, max) => {
    for (const px of [300, 480, 700, 1100]) {
      const labels = expectReadable(min, max, px, "count");
      expect(labels.length).toBeGreaterThanOrEqual(3);
      for (const l of labels) expect(l.length).toBeLessThanOrEqual(5);
    }
  });

  it("the issue's axis: 0 to 1,200,000 ops over 480 px reads 0, 250k, ... not 900,0001,000,000", () => {
    const { labels } = axisTicks(0, 1_200_000, 480, "count", width12, 12);
    expect(labels.join(" ")).toMatch(/^0 250k 500k 750k 1M$|^0 200k 400k 600k 800k 1M 1.2M$/);
    expect(labels.some((l) => l.includes(","))).toBe(false);
  });

  it.each([
    [0, 1200],
    [0, 1.2 * 2 ** 20],
    [0, 109_053_568],
    [0, 5e9],
  ])("over %d..%d bytes: binary steps, labels apart, distinct, short", (min, max) => {
    for (const px of [200, 400, 700]) {
      const labels = expectReadable(min, max, px, "bytes");
      expect(labels.length).toBeGreaterThanOrEqual(3);
      for (const l of labels) expect(l.length).toBeLessThanOrEqual(8);
    }
  });

  it("an axis from 1 to 500,000,001 one pixel long still has its tick in range (found by the property below)", () => {
    expectReadable(1, 500_000_001, 1, "count");
  });

  it("any range, any length: labels never closer than their width, never alike", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2e9 }),
        fc.integer({ min: 0, max: 2e9 }),
        fc.integer({ min: 1, max: 2000 }),
        fc.constantFrom<TickUnit>("count", "bytes"),
        (a, span, px, unit) => {
          if (span === 0) return;
          expectReadable(a, a + span, px, unit);
        },
      ),
    );
  });

  it("shortens the histogram's power-of-two buckets", () => {
    expect(["16", "512", "≤1024", "≤1048576", "≤4294967296"].map(bucketLabel)).toEqual([
      "16",
      "512",
      "≤1 KiB",
      "≤1 MiB",
      "≤4 GiB",
    ]);
  });
});

/** The heat map's texts: what each says and where it starts, from the SVG source. */
function svgTexts(svg: string): Array<{ text: string; x: number; y: number; anchor: string }> {
  return [...svg.matchAll(/<text x="([\d.]+)" y="([\d.]+)"(?: text-anchor="(\w+)")?>([^<]*)<\/text>/g)].map((m) => ({
    x: Number(m[1]),
    y: Number(m[2]),
    anchor: m[3] ?? "start",
    text: m[4] as string,
  }));
}

describe("the arena-use picture", () => {
  /** Samples every `every` ops over `cols` columns, `slots` arena slots in use at each. */
  const use = (cols: number, every: number, slots: number) => ({
    ops: Array.from({ length: cols }, (_, c) => (c + 1) * every),
    rows: Array.from({ length: cols }, (_, c) => Array.from({ length: slots }, (_, s) => ((c + s) % 5) / 4)),
  });

  it.each([
    [3, 1024, 1],
    [34, 1024, 4],
    [600, 16_384, 120],
    [610, 16_384, 610],
  ])("%i columns of %i ops, %i arenas: its labels neither touch nor leave the picture", (cols, every, slots) => {
    const svg = arenaUseSvg(use(cols, every, slots), cols * every + 7);
    const width = Number(/width="(\d+)"/.exec(svg)?.[1]);
    const texts = svgTexts(svg);
    // 10px monospace: at most 6.5px a character, 10px high.
    const boxes = texts.map((t) => {
      const w = t.text.length * 6.5;
      const x0 = t.anchor === "end" ? t.x - w : t.anchor === "middle" ? t.x - w / 2 : t.x;
      return { ...t, x0, x1: x0 + w, y0: t.y - 10, y1: t.y };
    });
    for (let i = 0; i < boxes.length; i++) {
      const a = boxes[i] as (typeof boxes)[number];
      expect(a.x0, a.text).toBeGreaterThanOrEqual(0);
      expect(a.x1, a.text).toBeLessThanOrEqual(width);
      for (let j = i + 1; j < boxes.length; j++) {
        const b = boxes[j] as (typeof boxes)[number];
        const apart = a.x1 <= b.x0 || b.x1 <= a.x0 || a.y1 <= b.y0 || b.y1 <= a.y0;
        expect(apart, `"${a.text}" and "${b.text}"`).toBe(true);
      }
    }
    const opLabels = texts.filter((t) => t.anchor === "middle").map((t) => t.text);
    expect(opLabels[0]).toBe("0");
    for (const l of opLabels) expect(l).toMatch(/^\d+(\.\d+)?[kM]?$/);
    expect(texts.map((t) => t.text)).toContain(`ops replayed (${withCommas(cols * every + 7)} in all)`);
    if (slots > 1) expect(texts.filter((t) => t.anchor === "end").length).toBeGreaterThan(1);
  });

  it("says so when the replay is too short to sample, or had no arena", () => {
    expect(arenaUseSvg({ ops: [], rows: [] }, 10)).toContain("no sample: 10 ops are fewer than one sampling interval");
    expect(arenaUseSvg({ ops: [1024, 2048], rows: [[], []] }, 2100)).toContain("no arena was allocated");
  });
});

describe("numbers in the report", () => {
  it("have thousands separators in the summary and profile tables; the stats text is CPython's, untouched", async () => {
    const file = `${scratch}/startup.html`;
    const r = await run(["replay", startup, "--html", file, "--json", "--stats", "-q"]);
    expect(r.status).toBe(0);
    const { summary: s, atPeak: p, stats } = JSON.parse(r.out);
    expect(s.ops).toBeGreaterThan(10_000);
    const html = readFileSync(file, "utf8");
    const c = withCommas;
    expect(html).toContain(
      `<th>ops</th><td>${c(s.ops)} (malloc ${c(s.mallocs)}, calloc ${c(s.callocs)}, realloc ${c(s.reallocs)}, free ${c(s.frees)})</td>`,
    );
    expect(html).toContain(
      `<th>peak live</th><td>${c(s.peakLiveBlocks)} blocks, ${c(s.peakLiveBytes)} requested bytes</td>`,
    );
    expect(html).toContain(`<th>peak raw bytes</th><td>${c(s.peakRawBytes)}</td>`);
    expect(html).toContain(
      `<th>lost at that peak</th><td>quantization ${c(p.quantizationBytes)}, pool headers ${c(p.poolHeaderBytes)}, arena alignment ${c(p.arenaAlignmentBytes)} bytes</td>`,
    );
    // No run of four digits or more is left in any table cell.
    const cells = [...html.matchAll(/<td>([^<]*)<\/td>/g)].map((m) => m[1] as string);
    expect(cells.length).toBeGreaterThan(20);
    expect(cells.filter((t) => /(?<![\d,.])\d{4,}/.test(t) && !t.startsWith("{") && !t.startsWith("["))).toEqual([]);
    expect(html).toContain("<th>arenaSize</th><td>1,048,576</td>");
    expect(html).toContain(`<pre>${escapeXml(stats)}</pre>`);
  });

  it("the page's own helpers are the module's: the same ticks, the same separators", async () => {
    const html = readFileSync(`${scratch}/startup.html`, "utf8");
    const script = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1] as string).at(-1) ?? "";
    const helpers = script.slice(0, script.indexOf("const D = "));
    expect(helpers).toContain("const H = {");
    const H = new Function(`${helpers}\nreturn H;`)() as {
      withCommas: typeof withCommas;
      axisTicks: typeof axisTicks;
      bucketLabel: typeof bucketLabel;
    };
    expect(H.withCommas(35_254)).toBe("35,254");
    expect(H.axisTicks(0, 12e6, 700, "count", width12, 12)).toEqual(axisTicks(0, 12e6, 700, "count", width12, 12));
    expect(H.bucketLabel("≤1048576")).toBe("≤1 MiB");
    // Legends write their numbers with separators.
    expect(script).toMatch(/const commas = \(u, v\) => v == null \? "-" : H\.withCommas\(/);
    expect(script.match(/value: commas/g)?.length).toBeGreaterThanOrEqual(3);
  });
});

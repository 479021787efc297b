/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * The HTML report's labels, as Chromium draws them, for traces of 10 ops to
 * 10^7 and pages 600 to 1280 pixels wide: no two texts of a chart's canvas
 * (tick labels, axis captions) or of the arena-use picture overlap or leave
 * it, and tick labels are short (250k, 1.5 MiB), never "900,0001,000,000".
 * uPlot draws on a canvas, so the page's fillText is watched: each text's box
 * is measured (measureText) and placed by the context's transform, rotation
 * included.
 */
import { createWriteStream, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { fileURLToPath, pathToFileURL } from "node:url";
import { createGzip } from "node:zlib";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { main } from "../cli/main.js";

const root = fileURLToPath(new URL("../", import.meta.url));
const out = `${root}e2e/.out/`;
const scratch = mkdtempSync(`${tmpdir()}/pymem-report-e2e-`);
const BIG_OPS = 10_000_000;
let browser: Browser;

/** A trace of `ops` ops: waves of 400,000 mallocs of 16 to 496 bytes, then their frees. */
async function bigTrace(file: string, ops: number): Promise<void> {
  const gz = createGzip({ level: 1 });
  const done = new Promise<void>((resolve, reject) => {
    gz.pipe(createWriteStream(file)).on("finish", resolve).on("error", reject);
  });
  const wave = 400_000;
  let written = 0;
  let lines: string[] = [];
  const flush = async () => {
    if (!gz.write(`${lines.join("\n")}\n`)) await new Promise((r) => gz.once("drain", r));
    lines = [];
  };
  while (written < ops) {
    for (let i = 0; i < wave && written < ops; i++, written++) {
      lines.push(`m ${i} ${16 + ((i * 37) % 480)}`);
      if (lines.length === 50_000) await flush();
    }
    for (let i = 0; i < wave && written < ops; i++, written++) {
      lines.push(`f ${i}`);
      if (lines.length === 50_000) await flush();
    }
  }
  if (lines.length > 0) await flush();
  gz.end();
  await done;
}

const reports: Record<string, string[]> = {
  tiny: ["replay", `${scratch}/tiny.trace`],
  demo: ["replay", `${root}cli/traces/demo.trace.gz`],
  compare: ["compare", `${root}cli/traces/startup.trace.gz`, "-p", "cpython-3.9", "-p", "cpython-3.11"],
  million: ["replay", `${scratch}/million.trace.gz`],
  big: ["replay", `${scratch}/big.trace.gz`],
};

beforeAll(async () => {
  mkdirSync(out, { recursive: true });
  writeFileSync(`${scratch}/tiny.trace`, "m 0 24\nm 1 100\nm 2 600\nr 0 50\nf 1\nm 3 8\nc 4 3 8\nf 2\nf 3\nf 0\n");
  await bigTrace(`${scratch}/million.trace.gz`, 1_200_000);
  await bigTrace(`${scratch}/big.trace.gz`, BIG_OPS);
  for (const [name, args] of Object.entries(reports)) {
    const status = await main([...args, "--html", `${scratch}/${name}.html`, "-q"], { out: () => {}, err: () => {} });
    expect(status, name).toBe(0);
  }
  browser = await chromium.launch({ executablePath: inject("chromium"), args: ["--no-sandbox"] });
});
afterAll(async () => {
  await browser?.close();
  rmSync(scratch, { recursive: true, force: true });
});

type Point = [number, number];
/** A text drawn: where (its four corners, in the canvas's or the SVG's pixels) and in what. */
interface Drawn {
  surface: number;
  text: string;
  corners: Point[];
}
interface Surface {
  kind: "canvas" | "svg";
  width: number;
  height: number;
}

/** Before the page's scripts run: every canvas text is recorded with its box; clearing a whole canvas forgets its texts. */
function watchCanvasText(): void {
  const w = window as unknown as { __texts: Drawn[]; __ids: WeakMap<HTMLCanvasElement, number> };
  w.__texts = [];
  w.__ids = new WeakMap();
  let next = 0;
  const id = (c: HTMLCanvasElement) => {
    if (!w.__ids.has(c)) w.__ids.set(c, next++);
    return w.__ids.get(c) as number;
  };
  const proto = CanvasRenderingContext2D.prototype;
  const fillText = proto.fillText;
  const clearRect = proto.clearRect;
  proto.fillText = function (this: CanvasRenderingContext2D, text: string, x: number, y: number, maxWidth?: number) {
    const m = this.measureText(String(text));
    const t = this.getTransform();
    const box: Point[] = [
      [x - m.actualBoundingBoxLeft, y - m.actualBoundingBoxAscent],
      [x + m.actualBoundingBoxRight, y - m.actualBoundingBoxAscent],
      [x + m.actualBoundingBoxRight, y + m.actualBoundingBoxDescent],
      [x - m.actualBoundingBoxLeft, y + m.actualBoundingBoxDescent],
    ];
    w.__texts.push({
      surface: id(this.canvas as HTMLCanvasElement),
      text: String(text),
      corners: box.map(([px, py]) => [t.a * px + t.c * py + t.e, t.b * px + t.d * py + t.f]),
    });
    if (maxWidth === undefined) fillText.call(this, text, x, y);
    else fillText.call(this, text, x, y, maxWidth);
  };
  proto.clearRect = function (this: CanvasRenderingContext2D, x: number, y: number, width: number, height: number) {
    const c = this.canvas as HTMLCanvasElement;
    if (x <= 0 && y <= 0 && x + width >= c.width && y + height >= c.height) {
      const me = id(c);
      w.__texts = w.__texts.filter((d) => d.surface !== me);
    }
    clearRect.call(this, x, y, width, height);
  };
}

/**
 * Before the page's scripts run: canvas text in a wider font than the page asks for (a quarter larger,
 * monospace), as a reader's fonts may be; the page measures its labels in whatever font it gets.
 */
function widenCanvasFont(): void {
  const proto = CanvasRenderingContext2D.prototype;
  const font = Object.getOwnPropertyDescriptor(proto, "font") as PropertyDescriptor;
  Object.defineProperty(proto, "font", {
    get(this: CanvasRenderingContext2D) {
      return font.get?.call(this);
    },
    set(this: CanvasRenderingContext2D, value: string) {
      const wide = value.replace(
        /(\d+(?:\.\d+)?)px .*$/,
        (_, px) => `${Number(px) * 1.25}px "DejaVu Sans Mono", monospace`,
      );
      font.set?.call(this, wide);
    },
  });
}

/** The texts of every chart canvas and every arena-use SVG of the page, each surface numbered. */
async function drawnTexts(page: Page): Promise<{ texts: Drawn[]; surfaces: Surface[] }> {
  return page.evaluate(() => {
    const w = window as unknown as { __texts: Drawn[]; __ids: WeakMap<HTMLCanvasElement, number> };
    const surfaces: Surface[] = [];
    const texts: Drawn[] = [];
    const canvases = [...document.querySelectorAll<HTMLCanvasElement>(".uplot canvas")];
    for (const c of canvases) {
      const n = surfaces.length;
      surfaces.push({ kind: "canvas", width: c.width, height: c.height });
      const me = w.__ids.get(c);
      for (const d of w.__texts) if (d.surface === me) texts.push({ ...d, surface: n });
    }
    for (const svg of document.querySelectorAll<SVGSVGElement>("svg.heat")) {
      const n = surfaces.length;
      surfaces.push({
        kind: "svg",
        width: Number(svg.getAttribute("width")),
        height: Number(svg.getAttribute("height")),
      });
      for (const t of svg.querySelectorAll<SVGTextElement>("text")) {
        const b = t.getBBox();
        texts.push({
          surface: n,
          text: t.textContent ?? "",
          corners: [
            [b.x, b.y],
            [b.x + b.width, b.y],
            [b.x + b.width, b.y + b.height],
            [b.x, b.y + b.height],
          ],
        });
      }
    }
    return { texts, surfaces };
  });
}

/** Whether two convex quadrilaterals share more than `slack` pixels of depth along every axis (separating axis test). */
function overlap(a: Point[], b: Point[], slack = 0.5): boolean {
  for (const poly of [a, b]) {
    for (let i = 0; i < poly.length; i++) {
      const [x1, y1] = poly[i] as Point;
      const [x2, y2] = poly[(i + 1) % poly.length] as Point;
      const nx = y1 - y2;
      const ny = x2 - x1;
      const len = Math.hypot(nx, ny);
      if (len === 0) continue;
      const project = (p: Point[]) => p.map(([x, y]) => (x * nx + y * ny) / len);
      const pa = project(a);
      const pb = project(b);
      if (Math.min(...pa) >= Math.max(...pb) - slack || Math.min(...pb) >= Math.max(...pa) - slack) return false;
    }
  }
  return true;
}

/** Axis captions and legend texts: everything drawn that is not a tick label. */
const CAPTIONS = /^(ops replayed|bytes requested|in blocks in use|no arena|ops replayed \(|no sample|#\d+$|\d+%$)/;
/** A tick label: a short number (250k, 1.5M, 512 KiB), or a request-size bucket (≤4 GiB). */
const TICK = /^≤?-?\d+(\.\d{1,3})?(k|M|G| B| KiB| MiB| GiB)?$/;

/** What a page's labels get wrong: texts that overlap, texts cut off, charts with too few tick labels, tick labels that are not short numbers. */
interface Faults {
  collisions: string[];
  outside: string[];
  bare: string[];
  long: string[];
}

function faults({ texts, surfaces }: { texts: Drawn[]; surfaces: Surface[] }): Faults {
  const f: Faults = { collisions: [], outside: [], bare: [], long: [] };
  surfaces.forEach((surface, n) => {
    const mine = texts.filter((t) => t.surface === n && t.text.trim() !== "");
    // Every chart labels both of its axes: two ticks each at least.
    if (surface.kind === "canvas" && mine.filter((t) => TICK.test(t.text)).length < 4) f.bare.push(`canvas ${n}`);
    for (let i = 0; i < mine.length; i++) {
      const a = mine[i] as Drawn;
      for (const [x, y] of a.corners) {
        if (x < -0.5 || y < -0.5 || x > surface.width + 0.5 || y > surface.height + 0.5) {
          f.outside.push(`${surface.kind} ${n}: "${a.text}" at ${x.toFixed(1)},${y.toFixed(1)}`);
          break;
        }
      }
      for (let j = i + 1; j < mine.length; j++) {
        const b = mine[j] as Drawn;
        if (overlap(a.corners, b.corners)) f.collisions.push(`${surface.kind} ${n}: "${a.text}" and "${b.text}"`);
      }
      if (surface.kind === "canvas" && !CAPTIONS.test(a.text) && !TICK.test(a.text)) f.long.push(a.text);
    }
  });
  return f;
}

const NONE: Faults = { collisions: [], outside: [], bare: [], long: [] };

/** A report opened offline at `px` wide, with its texts recorded as they are drawn. */
async function open(name: string, px: number, wide = false) {
  const context = await browser.newContext({ offline: true, viewport: { width: px, height: 900 } });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on("pageerror", (e) => problems.push(`page error ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error") problems.push(`console error ${m.text()}`);
  });
  if (wide) await page.addInitScript(widenCanvasFont);
  await page.addInitScript(watchCanvasText);
  await page.goto(pathToFileURL(`${scratch}/${name}.html`).href);
  await page.waitForSelector(".uplot canvas");
  return { context, page, problems };
}

describe("the HTML report's labels in Chromium", () => {
  it.each([
    ["tiny", 1280],
    ["demo", 1280],
    ["demo", 600],
    ["compare", 1280],
    ["big", 1280],
    ["big", 600],
  ] as const)(
    "%s report, %ipx wide: no two labels overlap, none is cut off, tick labels are short",
    async (name, px) => {
      const { context, page, problems } = await open(name, px);
      const drawn = await drawnTexts(page);
      expect(drawn.surfaces.filter((s) => s.kind === "canvas").length).toBeGreaterThanOrEqual(
        name === "compare" ? 7 : 4,
      );
      expect(faults(drawn)).toEqual(NONE);
      if (name === "big") {
        // Ten million ops read as millions, in the charts and under the arena use.
        const { texts, surfaces } = drawn;
        expect(texts.some((t) => surfaces[t.surface]?.kind === "canvas" && /^\d+M$/.test(t.text))).toBe(true);
        const heat = texts.filter((t) => surfaces[t.surface]?.kind === "svg").map((t) => t.text);
        expect(heat).toContain("ops replayed (10,000,000 in all)");
        expect(heat.filter((t) => /^\d+M$/.test(t)).length).toBeGreaterThanOrEqual(2);
      }
      if (name === "demo") {
        // A legend under the cursor: its numbers with thousands separators.
        const over = page.locator(".uplot .u-over").first();
        await over.hover({ position: { x: ((await over.boundingBox())?.width ?? 0) * 0.6, y: 40 } });
        const values = await page.locator(".uplot").first().locator(".u-legend .u-value").allTextContents();
        expect(values).toHaveLength(4);
        for (const v of values) expect(v).toMatch(/^\d{1,3}(,\d{3})*$/);
        expect(values.filter((v) => v.includes(",")).length).toBeGreaterThanOrEqual(3);
      }
      await page.screenshot({ path: `${out}labels-${name}-${px}.png`, fullPage: true });
      expect(problems).toEqual([]);
      await context.close();
    },
  );

  it("a million ops, at every page width from 500 to 1240 px, in the page's font or a wider one: no label touches another (issue #20)", async () => {
    const seen: Record<number, Faults> = {};
    for (let px = 500; px <= 1240; px += 20) {
      const wide = px % 40 === 20;
      const { context, page, problems } = await open("million", px, wide);
      const f = faults(await drawnTexts(page));
      if (JSON.stringify(f) !== JSON.stringify(NONE)) seen[px] = f;
      expect(problems).toEqual([]);
      await context.close();
    }
    expect(seen).toEqual({});
  });
});

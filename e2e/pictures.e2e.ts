/// <reference lib="dom" />
/**
 * The pictures open and render in headless Chromium: the heap map (SVG, both
 * levels of detail) and the HTML reports of `replay --html` and
 * `compare --html`, the latter with the network off. Screenshots go to
 * e2e/.out/ and are checked pixel by pixel where the picture says what
 * colour something must be.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import { type Browser, chromium, type Page } from "playwright-core";
import { PNG } from "pngjs";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { main } from "../cli/main.js";
import { BlockAllocator, profiles, RawAllocator, renderHeapMap, sizeClassColor } from "../src/index.js";
import { recordingPython } from "../test/support/python.js";

const root = fileURLToPath(new URL("../", import.meta.url));
const out = `${root}e2e/.out/`;
let browser: Browser;

beforeAll(async () => {
  mkdirSync(out, { recursive: true });
  browser = await chromium.launch({ executablePath: inject("chromium"), args: ["--no-sandbox"] });
});
afterAll(async () => {
  await browser?.close();
});

/** A page with the network cut off, failing on any request that is not a local file and on any script error. */
async function offlinePage(): Promise<{ page: Page; problems: string[] }> {
  const context = await browser.newContext({ offline: true, viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on("request", (r) => {
    if (!r.url().startsWith("file:")) problems.push(`request ${r.url()}`);
  });
  page.on("pageerror", (e) => problems.push(`page error ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error") problems.push(`console error ${m.text()}`);
  });
  return { page, problems };
}

/** CSS `hsl(h s% l%)` as RGB bytes. */
function hslToRgb(css: string): [number, number, number] {
  const [h, s, l] = (css.match(/[\d.]+/g) ?? []).map(Number) as [number, number, number];
  const a = (s / 100) * Math.min(l / 100, 1 - l / 100);
  const f = (n: number) => {
    const k = (n + h / 30) % 12;
    return Math.round(255 * (l / 100 - a * Math.max(-1, Math.min(k - 3, 9 - k, 1))));
  };
  return [f(0), f(8), f(4)];
}

function pixel(png: PNG, x: number, y: number): [number, number, number] {
  const i = (png.width * Math.round(y) + Math.round(x)) * 4;
  return [png.data[i] as number, png.data[i + 1] as number, png.data[i + 2] as number];
}

/** A heap of `arenas` arenas, the last one with every pool carved: blocks of every class, round-robin. */
function heap(arenas: number): BlockAllocator {
  const blocks = new BlockAllocator({ raw: new RawAllocator(), profile: profiles["cpython-3.11"] });
  for (let i = 0; ; i++) {
    if (i % 64 === 0) {
      const all = blocks.arenas();
      if (all.length === arenas && (all.at(-1)?.nFreePools ?? 1) === 0) return blocks;
    }
    blocks.malloc(16 * (1 + (i % 32)));
  }
}

describe("the heap map in Chromium", () => {
  it.each([
    ["pools", 30],
    ["blocks", 1],
  ])("draws %s of %i arenas, every full pool in its size class's colour", async (detail, arenas) => {
    const blocks = heap(arenas);
    const file = `${out}heap-${detail}.svg`;
    writeFileSync(file, renderHeapMap(blocks));
    const { page, problems } = await offlinePage();
    await page.goto(pathToFileURL(file).href);
    // An SVG document has no scrolling body to measure: the viewport takes the picture's own size.
    const size = await page.evaluate(() => [
      document.documentElement.getAttribute("width"),
      document.documentElement.getAttribute("height"),
    ]);
    await page.setViewportSize({ width: Number(size[0]), height: Number(size[1]) });
    const cells = page.locator('[data-state="full"]');
    const n = await cells.count();
    expect(n).toBeGreaterThan(0);
    expect(await page.locator("[data-pool]").count()).toBe(blocks.arenas().reduce((s, a) => s + a.pools().length, 0));
    const png = PNG.sync.read(await page.screenshot({ path: `${out}heap-${detail}.png` }));
    // The first full pool's solid part, sampled in its middle: the colour of its size class.
    const first = cells.first();
    const box = (await first.locator("rect").last().boundingBox()) as {
      x: number;
      y: number;
      width: number;
      height: number;
    };
    const c = Number(await first.getAttribute("data-class"));
    const expected = hslToRgb(sizeClassColor(c, 32));
    const seen = pixel(png, box.x + box.width / 2, box.y + box.height / 2);
    for (let k = 0; k < 3; k++) expect(Math.abs((seen[k] as number) - (expected[k] as number))).toBeLessThanOrEqual(3);
    expect(problems).toEqual([]);
  });
});

describe("the HTML reports in Chromium, offline", () => {
  it.each([
    ["replay", ["replay", `${root}cli/traces/demo.trace.gz`]],
    ["compare", ["compare", `${root}cli/traces/startup.trace.gz`, "-p", "cpython-3.9", "-p", "cpython-3.11"]],
  ])("%s --html draws its charts with no network and no script error", async (name, args) => {
    const file = `${out}${name}.html`;
    const status = await main([...(args as string[]), "--html", file, "-q"], { out: () => {}, err: () => {} });
    expect(status).toBe(0);
    const { page, problems } = await offlinePage();
    await page.goto(pathToFileURL(file).href);
    await page.waitForSelector(".uplot canvas");
    const charts = await page.locator(".uplot").count();
    expect(charts).toBeGreaterThanOrEqual(name === "replay" ? 4 : 7);
    // uPlot drew lines: every chart's canvas has ink on it.
    const inked = await page.$$eval(".uplot canvas", (canvases) =>
      canvases.map((el) => {
        const c = el as HTMLCanvasElement;
        const { data } = c.getContext("2d")?.getImageData(0, 0, c.width, c.height) ?? { data: [] };
        let n = 0;
        for (let i = 3; i < data.length; i += 4) if ((data[i] as number) > 0) n++;
        return n;
      }),
    );
    for (const n of inked) expect(n).toBeGreaterThan(500);
    expect(await page.locator("svg.heat").count()).toBe(name === "replay" ? 1 : 2);
    await page.screenshot({ path: `${out}${name}-report.png`, fullPage: true });
    expect(problems).toEqual([]);
  });
});

describe("the HTML report of a trace that names types, in Chromium", () => {
  const python = recordingPython("3.11");
  it.skipIf(python.python === undefined)(
    `charts bytes by type and draws the heap map by type${python.why ? ` (skipped: ${python.why})` : ""}`,
    async () => {
      const script = `${out}typed.py`;
      writeFileSync(
        script,
        "rows = [{'id': i, 'name': str(i) * 3, 'tags': [i, i + 1]} for i in range(20000)]\nprint(len(rows))\n",
      );
      const trace = `${out}typed.trace.gz`;
      const quiet = { out: () => {}, err: () => {} };
      expect(await main(["record", "--python", python.python as string, trace, "--", script], quiet)).toBe(0);
      const file = `${out}typed.html`;
      expect(await main(["replay", trace, "--html", file, "-q"], quiet)).toBe(0);
      const { page, problems } = await offlinePage();
      await page.goto(pathToFileURL(file).href);
      await page.waitForSelector("#types .uplot canvas");
      expect(await page.locator("#types .uplot").count()).toBe(1);
      // The chart's legend names the types that held the most bytes at the peak: the program's dicts among them.
      const legend = (await page.locator("#types .u-legend").textContent()) ?? "";
      expect(legend).toMatch(/\bdict\b/);
      expect(legend).toMatch(/untyped/);
      // The heap map by type: a legend key per type, and pools coloured after them.
      const keys = await page.locator('svg g.legend text[data-type="dict"]').count();
      expect(keys).toBe(1);
      expect(await page.locator("svg g[data-pool][data-type='dict']").count()).toBeGreaterThan(0);
      await page.screenshot({ path: `${out}typed-report.png`, fullPage: true });
      expect(problems).toEqual([]);
    },
  );
});

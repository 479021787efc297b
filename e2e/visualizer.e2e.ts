/// <reference lib="dom" />
/**
 * The browser visualizer (examples/visualizer/), built with Vite and served
 * locally, driven in headless Chromium as a user would: play a bundled trace,
 * pause, step back and forward, scrub, click a pool and a block, collect the
 * gc demo's graph. The page's DOM is checked against the numbers it draws,
 * and a screenshot is saved to e2e/.out/visualizer.png.
 */
import { mkdirSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { type Browser, chromium, type Page } from "playwright-core";
import { build, type PreviewServer, preview } from "vite";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";

const root = fileURLToPath(new URL("../", import.meta.url));
const configFile = `${root}examples/visualizer/vite.config.ts`;
let browser: Browser;
let server: PreviewServer;
let origin: string;

beforeAll(async () => {
  mkdirSync(`${root}e2e/.out`, { recursive: true });
  await build({ configFile, logLevel: "warn" });
  server = await preview({ configFile, preview: { port: 0, host: "127.0.0.1" }, logLevel: "warn" });
  const address = server.httpServer.address() as AddressInfo;
  origin = `http://127.0.0.1:${address.port}`;
  browser = await chromium.launch({ executablePath: inject("chromium"), args: ["--no-sandbox"] });
});
afterAll(async () => {
  await browser?.close();
  await new Promise<void>((resolve) => server?.httpServer.close(() => resolve()));
});

const position = async (page: Page) => {
  const [at, of] = ((await page.locator("#position").textContent()) ?? "").split(" / ").map(Number);
  return { at: at as number, of: of as number };
};

describe("the visualizer", () => {
  it("plays a trace, steps both ways, scrubs, shows a pool's header and a block's bytes, and animates the gc", async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const problems: string[] = [];
    page.on("request", (r) => {
      if (!r.url().startsWith(origin)) problems.push(`request ${r.url()}`);
    });
    page.on("pageerror", (e) => problems.push(`page error ${e.message}`));
    page.on("console", (m) => {
      if (m.type() === "error") problems.push(`console error ${m.text()}`);
    });
    await page.goto(origin);
    await page.waitForSelector("body[data-ready=true]");
    const start = await position(page);
    expect(start.at).toBe(0);
    expect(start.of).toBeGreaterThan(30_000);
    expect(await page.locator("#map").textContent()).toContain("no arena allocated");

    // Play, then pause once a few thousand ops went by.
    await page.click("#play");
    await page.waitForFunction(() => Number(document.querySelector("#position")?.textContent?.split(" / ")[0]) > 3000);
    await page.click("#play");
    const paused = (await position(page)).at;
    expect(paused).toBeGreaterThan(3000);
    expect(await page.locator("#map [data-pool]").count()).toBeGreaterThan(0);

    // One op back, one forward: the op line follows.
    await page.click("#back");
    expect((await position(page)).at).toBe(paused - 1);
    await page.click("#step");
    expect((await position(page)).at).toBe(paused);
    expect(await page.locator("#op").textContent()).toMatch(/^line \d+: [mcrfs]/);

    // Scrub back to op 1000.
    await page.$eval("#scrub", (el) => {
      const input = el as HTMLInputElement;
      input.value = "1000";
      input.dispatchEvent(new Event("input", { bubbles: true }));
    });
    expect((await position(page)).at).toBe(1000);

    // A pool: the panel's header fields are the ones the map's cell carries.
    const cell = page.locator('#map [data-pool][data-state="used"], #map [data-pool][data-state="full"]').first();
    const [pool, cls, used] = await Promise.all([
      cell.getAttribute("data-pool"),
      cell.getAttribute("data-class"),
      cell.getAttribute("data-used"),
    ]);
    await cell.click();
    expect(await page.locator('#pool-fields td[data-field="pool"]').textContent()).toBe(
      `0x${Number(pool).toString(16)}`,
    );
    expect(await page.locator('#pool-fields td[data-field="szidx"]').textContent()).toMatch(new RegExp(`^${cls} \\(`));
    expect(await page.locator('#pool-fields td[data-field="ref.count"]').textContent()).toBe(used);
    expect(await page.locator("#blocks button.u").count()).toBe(Number(used));

    // A block in use: its bytes, 16 to a line, from its address.
    const block = page.locator("#blocks button.u").first();
    const address = Number(await block.getAttribute("data-block"));
    await block.click();
    const bytes = (await page.locator("#bytes").textContent()) ?? "";
    expect(
      bytes
        .trim()
        .split("\n")[0]
        ?.trim()
        .startsWith(`0x${address.toString(16)} `),
    ).toBe(true);

    // The gc demo: the root's cycle survives, the rest is freed, F was finalized.
    await page.click("#collect");
    await page.waitForSelector("body[data-gc-done=true]", { timeout: 30_000 });
    const states = await page.$$eval("#graph [data-node]", (nodes) =>
      nodes.map((n) => `${n.getAttribute("data-node")}:${n.getAttribute("data-state")}`),
    );
    expect(states).toEqual([
      "A:tracked",
      "B:tracked",
      "C:tracked",
      "D:freed",
      "E:freed",
      "F:freed",
      "G:freed",
      "H:freed",
    ]);
    expect(await page.locator("#graph svg").getAttribute("data-phase")).toBe("after");
    const finalized = await page.$$eval("#graph [data-finalized=true]", (nodes) =>
      nodes.map((n) => n.getAttribute("data-node")),
    );
    expect(finalized).toEqual(["F"]);
    expect(await page.locator("#gc-phase").textContent()).toMatch(/^After/);

    await page.screenshot({ path: `${root}e2e/.out/visualizer.png`, fullPage: true });
    expect(problems).toEqual([]);
  });
});

import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { main } from "../../cli/main.js";
import { useColor } from "../../cli/report.js";

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
    expect(html).toContain("<th>arenaSize</th><td>1048576</td>");
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

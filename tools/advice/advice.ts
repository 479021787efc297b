/**
 * The measured parts of docs/python-memory-advice.md: for each pair of
 * tools/advice/pairs.ts, both versions recorded from the real CPython 3.13
 * and 3.15 and replayed under their profiles, and built with Builtins under
 * the same profiles. `npm run docs:advice` rewrites the tables between the
 * page's `<!-- advice:ID -->` and `<!-- /advice -->` markers and draws the
 * heap maps into docs/images/; test/docs-advice.test.ts checks the committed
 * page and pictures are what this makes now.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { getProfile, profileForRelease, withCommas } from "../../src/index.js";
import { releasePython } from "../../test/support/python.js";
import { type Figures, measure, recordVariant, simulateVariant } from "./measure.js";
import { PAIRS, type Pair } from "./pairs.js";

/** The releases the page measures. */
export const RELEASES = ["3.13", "3.15"] as const;
/** The release whose heap maps the page shows. */
const MAP_RELEASE = "3.15";

/** One row of a pair's table. */
export interface Row {
  variant: "worse" | "better";
  release: string;
  /** The real interpreter's figures (undefined where it cannot be had). */
  real?: Figures;
  /** Its full release, as the trace's header says. */
  python?: string;
  /** Builtins' figures under the same profile. */
  builtins: Figures;
}

/** What the page shows of one pair. */
export interface Measured {
  pair: Pair;
  rows: Row[];
  /** Heap maps at the peak (MAP_RELEASE), by variant, when the interpreter can be had. */
  maps: Partial<Record<"worse" | "better", string>>;
}

/** Why a release cannot be measured here, or undefined. */
export function missing(): string | undefined {
  for (const v of RELEASES) {
    const found = releasePython(v);
    if (found.python === undefined) return found.why;
  }
  return undefined;
}

/** Measures every pair; `real` false measures Builtins only. */
export async function measureAll(real: boolean): Promise<Measured[]> {
  const out: Measured[] = [];
  for (const pair of PAIRS) {
    const rows: Row[] = [];
    const maps: Measured["maps"] = {};
    for (const variant of ["worse", "better"] as const) {
      for (const release of RELEASES) {
        const profile = getProfile(`cpython-${release}`);
        const builtins = measure(simulateVariant(pair, variant, profile), profile, 1).figures;
        const row: Row = { variant, release, builtins };
        if (real) {
          const trace = recordVariant(pair, variant, releasePython(release).python as string);
          const python = trace.header.fields.python as string;
          const traced = measure(trace, profileForRelease(python) ?? profile, 2, release === MAP_RELEASE);
          row.real = traced.figures;
          row.python = python;
          if (traced.svg !== undefined) maps[variant] = traced.svg;
        }
        rows.push(row);
      }
    }
    out.push({ pair, rows, maps });
  }
  return out;
}

function typesText(f: Figures): string {
  return (f.types ?? [])
    .slice(0, 2)
    .map(([t, b]) => `${t} ${withCommas(b)}`)
    .join(", ");
}

/** The table of one pair, as Markdown, its columns aligned as the repository's formatter aligns them. */
export function table(m: Measured): string {
  const head = [
    "version",
    "CPython",
    "allocator calls",
    "peak bytes",
    "bytes kept",
    "arenas",
    "most bytes at the peak",
    "Builtins: calls",
    "Builtins: peak bytes",
  ];
  const right = [false, false, true, true, true, true, false, true, true];
  const body = m.rows.map((r) => {
    const f = r.real;
    return [
      m.pair[r.variant].label,
      r.python ?? `${r.release} (not measured here)`,
      f ? withCommas(f.calls) : "",
      f ? withCommas(f.peakBytes) : "",
      f ? withCommas(f.keptBytes) : "",
      f ? String(f.arenas) : "",
      f ? typesText(f) : "",
      withCommas(r.builtins.calls),
      withCommas(r.builtins.peakBytes),
    ];
  });
  const width = head.map((h, c) => Math.max(h.length, ...body.map((row) => (row[c] as string).length)));
  const line = (cells: string[]) =>
    `| ${cells.map((x, c) => (right[c] ? x.padStart(width[c] as number) : x.padEnd(width[c] as number))).join(" | ")} |`;
  const rule = `| ${width.map((w, c) => (right[c] ? `${"-".repeat(w - 1)}:` : "-".repeat(w))).join(" | ")} |`;
  return [line(head), rule, ...body.map(line)].join("\n");
}

/** The heap maps' file names in docs/images, by pair and variant. */
export function mapName(pair: Pair, variant: "worse" | "better"): string {
  return `advice-${pair.id}-${variant}.svg`;
}

/** The page with every pair's table put between its markers. */
export function fillPage(page: string, measured: Measured[]): string {
  let out = page;
  for (const m of measured) {
    const open = `<!-- advice:${m.pair.id} -->`;
    const close = "<!-- /advice -->";
    const a = out.indexOf(open);
    const b = out.indexOf(close, a);
    if (a < 0 || b < 0) throw new Error(`docs/python-memory-advice.md has no ${open} … ${close}`);
    out = `${out.slice(0, a + open.length)}\n${table(m)}\n${out.slice(b)}`;
  }
  return out;
}

export const pagePath = fileURLToPath(new URL("../../docs/python-memory-advice.md", import.meta.url));
export const imagesDir = fileURLToPath(new URL("../../docs/images/", import.meta.url));

const invoked = process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1];
if (invoked) {
  const why = missing();
  if (why !== undefined) {
    console.error(`cannot measure: ${why} (tools/pythons/debian-python.sh installs CPython 3.13 and 3.15)`);
    process.exit(1);
  }
  const measured = await measureAll(true);
  writeFileSync(pagePath, fillPage(readFileSync(pagePath, "utf8"), measured));
  console.log("docs/python-memory-advice.md");
  for (const m of measured) {
    for (const [variant, svg] of Object.entries(m.maps)) {
      const name = mapName(m.pair, variant as "worse" | "better");
      writeFileSync(imagesDir + name, svg);
      console.log(`docs/images/${name}`);
    }
  }
}

/**
 * The recorder: a Python program recorded by `pymem record` replays through the
 * real pymalloc (the oracle harness) to the very addresses of the live run,
 * replays through pymem identically to the real pymalloc, and records the same
 * trace every time.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { liveRun } from "../../cli/live-run.js";
import { main } from "../../cli/main.js";
import { recorderFor } from "../../cli/record.js";
import { createHeap, parseTrace, profiles, replayTrace } from "../../src/index.js";
import {
  buildReplay,
  findInterpreter,
  firstDifference,
  replayWithPymem,
  runReplay,
} from "../oracle/pymalloc-oracle.js";
import { compared } from "../support/comparisons.js";

let python311: string | undefined;
function setUp(): { harness?: string; skip?: string } {
  const py = findInterpreter("3.11");
  if (typeof py === "string") return { skip: py };
  python311 = py.python;
  const harness = buildReplay(py);
  if (typeof harness !== "string") return harness;
  try {
    recorderFor(`${py.libdir}/../bin/python3.11`);
  } catch (e) {
    return { skip: (e as Error).message.split("\n")[0] as string };
  }
  return { harness };
}

const env = setUp();
const dir = mkdtempSync(`${tmpdir()}/pymem-record-`);
// The script's directory is sys.path[0], whose listing Python reads: traces go elsewhere so it never changes.
const scriptDir = mkdtempSync(`${tmpdir()}/pymem-script-`);
const script = `${scriptDir}/workload.py`;
writeFileSync(
  script,
  [
    "import sys, json",
    "words = [w * (i % 5 + 1) for i, w in enumerate(sys.argv[1:] * 300)]",
    "index = {}",
    "for i, w in enumerate(words):",
    "    index.setdefault(w, []).append(i)",
    "doc = json.dumps({k: v[:3] for k, v in index.items()})",
    "print(len(words), len(index), len(doc))",
  ].join("\n"),
);

async function recordOnce(name: string, addresses?: string): Promise<string> {
  const out = `${dir}/${name}.trace.gz`;
  let err = "";
  const status = await main(
    ["record", out, ...(addresses ? ["--addresses", addresses] : []), "--", script, "alpha", "beta", "gamma"],
    {
      out: () => {},
      err: (s) => {
        err += s;
      },
    },
  );
  expect(status, err).toBe(0);
  return gunzipSync(readFileSync(out)).toString("utf8");
}

function without(lines: string[], open: string, close: string): string[] {
  const out: string[] = [];
  let inside = false;
  for (const l of lines) {
    if (l === open) inside = true;
    else if (l === close) inside = false;
    else if (!inside) out.push(l);
  }
  return out;
}

describe.skipIf(env.skip !== undefined)(`pymem record${env.skip ? ` (skipped: ${env.skip})` : ""}`, () => {
  it("writes a trace with the header the format asks for", async () => {
    const text = await recordOnce("header");
    const trace = parseTrace(text);
    const h = trace.header.fields;
    expect(h.workload).toBe(script);
    expect(h.python).toMatch(/^3\.11\./);
    const ops = trace.ops.length - 1; // the start-up checkpoint is not an op of the program
    expect(h.ops).toMatch(new RegExp(`^${ops} \\(m \\d+, c \\d+, r \\d+, f \\d+\\)$`));
    expect(h.skipped).toMatch(/^0 free\(s\) and 0 realloc\(s\)/);
    const summary = replayTrace(trace, createHeap().blocks);
    expect(Number(h["peak-live"])).toBe(summary.peakLiveBlocks);
    expect(Number(h["live-at-end"])).toBe(summary.liveBlocksAtEnd);
    expect(text).toContain("# --- interpreter start-up done ---\ns\n");
  }, 120_000);

  it("replays through the real pymalloc to the live run's addresses", async () => {
    const addresses = `${dir}/live.addresses`;
    const text = await recordOnce("live", addresses);
    const live = liveRun(readFileSync(addresses, "utf8"), profiles["cpython-3.11"].arenaSize);
    const real = runReplay(env.harness as string, [{ name: "live", text, arenas: live.arenas }]).get("live") ?? [];
    const replayed = without(real, "S", "E");
    expect(live.lines.filter((l) => l.startsWith("a ")).length).toBeGreaterThan(10_000);
    expect(firstDifference(live.lines, replayed)).toBeUndefined();
    compared(python311 as string, "real", "pymalloc live runs", 1);
  }, 120_000);

  it("replays through pymem exactly as through the real pymalloc", async () => {
    const text = await recordOnce("pymem");
    const mine = replayWithPymem(text, profiles["cpython-3.11"]);
    const real = runReplay(env.harness as string, [{ name: "t", text, arenas: mine.arenas }]).get("t") ?? [];
    expect(firstDifference(real, mine.lines)).toBeUndefined();
    compared(python311 as string, "real", "pymalloc", 1);
  }, 120_000);

  it("records the same trace every time", async () => {
    expect(await recordOnce("again-1")).toBe(await recordOnce("again-2"));
  }, 120_000);
});

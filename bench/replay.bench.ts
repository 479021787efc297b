/**
 * Replaying recorded traces: pymem's BlockAllocator (unchecked, ops already
 * parsed) against the real pymalloc of libpython3.11 driven from C by the
 * oracle harness with the same arena addresses, in the same run. Reports
 * ns/op of each and the ratio; skipped when gcc or libpython is missing.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { createHeap, parseTrace, profiles, replayTrace } from "../src/index.js";
import { buildReplay, findInterpreter, replayWithPymem } from "../test/oracle/pymalloc-oracle.js";

const root = fileURLToPath(new URL("../", import.meta.url));
const TRACES = [
  `${root}cli/traces/startup.trace.gz`,
  `${root}cli/traces/demo.trace.gz`,
  `${root}../shared/traces/difflib_text.trace.gz`,
  `${root}../shared/traces/regex_tokens.trace.gz`,
];
const ROUNDS = 5;

export async function replayBench(): Promise<string[]> {
  const py = findInterpreter("3.11");
  const binary = typeof py === "string" ? undefined : buildReplay(py);
  if (typeof binary !== "string") {
    return [`replay: skipped (${typeof py === "string" ? py : (binary as { skip: string }).skip})`];
  }
  const lines = ["replay: pymem BlockAllocator vs native pymalloc (libpython3.11), best of 5, parse excluded"];
  for (const path of TRACES.filter((p) => existsSync(p))) {
    const text = gunzipSync(readFileSync(path)).toString("utf8");
    const trace = parseTrace(text);
    const arenas = replayWithPymem(text, profiles["cpython-3.11"]).arenas;
    let js = Number.POSITIVE_INFINITY;
    for (let r = 0; r < ROUNDS; r++) {
      const { blocks } = createHeap({ profile: "cpython-3.11", checked: false });
      const t0 = performance.now();
      replayTrace(trace, blocks);
      js = Math.min(js, ((performance.now() - t0) * 1e6) / trace.ops.length);
    }
    const input = `trace t\narenas ${arenas.length} ${arenas.join(" ")}\n${text}end\n`;
    let native = Number.POSITIVE_INFINITY;
    for (let r = 0; r < ROUNDS; r++) {
      const out = execFileSync(binary, [], {
        input,
        encoding: "utf8",
        maxBuffer: 1 << 26,
        env: { ...process.env, PYMEM_REPLAY_TIME: "1" },
      });
      const m = /time (\d+) (\d+)/.exec(out);
      if (m) native = Math.min(native, Number(m[1]) / Number(m[2]));
    }
    const name = path.slice(path.lastIndexOf("/") + 1);
    lines.push(
      `  ${name.padEnd(26)} ${String(trace.ops.length).padStart(9)} ops  pymem ${js.toFixed(1).padStart(7)} ns/op  native ${native.toFixed(1).padStart(6)} ns/op  ratio ${(js / native).toFixed(1)}`,
    );
  }
  return lines;
}

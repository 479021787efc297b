/**
 * `pymem record` and the ways a program ends (issue #20). On SystemExit CPython
 * finalizes and calls exit() itself, inside Py_RunMain, and the recorder used
 * to lose the trace and leave its body file behind. Every ending through
 * Python now gives the whole trace, to the end of finalization, with the
 * program's exit status; one that skips finalization (os._exit) gives a clear
 * error; and no temporary file is left in either case.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { gunzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { main } from "../../cli/main.js";
import { recorderFor } from "../../cli/record.js";
import { createHeap, parseTrace, replayTrace } from "../../src/index.js";
import { findInterpreter } from "../oracle/pymalloc-oracle.js";

function setUp(): { skip?: string } {
  const py = findInterpreter("3.11");
  if (typeof py === "string") return { skip: py };
  if (spawnSync("gcc", ["--version"]).status !== 0) return { skip: "gcc is not installed" };
  try {
    recorderFor(`${py.libdir}/../bin/python3.11`);
  } catch (e) {
    return { skip: (e as Error).message.split("\n")[0] as string };
  }
  return {};
}

const env = setUp();

// Every script is written before the first recording: the scripts' directory is sys.path[0], whose listing Python
// reads, so it must not change between the recordings compared.
const scriptDir = mkdtempSync(`${tmpdir()}/pymem-exit-script-`);
const made = [scriptDir];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});
const endings = {
  plain: "",
  exit0: "sys.exit(0)",
  exit3: "sys.exit(3)",
  exitMessage: "sys.exit('the message')",
  systemExit: "raise SystemExit",
  uncaught: "raise ValueError('uncaught')",
  interrupt: "raise KeyboardInterrupt",
  osExit: "os._exit(0)",
};
type Ending = keyof typeof endings;
for (const [name, last] of Object.entries(endings)) {
  writeFileSync(
    `${scriptDir}/${name}.py`,
    ["import os, sys", "words = {str(i): [i] * (i % 7) for i in range(20000)}", "print(len(words))", last, ""].join(
      "\n",
    ),
  );
}

interface Run {
  out: string;
  dir: string;
  status: number;
  err: string;
}

/** `pymem record` of one script into a directory of its own. */
async function recordEnding(ending: Ending, file = "run.trace.gz"): Promise<Run> {
  const dir = mkdtempSync(`${tmpdir()}/pymem-exit-`);
  made.push(dir);
  const out = `${dir}/${file}`;
  let err = "";
  const status = await main(["record", out, "--", `${scriptDir}/${ending}.py`], {
    out: () => {},
    err: (s) => {
      err += s;
    },
  });
  return { out, dir, status, err };
}

interface Recorded {
  header: Record<string, string>;
  ops: number;
  liveAtEnd: number;
}

function readTrace(run: Run): Recorded {
  const bytes = readFileSync(run.out);
  const text = run.out.endsWith(".gz") ? gunzipSync(bytes).toString("utf8") : bytes.toString("utf8");
  const trace = parseTrace(text);
  const summary = replayTrace(trace, createHeap().blocks);
  const header = trace.header.fields as Record<string, string>;
  const ops = trace.ops.length - 1; // the start-up checkpoint is not an op
  expect(header.ops).toMatch(new RegExp(`^${ops} \\(`));
  expect(Number(header["live-at-end"])).toBe(summary.liveBlocksAtEnd);
  return { header, ops, liveAtEnd: summary.liveBlocksAtEnd };
}

let baseline: Promise<Recorded> | undefined;
/** The same program ending by running off its end: what a complete trace looks like. */
function plainRun(): Promise<Recorded> {
  baseline ??= recordEnding("plain").then((run) => {
    expect(run.status, run.err).toBe(0);
    return readTrace(run);
  });
  return baseline;
}

/** The whole trace: start-up, the program and finalization, which frees nearly every block. */
async function expectComplete(run: Run, exitStatus: number): Promise<void> {
  expect(readdirSync(run.dir)).toEqual([run.out.slice(run.dir.length + 1)]);
  const trace = readTrace(run);
  expect(trace.header["exit-status"]).toBe(String(exitStatus));
  const plain = await plainRun();
  // Raising and handling the exit costs a few dozen ops; a trace cut short of finalization would miss tens of
  // thousands of frees.
  expect(Math.abs(trace.ops - plain.ops)).toBeLessThan(plain.ops / 100);
  expect(Math.abs(trace.liveAtEnd - plain.liveAtEnd)).toBeLessThanOrEqual(20);
  expect(plain.liveAtEnd).toBeLessThan(1000);
}

describe.skipIf(env.skip !== undefined)(
  `pymem record, however the program ends${env.skip ? ` (skipped: ${env.skip})` : ""}`,
  () => {
    it("records a program that calls sys.exit(0), and succeeds", async () => {
      const run = await recordEnding("exit0");
      expect(run.status, run.err).toBe(0);
      expect(run.err).toBe(`trace written to ${run.out}\n`);
      await expectComplete(run, 0);
    });

    it("records a program that raises SystemExit, and succeeds", async () => {
      const run = await recordEnding("systemExit");
      expect(run.status, run.err).toBe(0);
      await expectComplete(run, 0);
    });

    it.each([
      ["exit3", 3],
      ["exitMessage", 1],
      ["uncaught", 1],
      ["interrupt", 130],
    ] as const)("records %s and reports its exit status %i", async (ending, exitStatus) => {
      const run = await recordEnding(ending);
      expect(run.status).toBe(1);
      expect(run.err).toContain(`the program exited with status ${exitStatus}; trace written to ${run.out}`);
      await expectComplete(run, exitStatus);
    });

    it("writes an uncompressed trace as well", async () => {
      const run = await recordEnding("exit3", "run.trace");
      expect(run.status).toBe(1);
      await expectComplete(run, 3);
    });

    it("fails clearly, leaving nothing behind, when the program skips finalization with os._exit", async () => {
      const run = await recordEnding("osExit");
      expect(run.status).toBe(1);
      expect(run.err).toMatch(/^pymem record: the recorder wrote no trace/);
      expect(readdirSync(run.dir)).toEqual([]);
    });
  },
);

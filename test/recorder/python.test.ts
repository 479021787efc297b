/**
 * `pymem record --python`: a recording made with any CPython 3.8 or later
 * that has a shared libpython, Debian's sid builds (run through their own C
 * library) included; one recorder build per interpreter, so switching never
 * runs another's; the trace names its release and `pymem replay` takes the
 * profile from it.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { main } from "../../cli/main.js";
import { recorderFor } from "../../cli/record.js";
import { pythonFor, recordingPython } from "../support/python.js";

const dir = mkdtempSync(`${tmpdir()}/pymem-python-`);
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const script = `${dir}/program.py`;
writeFileSync(script, "import sys\nrows = [str(i) * 3 for i in range(5000)]\nprint(sys.version_info[:2], len(rows))\n");

async function run(argv: string[]): Promise<{ status: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const status = await main(argv, {
    out: (s) => {
      out += s;
    },
    err: (s) => {
      err += s;
    },
  });
  return { status, out, err };
}

const py312 = recordingPython("3.12");
const py313 = recordingPython("3.13");
const py315 = recordingPython("3.15");
const skip = py312.why ?? py313.why ?? py315.why;

describe.skipIf(skip !== undefined)(`pymem record --python${skip ? ` (skipped: ${skip})` : ""}`, () => {
  it("records with each interpreter, and replay takes the profile from the trace", async () => {
    const cases = [
      { py: py315.python as string, release: /^3\.15\./, profile: "cpython-3.15" },
      { py: py312.python as string, release: /^3\.12\./, profile: "cpython-3.12" },
      { py: py313.python as string, release: /^3\.13\./, profile: "cpython-3.13" },
      // Back to the first: its own build again, not the last one made.
      { py: py315.python as string, release: /^3\.15\./, profile: "cpython-3.15" },
    ];
    for (const [k, c] of cases.entries()) {
      const out = `${dir}/t${k}.trace.gz`;
      const r = await run(["record", "--python", c.py, out, "--", script]);
      expect(r.status, r.err).toBe(0);
      const text = gunzipSync(readFileSync(out)).toString("utf8");
      const release = text.match(/^# python: (.*)$/m)?.[1] ?? "";
      expect(release).toMatch(c.release);
      const replay = await run(["replay", out, "-q"]);
      expect(replay.status, replay.err).toBe(0);
      expect(replay.out).toMatch(new RegExp(`profile +${c.profile.replaceAll(".", "\\.")}\n`));
      const loud = await run(["replay", out]);
      expect(loud.err).toContain(
        `profile ${c.profile} (the trace was recorded by CPython ${release}; -p chooses another)`,
      );
    }
  }, 300_000);

  it("builds one recorder per interpreter, named by its release", () => {
    const builds = fileURLToPath(new URL("../../tools/recorder/build/", import.meta.url));
    const binaries = [py312, py313, py315].map((p) => recorderFor(p.python as string).binary);
    expect(new Set(binaries).size).toBe(3);
    for (const b of binaries) expect(existsSync(b)).toBe(true);
    const names = readdirSync(builds);
    for (const v of ["3.12.", "3.13.", "3.15."]) expect(names.some((n) => n.startsWith(v))).toBe(true);
  });
});

describe("pymem record --python refuses what it cannot record with", () => {
  it("names a missing interpreter", async () => {
    const r = await run(["record", "--python", `${dir}/no-such-python`, `${dir}/x.trace`, "--", script]);
    expect(r.status).toBe(1);
    expect(r.err).toContain(`${dir}/no-such-python: no such interpreter`);
    expect(existsSync(`${dir}/x.trace`)).toBe(false);
  });

  const py27 = pythonFor("2.7");
  it.skipIf(py27 === undefined)("names a CPython older than 3.8 and its release", async () => {
    const r = await run(["record", "--python", py27 as string, `${dir}/y.trace`, "--", script]);
    expect(r.status).toBe(1);
    expect(r.err).toMatch(/is CPython 2\.7\.\d+: the recorder needs 3\.8 or later/);
  });
});

/** pymem/node's entry points: bad arguments get a TypeError naming them, before any file is touched. */
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { describe, expect, it } from "vitest";
import {
  htmlReport,
  openTrace,
  readTrace,
  recordTrace,
  replayFile,
  traceFiles,
  writeHtmlReport,
} from "../../cli/node.js";

describe("pymem/node", () => {
  it("refuses what is not a path, a command or a list of runs, naming it", async () => {
    await expect(readTrace(42 as never)).rejects.toThrow(/path must be a file's path, got number/);
    await expect(readTrace("")).rejects.toThrow(TypeError);
    expect(() => openTrace(undefined as never)).toThrow(/path must be a file's path, got undefined/);
    await expect(replayFile({} as never)).rejects.toThrow(/path must be a file's path, got object/);
    await expect(recordTrace("out.trace", [] as never)).rejects.toThrow(/command must be \[script, \.\.\.args\]/);
    await expect(recordTrace(7 as never, ["x.py"])).rejects.toThrow(/out must be a file's path/);
    await expect(recordTrace("o.trace", ["x.py"], { python: 3 as never })).rejects.toThrow(/options\.python must be/);
    await expect(recordTrace("o.trace", ["x.py"], { stats: {} as never })).rejects.toThrow(/options\.stats must be/);
    await expect(recordTrace("o.trace", ["x.py"], null as never)).rejects.toThrow(/options must be an object/);
    await expect(replayFile(traceFiles.startup, { arenas: 5 as never })).rejects.toThrow(/options\.arenas must be/);
    expect(() => htmlReport("runs" as never, "t")).toThrow(/runs must be an array/);
    const dir = mkdtempSync(`${tmpdir()}/pymem-node-`);
    await expect(writeHtmlReport(`${dir}/r.html`, [], 3 as never)).rejects.toThrow(/title must be a string/);
    expect(existsSync(`${dir}/r.html`)).toBe(false);
  });

  it("replays a trace under the profile of the release that recorded it, unless told", async () => {
    const own = await replayFile(traceFiles.startup);
    expect(own.profile).toBe(`cpython-${own.header.python?.split(".").slice(0, 2).join(".")}`);
    expect((await replayFile(traceFiles.startup, { profile: "cpython-3.9" })).profile).toBe("cpython-3.9");
  });

  it("reads a shipped trace whole, and streams it as often as asked", async () => {
    const whole = await readTrace(traceFiles.startup);
    const stream = openTrace(traceFiles.startup);
    for (let i = 0; i < 2; i++) {
      let n = 0;
      for await (const b of stream) n += b.length;
      expect(n).toBe(whole.ops.length);
    }
    expect(stream.header.fields.python).toBe(whole.header.fields.python);
  });
});

import { describe, expect, it, vi } from "vitest";
import { main } from "../../cli/main.js";
import { VERSION } from "../../src/index.js";

function run(args: string[]) {
  let out = "";
  let err = "";
  const spy = vi.spyOn(process.stderr, "write").mockImplementation((s) => {
    err += String(s);
    return true;
  });
  try {
    const status = main(args, (s) => {
      out += s;
    });
    return { status, out, err };
  } finally {
    spy.mockRestore();
  }
}

describe("pymem command", () => {
  it("prints the version and the help", () => {
    expect(run(["--version"])).toMatchObject({ status: 0, out: `${VERSION}\n` });
    expect(run(["help"]).out).toMatch(/Usage:/);
    expect(run([]).status).toBe(0);
  });

  it("demo runs pymalloc and prints CPython's stats report", () => {
    const r = run(["demo", "--profile", "cpython-3.9"]);
    expect(r.status).toBe(0);
    expect(r.out).toMatch(/under cpython-3\.9/);
    expect(r.out).toMatch(/\d+ arenas \* 262144 bytes\/arena/);
  });

  it("lists the profiles", () => {
    expect(run(["profiles"]).out.split("\n").filter(Boolean)).toHaveLength(7);
  });

  it("exits 2 on usage errors, naming the problem", () => {
    expect(run(["frobnicate"])).toMatchObject({
      status: 2,
      err: expect.stringMatching(/unknown command "frobnicate"/),
    });
    expect(run(["demo", "--profile", "cpython-9"])).toMatchObject({
      status: 2,
      err: expect.stringMatching(/"cpython-9"/),
    });
    expect(run(["--bogus"]).status).toBe(2);
  });
});

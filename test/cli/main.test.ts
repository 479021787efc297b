import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import { gunzipSync, gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { main } from "../../cli/main.js";
import {
  createHeap,
  defaultProfile,
  parseProfileSpec,
  parseTrace,
  profileFromJson,
  profiles,
  replayTrace,
  VERSION,
} from "../../src/index.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const startup = `${root}cli/traces/startup.trace.gz`;
const scratch = mkdtempSync(`${tmpdir()}/pymem-cli-`);

async function run(args: string[]) {
  let out = "";
  let err = "";
  const status = await main(args, {
    out: (s: string) => {
      out += s;
    },
    err: (s: string) => {
      err += s;
    },
  });
  return { status, out, err };
}

function traceFile(name: string, text: string, gzip = false): string {
  const path = `${scratch}/${name}`;
  writeFileSync(path, gzip ? gzipSync(text) : text);
  return path;
}

describe("pymem command", () => {
  it("replay reports what replayTrace reports in code on createHeap's heap", async () => {
    const r = await run(["replay", startup, "--json", "-q"]);
    const cli = JSON.parse(r.out) as { summary: { peakRawBytes: number; peakLiveBlocks: number } };
    const heap = createHeap({ profile: "cpython-3.11" });
    const code = replayTrace(parseTrace(gunzipSync(readFileSync(startup)).toString()), heap.blocks);
    expect(code.peakRawBytes).toBe(cli.summary.peakRawBytes);
    expect(code.peakLiveBlocks).toBe(cli.summary.peakLiveBlocks);
  });

  it("prints the version and help for every command", async () => {
    expect(await run(["--version"])).toMatchObject({ status: 0, out: `${VERSION}\n` });
    expect((await run(["help"])).out).toMatch(/replay.*\n.*compare/s);
    for (const c of ["replay", "compare", "profiles", "demo"]) {
      const r = await run(["help", c]);
      expect(r.status, c).toBe(0);
      expect(r.out, c).toMatch(new RegExp(`Usage: pymem ${c}`));
    }
    expect((await run([])).status).toBe(0);
  });

  it("demo replays the shipped trace of a real CPython run and prints CPython's report", async () => {
    const r = await run(["demo", "--profile", "cpython-3.9"]);
    expect(r.status).toBe(0);
    expect(r.out).toMatch(/under cpython-3\.9/);
    expect(r.out).toMatch(/\d+ arenas \* 262144 bytes\/arena/);
  });

  it("lists the profiles, as text and JSON", async () => {
    const listed = (await run(["profiles"])).out;
    // A line of parameters and one of what it is proved against, per profile, then which is the default.
    expect(listed.split("\n").filter((l) => l.startsWith("cpython-"))).toHaveLength(Object.keys(profiles).length);
    expect(listed.split("\n").filter((l) => l.startsWith("  "))).toHaveLength(Object.keys(profiles).length);
    expect(listed).toContain(`The default is ${defaultProfile.name}`);
    expect(listed).toMatch(/cpython-3\.15 +arenas.*\n {2}3\.15: pymalloc live runs of CPython 3\.15\.2/);
    expect(Object.keys(JSON.parse((await run(["profiles", "--json"])).out))).toContain("cpython-3.13");
  });

  it("replay prints a summary, a time series, checkpoint reports and JSON", async () => {
    const path = traceFile("small.trace", "# python: 3.11.7\nm 0 24\nm 1 100\ns\nr 0 40\nf 1\nc 2 4 8\ns\nf 0\nf 2\n");
    const r = await run(["replay", path, "--every", "2", "--every-checkpoint", "-q"]);
    expect(r.status).toBe(0);
    expect(r.out).toMatch(/ops +9 \(malloc 2, calloc 1, realloc 1, free 3, checkpoints 2\)/);
    expect(r.out).toMatch(/peak 2 blocks/);
    expect(r.out.match(/--- stats at line \d+/g)).toHaveLength(2);
    expect(r.out).toMatch(/--- stats at the end\nSmall block threshold/);
    const j = JSON.parse((await run(["replay", path, "--json", "--stats"])).out);
    expect(j.summary.ops).toBe(9);
    expect(j.stats).toMatch(/^Small block threshold/);
  });

  it("replay --svg writes the heap map at the end and at each s line", async () => {
    const path = traceFile("maps.trace", "m 0 24\nm 1 100\ns\nf 1\nm 2 300\ns\nf 0\n");
    const svg = `${scratch}/heap.svg`;
    const r = await run(["replay", path, "--svg", svg, "-q"]);
    expect(r.status).toBe(0);
    const written = [...r.err.matchAll(/written to (.*)$/gm)].map((m) => m[1]);
    expect(written).toEqual([`${scratch}/heap.line-3.svg`, `${scratch}/heap.line-6.svg`, svg]);
    const pools = (file: string) => readFileSync(file, "utf8").match(/data-state="(used|full)"/g)?.length ?? 0;
    // 24 and 100 bytes at line 3, 24 and 300 at line 6, 300 alone at the end: two, two, then one pool in use.
    expect(written.map((f) => pools(f as string))).toEqual([2, 2, 1]);
    expect((await run(["replay", path, "--svg", `${scratch}/no/such/dir/heap.svg`, "-q"])).status).toBe(1);
  });

  it("replay reads gzip and plain traces alike", async () => {
    const text = "m 0 10\nm 1 600\nf 0\nf 1\n";
    const a = JSON.parse((await run(["replay", traceFile("p.trace", text), "--json"])).out);
    const b = JSON.parse((await run(["replay", traceFile("p.trace.gz", text, true), "--json"])).out);
    expect(a.summary.ops).toBe(4);
    expect(b.summary.ops).toBe(4);
    expect(b.summary.peakLiveBytes).toBe(a.summary.peakLiveBytes);
  });

  it("malformed traces exit 1 naming the file and line", async () => {
    const cases: Array<[string, RegExp]> = [
      ["m 0 8\nx 1 2\n", /:2: expected an op letter/],
      ["m 0\n", /:1: expected 2 field\(s\) after 'm', got 1/],
      ["m 0 8 9\n", /:1: expected 2 field\(s\) after 'm', got more/],
      ["m 0 -8\n", /:1: expected a non-negative decimal integer/],
      ["m 0 1.5\n", /:1: expected a non-negative decimal integer/],
      ["m 0 8\nf 1\n", /:2: block 1 is not live/],
      ["m 0 8\nm 0 8\n", /:2: block 0 is already live/],
      ["m 0 8\nf 0\nr 0 9\n", /:3: block 0 is not live/],
      ["m 0 99999999999\n", /:1: the allocator failed/],
    ];
    for (const [i, [text, message]] of cases.entries()) {
      const path = traceFile(`bad-${i}.trace`, text);
      const r = await run(["replay", path, "-q"]);
      expect(r.status, text).toBe(1);
      expect(r.err, text).toContain(path);
      expect(r.err, text).toMatch(message);
    }
    const missing = await run(["replay", `${scratch}/nope.trace`]);
    expect(missing).toMatchObject({ status: 1, err: expect.stringMatching(/nope\.trace: cannot read/) });
    const notGzip = traceFile("fake.trace.gz", "");
    writeFileSync(notGzip, Buffer.from([0x1f, 0x8b, 1, 2, 3]));
    expect((await run(["replay", notGzip])).status).toBe(1);
  });

  it("exits 2 on usage errors, naming the problem", async () => {
    expect(await run(["frobnicate"])).toMatchObject({
      status: 2,
      err: expect.stringMatching(/unknown command 'frobnicate'/),
    });
    expect(await run(["demo", "--profile", "cpython-9"])).toMatchObject({
      status: 2,
      err: expect.stringMatching(/"cpython-9"/),
    });
    expect((await run(["replay"])).status).toBe(2);
    expect((await run(["replay", startup, "--every", "0"])).status).toBe(2);
    expect((await run(["compare", startup])).status).toBe(2);
    expect((await run(["--bogus"])).status).toBe(2);
  });

  it("compare shows what 3.9's small arenas and pools imply against 3.11's", async () => {
    const r = await run(["compare", startup, "-p", "cpython-3.9", "-p", "cpython-3.11", "--json"]);
    expect(r.status).toBe(0);
    const [r39, r311] = JSON.parse(r.out) as Array<Record<string, number | string>>;
    expect(r39?.profile).toBe("cpython-3.9");
    // 256 KiB arenas: more of them; 4 KiB pools are page-aligned, so nothing is lost to alignment.
    expect(r39?.arenasHighwater as number).toBeGreaterThan(r311?.arenasHighwater as number);
    expect(r39?.arenaAlignmentBytes).toBe(0);
    expect(r311?.arenaAlignmentBytes as number).toBeGreaterThan(0);
    // Four times the pools: four times the pool headers.
    expect(r39?.poolHeaderBytes as number).toBeGreaterThan(r311?.poolHeaderBytes as number);
    const table = await run(["compare", startup, "-p", "cpython-3.9", "-p", "cpython-3.11", "--jobs", "2"]);
    expect(table.status).toBe(0);
    expect(table.out).toMatch(/cpython-3\.9 .*\n.*cpython-3\.11/);
  });
});

describe("pymem replay without -p", () => {
  it("takes the profile of the release the trace's header names, and says so", async () => {
    const body = "m 0 24\nm 1 700\nf 0\n";
    const cases: Array<[string, string, RegExp]> = [
      ["# python: 3.14.2\n", "cpython-3.14.0", /profile cpython-3\.14\.0 \(the trace was recorded by CPython 3\.14\.2/],
      ["# python: 3.14.10\n", "cpython-3.14", /profile cpython-3\.14 \(the trace was recorded by CPython 3\.14\.10/],
      ["# python: 3.9.18\n", "cpython-3.9", /profile cpython-3\.9 \(/],
      ["# python: 2.7.18\n", defaultProfile.name, /no profile models CPython 2\.7\.18/],
      ["", defaultProfile.name, /does not say which CPython recorded it/],
    ];
    for (const [header, profile, said] of cases) {
      const path = traceFile(`h-${profile}-${header.length}.trace.gz`, header + body, true);
      const r = await run(["replay", path]);
      expect(r, header).toMatchObject({ status: 0, err: expect.stringMatching(said) });
      expect(r.out).toMatch(new RegExp(`profile +${profile.replace(/\./g, "\\.")}\n`));
      const json = await run(["replay", path, "--json"]);
      expect(JSON.parse(json.out).profile).toBe(profile);
      expect(json.err).toBe("");
    }
    // -p still decides.
    const path = traceFile("h-explicit.trace", `# python: 3.14.10\n${body}`);
    expect(JSON.parse((await run(["replay", path, "-p", "cpython-3.8", "--json"])).out).profile).toBe("cpython-3.8");
  });
});

describe("pymem with a profile of the user's own", () => {
  it("compares a JSON profile with 256 KiB arenas, and NAME:key=value, against the built-in one", async () => {
    const json = `${scratch}/small-arenas.json`;
    writeFileSync(json, JSON.stringify({ extends: "cpython-3.11", name: "small-arenas", arenaSize: 262144 }));
    const r = await run([
      "compare",
      startup,
      "-p",
      "cpython-3.11",
      "-p",
      json,
      "-p",
      "cpython-3.11:arenaSize=256KiB",
      "--json",
    ]);
    expect(r.status).toBe(0);
    const rows = JSON.parse(r.out) as Array<{ profile: string; arenasHighwater: number; peakRawBytes: number }>;
    expect(rows.map((x) => x.profile)).toEqual(["cpython-3.11", "small-arenas", "cpython-3.11:arenaSize=256KiB"]);
    // The same profile spelled two ways replays alike; smaller arenas take more of them.
    expect(rows[2]).toMatchObject({ arenasHighwater: rows[1]?.arenasHighwater, peakRawBytes: rows[1]?.peakRawBytes });
    expect(rows[1]?.arenasHighwater).toBeGreaterThan(rows[0]?.arenasHighwater ?? 0);
    // And what replayTrace gives in code under the same profile.
    const heap = createHeap({ profile: parseProfileSpec("cpython-3.11:arenaSize=256KiB") });
    const code = replayTrace(parseTrace(gunzipSync(readFileSync(startup)).toString()), heap.blocks);
    expect(code.arenasHighwater).toBe(rows[1]?.arenasHighwater);
    expect(code.peakRawBytes).toBe(rows[1]?.peakRawBytes);
    const one = await run(["replay", startup, "-p", json, "--json", "-q"]);
    expect(JSON.parse(one.out)).toMatchObject({ profile: "small-arenas" });
  });

  it("prints a profile to start a JSON file from, which reads back as that profile", async () => {
    const r = await run(["profiles", "--json", "cpython-3.10"]);
    expect(r.status).toBe(0);
    const file = `${scratch}/p310.json`;
    writeFileSync(file, r.out);
    const back = await run(["profiles", "--json", file]);
    expect(JSON.parse(back.out)).toEqual(JSON.parse(r.out));
    expect(JSON.parse(r.out)).toEqual(JSON.parse(JSON.stringify(profileFromJson(JSON.parse(r.out)))));
    expect((await run(["profiles", "cpython-3.11:arenaSize=4MiB"])).out).toMatch(/arenas 4096 KiB/);
  });

  it("names the file, the field and the value of a bad profile (exit 2)", async () => {
    const bad = `${scratch}/bad.json`;
    writeFileSync(bad, JSON.stringify({ extends: "cpython-3.11", arenaSize: 300000 }));
    const typo = `${scratch}/typo.json`;
    writeFileSync(typo, JSON.stringify({ extends: "cpython-3.11", arenasize: 262144 }));
    writeFileSync(`${scratch}/broken.json`, "{ nope");
    const cases: Array<[string, RegExp]> = [
      [bad, /bad\.json: profile\.arenaSize must be a power of two.*300000/],
      [typo, /typo\.json: unknown profile field "arenasize" \(did you mean arenaSize\?\)/],
      [`${scratch}/broken.json`, /broken\.json: not JSON/],
      [`${scratch}/none.json`, /cannot read the profile file .*none\.json: ENOENT/],
      ["cpython-3.11:poolSize=3000", /profile\.poolSize must be a power of two/],
      ["cpython-3.99", /unknown profile "cpython-3\.99".*NAME:key=value/],
    ];
    for (const [p, message] of cases) {
      expect(await run(["replay", startup, "-p", p]), p).toMatchObject({
        status: 2,
        err: expect.stringMatching(message),
      });
    }
  });

  it("says each option's default once, and runs no more threads than the machine has cores", async () => {
    const help = (await run(["compare", "--help"])).out;
    for (const d of help.match(/\(default: [^)]*\)/g) ?? []) expect(help.split(d).length, d).toBe(2);
    expect((await run(["demo", "--help"])).out.replace(/\s+/g, " ")).toMatch(
      /\(default: the profile of the release that recorded the shipped trace, cpython-3\.11\)/,
    );
    expect((await run(["replay", "--help"])).out.replace(/\s+/g, " ")).toMatch(
      new RegExp(`\\(default: the release the trace's "# python:" line names, else ${defaultProfile.name}\\)`),
    );
    const r = await run(["compare", startup, "-p", "cpython-3.9", "-p", "cpython-3.11", "--jobs", "64"]);
    expect(r.status).toBe(0);
    expect(r.err).toMatch(new RegExp(`--jobs 64: this machine has ${availableParallelism()} CPU core`));
  });
});

describe("pymem replay --stats prints the real pymalloc's report", () => {
  for (const version of ["3.8", "3.9", "3.10", "3.11"]) {
    const golden = JSON.parse(readFileSync(`${root}test/oracle/golden/pymalloc-${version}.json`, "utf8")) as Record<
      string,
      string
    >;
    const traces: Array<[string, string]> = [
      ["startup", startup],
      ["demo", `${root}cli/traces/demo.trace.gz`],
    ];
    for (const big of ["difflib_text", "regex_tokens"]) {
      const path = `${root}../shared/traces/${big}.trace.gz`;
      try {
        readFileSync(path, { flag: "r" }).length;
        traces.push([big, path]);
      } catch {}
    }
    for (const [name, path] of traces) {
      it(`${name} under cpython-${version} ends with the same report as libpython${version}`, async () => {
        const r = await run(["replay", path, "--profile", `cpython-${version}`, "--stats", "-q"]);
        expect(r.status).toBe(0);
        const report = r.out.slice(r.out.indexOf("--- stats at the end\n") + "--- stats at the end\n".length);
        expect(golden[`final-stats:${name}`]).toMatch(/^Small block/);
        expect(report).toBe(golden[`final-stats:${name}`]);
      }, 120_000);
    }
  }
});

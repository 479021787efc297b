/**
 * Traces that know their types: a program recorded by `pymem record` under
 * each installed release names its blocks, and at its checkpoint the bytes
 * by type that `typeUsage` and `pymem replay --by-type` report are the
 * objects `gc.get_objects()` lists and the sizes `sys.getsizeof` gives in the
 * live run.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { main } from "../../cli/main.js";
import { parseTrace, type TypeBytes, type TypeTable, typeUsage } from "../../src/index.js";
import { recordingPython } from "../support/python.js";

const RELEASES = ["3.8", "3.9", "3.10", "3.11", "3.12", "3.13", "3.14", "3.15"];

// Types every instance of which the gc tracks, so gc.get_objects() lists them all: lists, sets, instances of
// classes with and without __slots__. The program sizes the population from its arguments.
const PROGRAM = `
import gc, json, sys, _pymem_record
n, out = int(sys.argv[1]), sys.argv[2]
def census():
    counts, sizes = {}, {}
    for o in gc.get_objects():
        t = type(o)
        if t is list or t is set or t is Plain or t is Slotted:
            counts[t.__name__] = counts.get(t.__name__, 0) + 1
            sizes[t.__name__] = sizes.get(t.__name__, 0) + sys.getsizeof(o)
    return {"counts": counts, "sizes": sizes}
class Plain:
    def __init__(self, i):
        self.a = i
        self.b = str(i)
class Slotted:
    __slots__ = ("x", "y")
# A full collection empties the free lists, so that a block of a dead list is no block at the checkpoint.
gc.collect()
_pymem_record.checkpoint()
before = census()
lists = [[i] * (i % 7) for i in range(3 * n)]
grown = []
for i in range(n):
    grown.append([])
    grown[-1].extend(range(i % 40))
sets = [set(range(i % 9)) for i in range(n // 2)]
plains = [Plain(i) for i in range(n)]
slotted = [Slotted() for i in range(n // 3)]
floats = [float(i) + 0.5 for i in range(n)]
names = [("k%05d" % i) * (1 + i % 5) for i in range(n)]
gc.collect()
_pymem_record.checkpoint()
after = census()
with open(out, "w") as f:
    json.dump({"before": before, "after": after, "names": sum(sys.getsizeof(s) for s in names)}, f)
`;

const dir = mkdtempSync(`${tmpdir()}/pymem-types-`);
const scriptDir = mkdtempSync(`${tmpdir()}/pymem-types-script-`);
const script = `${scriptDir}/population.py`;
writeFileSync(script, PROGRAM);

async function run(args: string[]): Promise<{ status: number; out: string; err: string }> {
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

function row(t: TypeTable, name: string) {
  return t.types.find((u) => u.type === name);
}

function expectAddsUp(t: TypeTable): void {
  const bytes = t.types.reduce((a, u) => a + u.bytes, 0) + t.untypedBytes;
  const blocks = t.types.reduce((a, u) => a + u.objects + u.parts, 0) + t.untypedBlocks;
  expect(bytes).toBe(t.liveBytes);
  expect(blocks).toBe(t.liveBlocks);
}

for (const release of RELEASES) {
  const found = recordingPython(release);
  describe.skipIf(found.python === undefined)(
    `pymem record names blocks by type, CPython ${release}${found.why ? ` (skipped: ${found.why})` : ""}`,
    () => {
      const python = found.python as string;
      const n = 1200;
      type Census = { counts: Record<string, number>; sizes: Record<string, number> };
      let live: { before: Census; after: Census; names: number };
      let trace: string;

      it("records the program", async () => {
        trace = `${dir}/population-${release}.trace.gz`;
        const json = `${dir}/population-${release}.json`;
        const r = await run(["record", "--python", python, trace, "--", script, String(n), json]);
        expect(r.status, r.err).toBe(0);
        live = JSON.parse(readFileSync(json, "utf8"));
        expect(live.after.counts.Plain).toBe(n);
      }, 120_000);

      // Between two checkpoints, so that objects the gc does not list (a few untracked lists of start-up, held by
      // the interpreter) count on neither side.
      it("between two checkpoints, each type's objects are gc.get_objects()'s and their bytes sys.getsizeof's", () => {
        const parsed = parseTrace(gunzipSync(readFileSync(trace)).toString("utf8"));
        expect(parsed.header.fields.annotations).toMatch(/^type, part/);
        const usage = typeUsage(parsed, { checkpoints: true });
        expect(usage.annotated).toBe(true);
        // The first s line ends start-up; the program's are the next two.
        const [, before, after] = usage.checkpoints as [TypeTable, TypeTable, TypeTable];
        expectAddsUp(before);
        expectAddsUp(after);
        const delta = (name: string, f: (u: TypeBytes) => number) =>
          (row(after, name) ? f(row(after, name) as TypeBytes) : 0) -
          (row(before, name) ? f(row(before, name) as TypeBytes) : 0);
        const liveDelta = (c: "counts" | "sizes", name: string) =>
          (live.after[c][name] ?? 0) - (live.before[c][name] ?? 0);
        const got: Record<string, number> = {};
        const want: Record<string, number> = {};
        for (const name of ["list", "set", "Plain", "Slotted"]) {
          got[`${name} objects`] = delta(name, (u) => u.objects);
          want[`${name} objects`] = liveDelta("counts", name);
        }
        // sys.getsizeof of a list or a set counts its items or table too: the blocks the objects own.
        for (const name of ["list", "set"]) {
          got[`${name} bytes`] = delta(name, (u) => u.bytes);
          want[`${name} bytes`] = liveDelta("sizes", name);
        }
        got["Slotted bytes"] = delta("Slotted", (u) => u.objectBytes);
        want["Slotted bytes"] = liveDelta("sizes", "Slotted");
        expect(got).toEqual(want);
        // strs the gc does not list: at least the program's own n names, and their bytes.
        expect(delta("str", (u) => u.objects)).toBeGreaterThanOrEqual(n);
        expect(delta("str", (u) => u.objectBytes)).toBeGreaterThanOrEqual(live.names);
        // Most bytes are named: what is not is pymalloc's callers' own memory (the interpreter's, buffers of
        // objects the recorder does not look into).
        expect(after.untypedBytes).toBeLessThan(after.liveBytes * 0.3);
      });

      it("pymem replay --by-type prints bytes by type that add up to the live bytes, at the peak and the end", async () => {
        const r = await run(["replay", trace, "--by-type", "--json", "-q"]);
        expect(r.status, r.err).toBe(0);
        const out = JSON.parse(r.out);
        expect(out.byType.annotated).toBe(true);
        expectAddsUp(out.byType.peak);
        expectAddsUp(out.byType.end);
        expect(out.byType.peak.liveBytes).toBe(out.summary.peakLiveBytes);
        expect(out.byType.peak.liveBlocks).toBeLessThanOrEqual(out.summary.peakLiveBlocks);
        const text = await run(["replay", trace, "--by-type", "-q"]);
        expect(text.out).toMatch(/bytes by type at the peak \(after op [\d,]+\): [\d,]+ live blocks/);
        expect(text.out).toMatch(/^ {2}Plain +[\d,]+ /m);
      }, 120_000);
    },
  );
}

// No checkpoint after start-up: what the lists own is named by the recorder's passes between bytecodes.
const NO_CHECKPOINTS = `
import sys
n = int(sys.argv[1])
keep = [[i] * 3 for i in range(1000, 1000 + n)]
junk = 0
for i in range(6 * n):
    junk += len(str(i))
del keep
`;

for (const release of ["3.8", "3.11", "3.13", "3.15"]) {
  const found = recordingPython(release);
  it.skipIf(found.python === undefined)(
    `names what objects own without checkpoints, through passes between bytecodes, CPython ${release}${found.why ? ` (skipped: ${found.why})` : ""}`,
    async () => {
      const n = 40_000;
      const program = `${scriptDir}/no-checkpoints.py`;
      writeFileSync(program, NO_CHECKPOINTS);
      const trace = `${dir}/no-checkpoints-${release}.trace.gz`;
      const r = await run(["record", "--python", found.python as string, trace, "--", program, String(n)]);
      expect(r.status, r.err).toBe(0);
      const text = gunzipSync(readFileSync(trace)).toString("utf8");
      // One s line (start-up's): every list's items block made after it is named by a pass or not at all.
      expect(text.match(/^s$/gm)).toHaveLength(1);
      const after = text.slice(text.indexOf("\ns\n"));
      const parts = after.match(/^# part \d+ list$/gm)?.length ?? 0;
      expect(parts).toBeGreaterThanOrEqual(0.9 * n);
      expect(parts).toBeLessThanOrEqual(n + 1000);
    },
    120_000,
  );
}

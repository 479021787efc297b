/**
 * DebugAllocator against the real debug hooks: each installed CPython 3.8–3.13
 * (and Debian's 3.14 and 3.15) runs with PYTHONMALLOC=debug and drives PyObject_Malloc, _Calloc, _Realloc
 * and _Free through ctypes; the bytes of every block (its header, data and
 * pads, and the raw layer's around blocks pymalloc cannot serve) after every
 * call, and whether pymalloc moved it, must equal pymem's. (Where the raw
 * domain puts a block is the C library's choice: pymem's RawAllocator is not
 * glibc, so only the bytes of raw blocks are compared, not their moves.) Then blocks are
 * corrupted (overrun, underrun, freed through the wrong domain) and freed:
 * CPython's report on stderr, addresses aside, must equal the report pymem's
 * HeapCorruptionError carries. Hashes of what the real hooks gave
 * (golden/debug-3.X.json) keep the check where the interpreters are missing.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  BlockAllocator,
  DebugAllocator,
  HeapCorruptionError,
  type ProfileName,
  profiles,
  RawAllocator,
} from "../../src/index.js";
import { compared } from "../support/comparisons.js";
import { debianPython, pythonFor } from "../support/python.js";
import { intIn, rng } from "../support/random.js";

type Op = ["m" | "c", number, number] | ["w", number, number] | ["r", number, number] | ["f", number, number];

// -s, not -I: isolated mode would ignore PYTHONMALLOC.

/** A seeded program of object-domain calls: sizes on both sides of what pymalloc serves under the hooks (488). */
function program(seed: number, length: number): Op[] {
  const rand = rng(seed * 31 + 7);
  const ops: Op[] = [];
  const live: number[] = [];
  let next = 0;
  const size = () => (rand() < 0.7 ? intIn(rand, 0, 520) : intIn(rand, 400, 1200));
  for (let i = 0; i < length; i++) {
    const r = rand();
    if (live.length === 0 || r < 0.35) {
      const k = next++;
      ops.push([rand() < 0.2 ? "c" : "m", k, size()], ["w", k, 0]);
      live.push(k);
    } else if (r < 0.75) {
      ops.push(["r", live[intIn(rand, 0, live.length - 1)] as number, size()]);
    } else {
      const j = intIn(rand, 0, live.length - 1);
      ops.push(["f", live[j] as number, 0]);
      live.splice(j, 1);
    }
  }
  for (const k of live) ops.push(["f", k, 0]);
  return ops;
}

// The Python side: the same calls through ctypes, printing what each left in memory, as hex.
const DRIVER = `
import ctypes, json, sys
api = ctypes.pythonapi
api.PyObject_Malloc.restype = ctypes.c_void_p
api.PyObject_Malloc.argtypes = [ctypes.c_size_t]
api.PyObject_Calloc.restype = ctypes.c_void_p
api.PyObject_Calloc.argtypes = [ctypes.c_size_t, ctypes.c_size_t]
api.PyObject_Realloc.restype = ctypes.c_void_p
api.PyObject_Realloc.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
api.PyObject_Free.argtypes = [ctypes.c_void_p]
blocks = {}
raw = {}
out = []
def bytes_of(p, n, outer):
    # A block pymalloc could not serve sits inside a raw-domain debug block: 16 more bytes before, 8 after.
    return ctypes.string_at(p - 16 - outer, n + 24 + outer + outer // 2).hex()
for op, k, n in json.loads(sys.stdin.read()):
    if op in ("m", "c"):
        p = api.PyObject_Malloc(n) if op == "m" else api.PyObject_Calloc(1, n)
        blocks[k] = (p, n)
        raw[k] = n + 24 > 512
        out.append(bytes_of(p, n, 16 if raw[k] else 0))
    elif op == "w":
        p, size = blocks[k]
        ctypes.memmove(p, bytes((i * 7 + k) & 255 for i in range(size)), size)
    elif op == "r":
        p, old = blocks[k]
        q = api.PyObject_Realloc(p, n)
        blocks[k] = (q, n)
        # Once raw, always raw; where raw blocks go is the C library's choice, not pymalloc's.
        raw[k] = raw[k] or n + 24 > 512
        # A pool block reallocated in place: also what is left of it past the new tail.
        ext = max(n, old) if q == p and not raw[k] else n
        out.append(("moved " if q != p and not raw[k] else "") + bytes_of(q, ext, 16 if raw[k] else 0))
    else:
        p, n = blocks.pop(k)
        api.PyObject_Free(p)
print(json.dumps(out))
`;

function bytesOf(blocks: BlockAllocator, p: number, n: number, raw: boolean): string {
  const outer = raw ? 16 : 0;
  const from = p - 16 - outer;
  return Buffer.from(blocks.raw.u8.subarray(from, from + n + 24 + outer + outer / 2)).toString("hex");
}

function runPymem(ops: Op[], profile: ProfileName): string[] {
  const blocks = new BlockAllocator({ raw: new RawAllocator(), profile: profiles[profile] });
  const debug = new DebugAllocator({ allocator: blocks });
  const live = new Map<number, [number, number]>();
  const raw = new Map<number, boolean>();
  const out: string[] = [];
  for (const [op, k, n] of ops) {
    if (op === "m" || op === "c") {
      const p = op === "m" ? debug.malloc(n) : debug.calloc(1, n);
      live.set(k, [p, n]);
      raw.set(k, n + 24 > 512);
      out.push(bytesOf(blocks, p, n, raw.get(k) === true));
    } else if (op === "w") {
      const [p, size] = live.get(k) as [number, number];
      for (let i = 0; i < size; i++) blocks.raw.u8[p + i] = (i * 7 + k) & 255;
    } else if (op === "r") {
      const [p, old] = live.get(k) as [number, number];
      const q = debug.realloc(p, n);
      live.set(k, [q, n]);
      const isRaw = raw.get(k) === true || n + 24 > 512;
      expect(blocks.owns(q)).toBe(!isRaw);
      raw.set(k, isRaw);
      const ext = q === p && !isRaw ? Math.max(n, old) : n;
      out.push((q !== p && !isRaw ? "moved " : "") + bytesOf(blocks, q, ext, isRaw));
    } else {
      const [p] = live.get(k) as [number, number];
      live.delete(k);
      debug.free(p);
    }
  }
  blocks.validate();
  return out;
}

// Corruptions, each then freed: CPython's report must come out the same.
const CORRUPT = `
import ctypes, sys
api = ctypes.pythonapi
for f in ("PyObject_Malloc", "PyMem_Malloc"):
    getattr(api, f).restype = ctypes.c_void_p
    getattr(api, f).argtypes = [ctypes.c_size_t]
api.PyObject_Free.argtypes = [ctypes.c_void_p]
case, n = sys.argv[1], int(sys.argv[2])
p = (api.PyMem_Malloc if case == "domain" else api.PyObject_Malloc)(n)
ctypes.memmove(p, bytes(range(1, n + 1)), n)
if case == "overrun":
    ctypes.memset(p + n + 2, 0x78, 1)
elif case == "underrun":
    ctypes.memset(p - 3, 0, 1)
sys.stderr.flush()
api.PyObject_Free(p)
`;

function normalise(report: string): string {
  const lines = report.replace(/0x[0-9a-f]+(?=[: ])/g, "ADDR").split("\n");
  const fatal = lines.findIndex((l) => l.startsWith("Fatal Python error"));
  return lines.slice(0, fatal + 1).join("\n");
}

function pymemReport(profile: ProfileName, kase: string, n: number): string {
  const blocks = new BlockAllocator({ raw: new RawAllocator(), profile: profiles[profile] });
  const object = new DebugAllocator({ allocator: blocks });
  const mem = new DebugAllocator({ allocator: blocks, domain: "mem" });
  const p = (kase === "domain" ? mem : object).malloc(n);
  for (let i = 0; i < n; i++) blocks.raw.u8[p + i] = i + 1;
  if (kase === "overrun") blocks.raw.u8[p + n + 2] = 0x78;
  if (kase === "underrun") blocks.raw.u8[p - 3] = 0;
  try {
    object.free(p);
  } catch (e) {
    expect(e).toBeInstanceOf(HeapCorruptionError);
    return (e as HeapCorruptionError).report ?? "";
  }
  throw new Error(`${kase}: no corruption found`);
}

const VERSIONS = ["3.8", "3.9", "3.10", "3.11", "3.12", "3.13", "3.14", "3.15"] as const;

/** pyenv's CPython, else Debian's of today (3.14, 3.15: installed on demand). */
function interpreter(v: string): string | undefined {
  return pythonFor(v) ?? (v === "3.14" || v === "3.15" ? debianPython(v).python : undefined);
}

const SEEDS = 100;
const CORRUPTIONS = [
  ["overrun", 16],
  ["overrun", 40],
  ["underrun", 5],
  ["domain", 24],
] as const;
const goldenDir = fileURLToPath(new URL("./golden/", import.meta.url));
const update = process.env.UPDATE_GOLDEN === "1";
const hash = (x: unknown) => createHash("sha256").update(JSON.stringify(x)).digest("hex");

/** What a golden keeps of one release's real runs: each program's lines and each report, hashed. */
interface DebugGolden {
  programs: string[];
  reports: Record<string, string>;
}

describe("DebugAllocator against CPython's debug hooks (PYTHONMALLOC=debug)", () => {
  for (const v of VERSIONS) {
    const python = interpreter(v);
    const profile = `cpython-${v}` as ProfileName;
    const goldenPath = `${goldenDir}debug-${v}.json`;
    const real: DebugGolden = { programs: [], reports: {} };
    it.skipIf(python === undefined)(
      `${v}: every block's bytes after every call, ${SEEDS} seeded programs${python ? "" : ` (skipped: no python${v} installed)`}`,
      () => {
        for (let seed = 0; seed < SEEDS; seed++) {
          const ops = program(seed, 40);
          const r = spawnSync(python as string, ["-s", "-c", DRIVER], {
            input: JSON.stringify(ops),
            encoding: "utf8",
            env: { ...process.env, PYTHONMALLOC: "debug" },
          });
          expect(r.status, r.stderr).toBe(0);
          const lines = JSON.parse(r.stdout) as string[];
          const ours = runPymem(ops, profile);
          expect(ours.length).toBe(lines.length);
          ours.forEach((line, i) => {
            expect(line, `seed ${seed}, op ${i}`).toBe(lines[i]);
          });
          real.programs.push(hash(lines));
        }
        compared(python as string, "real", "debug hooks", SEEDS);
      },
    );
    it.skipIf(python === undefined)(
      `${v}: overrun, underrun and a block freed through the wrong domain give CPython's report${python ? "" : ` (skipped: no python${v} installed)`}`,
      () => {
        for (const [kase, n] of CORRUPTIONS) {
          const r = spawnSync(python as string, ["-s", "-c", CORRUPT, kase, String(n)], {
            encoding: "utf8",
            env: { ...process.env, PYTHONMALLOC: "debug" },
          });
          expect(r.status).not.toBe(0);
          expect(normalise(pymemReport(profile, kase, n)), `${kase} ${n}`).toBe(normalise(r.stderr));
          real.reports[`${kase} ${n}`] = hash(normalise(r.stderr));
        }
        compared(python as string, "real", "debug hooks", CORRUPTIONS.length);
        // Both real runs done: the golden is what they saw (rewritten with UPDATE_GOLDEN=1, else checked).
        if (real.programs.length !== SEEDS) return;
        if (update) writeFileSync(goldenPath, `${JSON.stringify(real, null, 1)}\n`);
        else expect(real, `golden of ${v} is stale: rerun with UPDATE_GOLDEN=1`).toEqual(readGolden(goldenPath));
      },
    );
    it(`${v}: matches the bytes and reports recorded from the real debug hooks`, () => {
      const golden = readGolden(goldenPath);
      expect(golden.programs).toHaveLength(SEEDS);
      for (let seed = 0; seed < SEEDS; seed++) {
        expect(hash(runPymem(program(seed, 40), profile)), `seed ${seed}`).toBe(golden.programs[seed]);
      }
      for (const [kase, n] of CORRUPTIONS) {
        expect(hash(normalise(pymemReport(profile, kase, n))), `${kase} ${n}`).toBe(golden.reports[`${kase} ${n}`]);
      }
      compared(v, "golden", "debug hooks", SEEDS + CORRUPTIONS.length);
    });
  }
});

function readGolden(path: string): DebugGolden {
  if (!existsSync(path)) throw new Error(`${path} is missing: run with UPDATE_GOLDEN=1 where the interpreter is`);
  return JSON.parse(readFileSync(path, "utf8")) as DebugGolden;
}

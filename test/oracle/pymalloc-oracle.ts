/**
 * The differential harness for pymalloc: replays a trace through pymem's
 * BlockAllocator, writing the same event stream pymalloc-replay.c writes for
 * the real libpython, and finds, builds and runs that C program.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { type LiveRun, liveArenas } from "../../cli/live-run.js";
import { type ArenaAllocator, BlockAllocator, type Profile, RawAllocator } from "../../src/index.js";
import { GOLDEN_ONLY } from "../support/python.js";
import type { RuleProbe } from "./rule-probe.js";

const here = fileURLToPath(new URL(".", import.meta.url));

/** pymem's side of one trace: the stream lines and the arena offsets it took, in order. */
export interface PymemRun {
  lines: string[];
  /** What each call of the arena allocator returned, in order (0: none to give). */
  arenas: number[];
}

/** An arena allocator that tells what it returned, in order. */
export interface PlacingArenas extends ArenaAllocator {
  /** Every address `alloc` returned, 0 included. */
  readonly placed: number[];
}

/**
 * Replays trace text through a fresh BlockAllocator under `profile`,
 * recording the comparison stream; its arenas come from the raw allocator,
 * or from the arena allocator `place` makes for it.
 */
export function replayWithPymem(
  text: string,
  profile: Profile,
  place?: (raw: RawAllocator) => PlacingArenas,
): PymemRun {
  // Below 1 GiB, so that every arena fits the C harness's 1 GiB-aligned region the same way.
  const raw = new RawAllocator({ maxBytes: 2 ** 30 - 2 ** 22 });
  const placing = place?.(raw);
  const blocks = new BlockAllocator({ raw, profile, ...(placing ? { arenaAllocator: placing } : {}) });
  const lines: string[] = [];
  const taken: number[] = [];
  const arenas = placing?.placed ?? taken;
  blocks.on("arena:alloc", (e) => {
    taken.push(e.address);
    lines.push(`+${e.address}`);
  });
  blocks.on("arena:free", (e) => lines.push(`-${e.address}`));
  const addr = (p: number) => lines.push(blocks.owns(p) ? `a ${p}` : "a raw");
  const stats = () => {
    lines.push("S", ...blocks.debugMallocStats().replace(/\n$/, "").split("\n"), "E");
  };
  playText(text, blocks, addr, stats);
  stats();
  return { lines, arenas };
}

/** pymem's side of a live run: the stream as LiveRun writes it, the report at each `s` line, the ops replayed. */
export interface LiveReplay {
  lines: string[];
  stats: string[];
  ops: number;
}

/**
 * Replays a recording through a fresh BlockAllocator under `profile` with its
 * arenas where the live run had them, writing the stream the live run's
 * addresses file gives (offsets from the live base). A `probe` watches the
 * replay and hears each checkpoint.
 */
export function replayLive(text: string, profile: Profile, run: LiveRun, probe?: RuleProbe): LiveReplay {
  const raw = new RawAllocator();
  const arenaAllocator = liveArenas(run, raw);
  const blocks = new BlockAllocator({ raw, profile, arenaAllocator });
  const at = arenaAllocator.region;
  const lines: string[] = [];
  const stats: string[] = [];
  blocks.on("arena:alloc", (e) => lines.push(`+${e.address - at}`));
  blocks.on("arena:free", (e) => lines.push(`-${e.address - at}`));
  const addr = (p: number) => lines.push(blocks.owns(p) ? `a ${p - at}` : "a raw");
  probe?.attach(blocks);
  const ops = playText(text, blocks, addr, () => {
    stats.push(blocks.debugMallocStats());
    probe?.checkpoint();
  });
  return { lines, stats, ops };
}

/**
 * Plays trace text through `blocks`: `address` hears each block an m, c or r
 * line got, `checkpoint` each s line. Returns the ops played (s lines aside).
 */
export function playText(
  text: string,
  blocks: BlockAllocator,
  address: (p: number) => void,
  checkpoint: () => void,
): number {
  const ptr = new Map<number, number>();
  let ops = 0;
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const f = line.split(" ");
    const id = Number(f[1]);
    if (f[0] === "s") {
      checkpoint();
      continue;
    }
    ops++;
    if (f[0] === "m") ptr.set(id, blocks.malloc(Number(f[2])));
    else if (f[0] === "c") ptr.set(id, blocks.calloc(Number(f[2]), Number(f[3])));
    else if (f[0] === "r") ptr.set(id, blocks.realloc(ptr.get(id) ?? 0, Number(f[2])));
    else if (f[0] === "f") {
      blocks.free(ptr.get(id) ?? 0);
      ptr.delete(id);
      continue;
    } else throw new Error(`bad trace line ${JSON.stringify(line)}`);
    address(ptr.get(id) as number);
  }
  return ops;
}

/** sha256 of a stream, for golden files. */
export function streamHash(lines: readonly string[]): string {
  return createHash("sha256").update(lines.join("\n")).digest("hex");
}

/** An installed CPython whose shared libpython and headers can build the harness. */
export interface Interpreter {
  version: string;
  /** The interpreter's executable. */
  python: string;
  include: string;
  libdir: string;
  library: string;
}

/** Finds CPython `version` (e.g. "3.11"): through pyenv, else `pythonX.Y` on PATH; asks its sysconfig. */
export function findInterpreter(version: string): Interpreter | string {
  if (GOLDEN_ONLY) return "PYMEM_GOLDEN_ONLY is set: goldens only";
  const candidates: string[] = [];
  const pyenv = spawnSync("pyenv", ["prefix", version], { encoding: "utf8" });
  if (pyenv.status === 0) candidates.push(`${pyenv.stdout.trim()}/bin/python${version}`);
  candidates.push(`python${version}`);
  for (const python of candidates) {
    const r = spawnSync(
      python,
      [
        "-c",
        "import sysconfig as s; print(s.get_config_var('LIBDIR')); print(s.get_paths()['include']); print(s.get_config_var('LDLIBRARY')); print(s.get_config_var('Py_ENABLE_SHARED'))",
      ],
      { encoding: "utf8" },
    );
    if (r.status !== 0) continue;
    const [libdir, include, ldlibrary, shared] = r.stdout.trim().split("\n");
    if (shared !== "1" || !libdir || !include || !ldlibrary) return `CPython ${version} has no shared libpython`;
    if (!existsSync(`${libdir}/${ldlibrary}`)) return `libpython ${libdir}/${ldlibrary} is missing`;
    if (!existsSync(`${include}/Python.h`)) return `Python.h is missing from ${include}`;
    return { version, python, include, libdir, library: `python${version}` };
  }
  return `CPython ${version} is not installed (neither pyenv nor python${version} on PATH)`;
}

/** Compiles pymalloc-replay.c against `py`; returns the binary's path, or why it could not. */
export function buildReplay(py: Interpreter): string | { skip: string } {
  if (spawnSync("gcc", ["--version"]).status !== 0) return { skip: "gcc is not installed" };
  const dir = `${here}build`;
  mkdirSync(dir, { recursive: true });
  const out = `${dir}/pymalloc-replay-${py.version}`;
  const r = spawnSync(
    "gcc",
    [
      "-O2",
      "-o",
      out,
      `${here}pymalloc-replay.c`,
      `-I${py.include}`,
      `-L${py.libdir}`,
      `-l${py.library}`,
      `-Wl,-rpath,${py.libdir}`,
    ],
    { encoding: "utf8" },
  );
  if (r.status !== 0) throw new Error(`building the harness for ${py.version} failed:\n${r.stderr}`);
  return out;
}

/** One trace to send to the harness. */
export interface OracleInput {
  name: string;
  text: string;
  arenas: number[];
}

/** Runs the harness over `traces`; returns each trace's stream lines. */
export function runReplay(binary: string, traces: readonly OracleInput[]): Map<string, string[]> {
  const input: string[] = [];
  for (const t of traces) {
    input.push(`trace ${t.name}`);
    const offsets = t.arenas.map(String);
    input.push(`arenas ${offsets.length}`);
    for (let i = 0; i < offsets.length; i += 200) input.push(offsets.slice(i, i + 200).join(" "));
    input.push(t.text.trimEnd(), "end");
  }
  const stdout = execFileSync(binary, [], { input: `${input.join("\n")}\n`, maxBuffer: 1 << 30, encoding: "utf8" });
  const out = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of stdout.split("\n")) {
    if (line.startsWith("trace ")) {
      current = [];
      out.set(line.slice(6), current);
    } else if (line === "done") {
      current = undefined;
    } else if (line.startsWith("! ")) {
      throw new Error(`harness: ${line.slice(2)}`);
    } else if (current !== undefined) {
      current.push(line);
    }
  }
  return out;
}

/** The first difference between two streams, as a readable message, or undefined when equal. */
export function firstDifference(expected: readonly string[], actual: readonly string[]): string | undefined {
  const n = Math.max(expected.length, actual.length);
  for (let i = 0; i < n; i++) {
    if (expected[i] !== actual[i]) {
      const from = Math.max(0, i - 3);
      return `line ${i + 1}: real CPython ${JSON.stringify(expected[i])}, pymem ${JSON.stringify(actual[i])}\ncontext (CPython): ${JSON.stringify(expected.slice(from, i + 3))}\ncontext (pymem): ${JSON.stringify(actual.slice(from, i + 3))}`;
    }
  }
  return undefined;
}

/**
 * The `pymem` command. Node only: it reads files, starts worker threads and
 * writes to the terminal; the library it drives lives in src/ and runs anywhere.
 *
 * Exit status: 0 done, 1 bad trace or failed replay (`FILE:LINE: message`), 2 usage.
 */

import { readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import {
  defaultProfile,
  type Profile,
  type ProfileProof,
  parseProfileSpec,
  profileForRelease,
  profileFromJson,
  profileProofs,
  profiles,
  TraceError,
  VERSION,
  withCommas,
} from "pymem";
import { formatByType } from "./by-type.js";
import { type JobResult, type JobSpec, runJob } from "./job.js";
import { LiveRunError } from "./live-run.js";
import { progress } from "./progress.js";
import { checkReadable, demoTracePath, readTraceHeader } from "./read-trace.js";
import { record } from "./record.js";
import { htmlReport } from "./report.js";

/** Where the command writes. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
}

const processIo: Io = {
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
};

/** A failure that is the input's fault: exit status 1. */
class InputError extends Error {}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1)
    throw new InvalidArgumentError(`expected a positive integer, got ${JSON.stringify(value)}`);
  return n;
}

/**
 * A profile from the command line: a built-in name, a name with changes
 * (`cpython-3.11:arenaSize=256KiB`), or a JSON file (a whole profile, or
 * `"extends"` and the fields that change).
 */
export function cliProfile(value: string): Profile {
  try {
    if (/\.json$/i.test(value)) {
      let text: string;
      try {
        text = readFileSync(value, "utf8");
      } catch (e) {
        throw new Error(
          `cannot read the profile file ${value}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
        );
      }
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch (e) {
        throw new Error(`${value}: not JSON: ${(e as Error).message}`);
      }
      return profileFromJson(json, value);
    }
    return parseProfileSpec(value);
  } catch (e) {
    const message = (e as Error).message;
    throw new InvalidArgumentError(
      message.startsWith('unknown profile "')
        ? `${message}; or NAME:key=value,... (e.g. cpython-3.11:arenaSize=256KiB), or a profile FILE.json`
        : message,
    );
  }
}

function profileList(value: string, previous: Profile[] | undefined): Profile[] {
  return [...(previous ?? []), cliProfile(value)];
}

/** -p for replay: by default the profile of the release the trace's header names. */
function replayProfileOption(): Option {
  return new Option(
    "-p, --profile <profile>",
    `${PROFILE_HELP} (default: the release the trace's "# python:" line names, else ${defaultProfile.name})`,
  ).argParser(cliProfile);
}

/** The profile for a trace replayed without -p: its recording release's, said on stderr. */
async function profileOfTrace(trace: string, quiet: boolean, io: Io): Promise<Profile> {
  let release: string | undefined;
  try {
    release = (await readTraceHeader(trace)).python;
  } catch {
    release = undefined; // the replay itself reports a file it cannot read
  }
  const found = release === undefined ? undefined : profileForRelease(release);
  const profile = found ?? defaultProfile;
  if (!quiet) {
    io.err(
      found !== undefined
        ? `profile ${profile.name} (the trace was recorded by CPython ${release}; -p chooses another)\n`
        : release !== undefined
          ? `profile ${profile.name}: no profile models CPython ${release}, the trace's recorder (-p chooses one)\n`
          : `profile ${profile.name}: the trace does not say which CPython recorded it (-p chooses one)\n`,
    );
  }
  return profile;
}

const PROFILE_HELP =
  "CPython profile: a name (pymem profiles lists them), NAME:key=value,... (cpython-3.11:arenaSize=256KiB) or a FILE.json";

/** Runs the command with `argv` (without node and the script path) and resolves to the exit status. */
export async function main(argv: string[], io: Io = processIo): Promise<number> {
  const program = new Command("pymem")
    .description("CPython's memory manager, simulated: replay allocation traces through pymalloc and compare profiles")
    .version(VERSION, "-v, --version")
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .showHelpAfterError("(run pymem help for usage)");
  const run: { task?: () => Promise<void> } = {};

  program
    .command("replay")
    .description("replay a trace (plain or .gz) through pymalloc and print a summary")
    .argument("<trace>", "trace file, trace-format v1, gzip or not")
    .addOption(replayProfileOption())
    .option("--stats", "print _PyObject_DebugMallocStats' report at the end")
    .option("--every-checkpoint", "also print the report at each s line (implies --stats)")
    .option("--every <n>", "sample a time series every n ops", positiveInt)
    .option("--json", "print the result as JSON")
    .option("--svg <file>", "write the heap map at the end to file, and at each s line to file.line-N.svg")
    .option("--html <file>", "write a self-contained HTML report (charts, heap map, stats) to file")
    .option(
      "--by-type",
      "print live blocks and bytes per Python type at the peak and the end (traces of pymem record), and colour --svg maps by type",
    )
    .option(
      "--arenas <file>",
      "put the arenas where a live run had them (the --addresses file of pymem record): its alignment losses too",
    )
    .option("-q, --quiet", "no progress bar")
    .action((trace: string, o: ReplayOpts) => {
      run.task = () => replayCommand(trace, o, io);
    });

  program
    .command("compare")
    .description("replay traces under several profiles and compare what pymalloc did")
    .argument("<traces...>", "trace files")
    .requiredOption("-p, --profile <profile>", `${PROFILE_HELP}; repeat the option`, profileList)
    .option("-j, --jobs <n>", "worker threads, at most one per CPU core", positiveInt, 1)
    .option("--json", "print the rows as JSON")
    .option("--html <file>", "write one HTML report with the profiles side by side to file")
    .option("-q, --quiet", "no progress bar")
    .action((traces: string[], o: CompareOpts) => {
      run.task = () => compareCommand(traces, o, io);
    });

  program
    .command("profiles")
    .description("list the CPython profiles and their parameters, or print one to start a profile FILE.json from")
    .argument("[profile]", "one profile (a name, NAME:key=value,... or a FILE.json)")
    .option("--json", "print as JSON")
    .action((spec: string | undefined, o: { json?: boolean }) => {
      run.task = async () => {
        const one = spec === undefined ? undefined : cliProfile(spec);
        if (o.json) io.out(`${JSON.stringify(one ?? profiles, null, 2)}\n`);
        else for (const p of one ? [one] : Object.values(profiles)) io.out(`${describeProfile(p)}\n`);
        if (!o.json && one === undefined) {
          io.out(
            `\nThe default is ${defaultProfile.name}, the newest release whose every layer is proved against the real interpreter (docs/which-profile.md).\n`,
          );
        }
      };
    });

  program
    .command("demo")
    .description("replay a trace of a real CPython run shipped with pymem and show what pymalloc did")
    .addOption(
      new Option(
        "-p, --profile <profile>",
        `${PROFILE_HELP} (default: the profile of the release that recorded the shipped trace, cpython-3.11)`,
      ).argParser(cliProfile),
    )
    .action((o: { profile?: Profile }) => {
      run.task = () => demoCommand(o.profile, io);
    });

  program
    .command("record")
    .description("run a Python program in an embedded CPython (3.8 or later) and record its allocation trace")
    .argument("<out>", "trace file to write (.gz to compress)")
    .argument("<script>", "the Python script, after --")
    .argument("[args...]", "the script's arguments")
    .option(
      "--python <python>",
      "the CPython to record with: any 3.8+ with a shared libpython and headers (default: $PYMEM_PYTHON, else python3)",
    )
    .option("--addresses <file>", "also write the live run's block and arena addresses, to check a replay against")
    .option(
      "--stats <file>",
      "also write the live pymalloc's report (sys._debugmallocstats()) at every checkpoint: start-up's end and each _pymem_record.checkpoint() the program calls",
    )
    .usage("[options] OUT.trace.gz -- script.py [args...]")
    .action(
      (out: string, script: string, args: string[], o: { python?: string; addresses?: string; stats?: string }) => {
        run.task = async () => {
          let status: number;
          try {
            status = await record(out, [script, ...args], o);
          } catch (e) {
            throw new InputError(`pymem record: ${(e as Error).message}`);
          }
          if (status !== 0)
            throw new InputError(`pymem record: the program exited with status ${status}; trace written to ${out}`);
          io.err(`trace written to ${out}\n`);
        };
      },
    );

  program.helpCommand("help [command]", "show help for a command");

  if (argv.length === 0) {
    io.out(program.helpInformation());
    return 0;
  }
  try {
    await program.parseAsync(argv, { from: "user" });
    if (run.task === undefined) {
      io.out(program.helpInformation());
      return 0;
    }
    await run.task();
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      return e.code === "commander.helpDisplayed" || e.code === "commander.version" || e.exitCode === 0 ? 0 : 2;
    }
    if (e instanceof InputError) {
      io.err(`${e.message}\n`);
      return 1;
    }
    throw e;
  }
}

interface ReplayOpts {
  profile?: Profile;
  stats?: boolean;
  everyCheckpoint?: boolean;
  every?: number;
  json?: boolean;
  svg?: string;
  html?: string;
  arenas?: string;
  byType?: boolean;
  quiet?: boolean;
}

interface CompareOpts {
  profile: Profile[];
  jobs: number;
  json?: boolean;
  html?: string;
  quiet?: boolean;
}

/** Runs a job, turning trace errors into `FILE:LINE: message`. */
async function job(spec: JobSpec, onProgress?: (ops: number) => void): Promise<JobResult> {
  try {
    await checkReadable(spec.trace);
    if (spec.arenas !== undefined) await checkReadable(spec.arenas);
  } catch (e) {
    throw new InputError((e as Error).message);
  }
  try {
    return await runJob(spec, onProgress);
  } catch (e) {
    if (e instanceof LiveRunError) throw new InputError(`${spec.arenas}: ${e.message}`);
    throw asInputError(spec.trace, e);
  }
}

function asInputError(file: string, e: unknown): unknown {
  if (e instanceof TraceError) return new InputError(`${file}:${e.line}: ${e.message.replace(/^line \d+: /, "")}`);
  const err = e as { name?: string; message?: string; line?: number };
  if (err?.name === "TraceError")
    return new InputError(`${file}:${err.line}: ${err.message?.replace(/^line \d+: /, "")}`);
  if (err?.message?.includes("incorrect header check") || (err as { code?: string })?.code === "Z_DATA_ERROR") {
    return new InputError(`${file}: not a valid gzip file: ${err.message}`);
  }
  return e;
}

async function replayCommand(trace: string, o: ReplayOpts, io: Io): Promise<void> {
  const profile = o.profile ?? (await profileOfTrace(trace, o.quiet === true || o.json === true, io));
  const total = 0;
  const bar = progress("replay", total, o.quiet === true);
  let result: JobResult;
  try {
    result = await job(
      {
        trace,
        profile,
        ...(o.everyCheckpoint ? { everyCheckpoint: true } : {}),
        ...(o.every === undefined ? {} : { every: o.every }),
        ...(o.svg === undefined ? {} : { heapMaps: true }),
        ...(o.html === undefined ? {} : { report: true }),
        ...(o.arenas === undefined ? {} : { arenas: o.arenas }),
        ...(o.byType ? { byType: true } : {}),
      },
      (ops) => bar.update(ops),
    );
  } finally {
    bar.stop();
  }
  if (o.svg !== undefined) await writeHeapMaps(o.svg, result, io);
  if (o.html !== undefined) await writeReport(o.html, [result], `pymem replay: ${trace} under ${result.profile}`, io);
  const stats = o.stats || o.everyCheckpoint;
  if (o.json) {
    io.out(
      `${JSON.stringify(
        {
          trace,
          profile: result.profile,
          header: result.header,
          summary: result.summary,
          atPeak: result.atPeak,
          ...(stats ? { stats: result.finalStats } : {}),
          ...(o.everyCheckpoint ? { checkpoints: result.checkpoints } : {}),
          ...(result.byType
            ? { byType: { annotated: result.byType.annotated, peak: result.byType.peak, end: result.byType.end } }
            : {}),
        },
        null,
        2,
      )}\n`,
    );
    return;
  }
  io.out(formatSummary(result));
  if (result.byType) io.out(`\n${formatByType(result.byType)}`);
  if (o.every !== undefined) io.out(`\n${formatSeries(result)}`);
  if (o.everyCheckpoint) {
    // Ops here are allocator calls, as a recording's header and its live reports count them: the earlier s lines
    // (each an op of the replay) are left out.
    result.checkpoints.forEach((cp, earlier) => {
      io.out(`\n--- stats at line ${cp.line} (after ${withCommas(cp.op - earlier)} ops)\n${cp.stats ?? ""}`);
    });
  }
  if (stats) io.out(`\n--- stats at the end\n${result.finalStats}`);
}

async function writeReport(file: string, results: JobResult[], title: string, io: Io): Promise<void> {
  try {
    await writeFile(file, htmlReport(results, title));
  } catch (e) {
    throw new InputError(`${file}: cannot write the report: ${(e as Error).message}`);
  }
  io.err(`report written to ${file}\n`);
}

/** The end's map to `file`, each `s` line's beside it (heap.svg, heap.line-120.svg). */
async function writeHeapMaps(file: string, result: JobResult, io: Io): Promise<void> {
  const dot = file.toLowerCase().endsWith(".svg") ? file.length - 4 : file.length;
  for (const map of result.heapMaps) {
    const path = map.line === 0 ? file : `${file.slice(0, dot)}.line-${map.line}${file.slice(dot) || ".svg"}`;
    try {
      await writeFile(path, map.svg);
    } catch (e) {
      throw new InputError(`${path}: cannot write the heap map: ${(e as Error).message}`);
    }
    io.err(`heap map ${map.line === 0 ? "at the end" : `at line ${map.line}`} written to ${path}\n`);
  }
}

function formatSummary(r: JobResult): string {
  const s = r.summary;
  const rows: Array<[string, string]> = [["trace", r.trace]];
  const h = r.header;
  if (h.python !== undefined || h.workload !== undefined) {
    rows.push([
      "recorded",
      [h.python && `python ${h.python}`, h.workload && `workload ${h.workload}`].filter(Boolean).join(", "),
    ]);
  }
  rows.push(["profile", r.profile]);
  rows.push([
    "ops",
    `${withCommas(s.ops)} (malloc ${withCommas(s.mallocs)}, calloc ${withCommas(s.callocs)}, realloc ${withCommas(s.reallocs)}, free ${withCommas(s.frees)}, checkpoints ${withCommas(s.checkpoints)})`,
  ]);
  rows.push([
    "live blocks",
    `peak ${withCommas(s.peakLiveBlocks)} blocks holding ${withCommas(s.peakLiveBytes)} requested bytes; ${withCommas(s.liveBlocksAtEnd)} at the end`,
  ]);
  rows.push(["arenas", `high-water ${withCommas(s.arenasHighwater ?? 0)}`]);
  rows.push([
    "raw heap",
    `peak ${withCommas(s.peakRawBytes ?? 0)} bytes held from the RawAllocator (arenas and large blocks)`,
  ]);
  const p = r.atPeak;
  rows.push([
    "at that peak",
    `lost to quantization ${withCommas(p.quantizationBytes)}, pool headers ${withCommas(p.poolHeaderBytes)}, arena alignment ${withCommas(p.arenaAlignmentBytes)} bytes`,
  ]);
  rows.push(["time", `${s.elapsedMs.toFixed(0)} ms, ${s.nsPerOp.toFixed(0)} ns/op`]);
  return `${rows.map(([k, v]) => `${k.padEnd(13)} ${v}`).join("\n")}\n`;
}

function formatSeries(r: JobResult): string {
  const lines = ["        op   live blocks    live bytes  arenas  pools"];
  for (const x of r.series) {
    const pools = x.poolsPerClass.reduce((a, b) => a + b, 0);
    lines.push(
      `${withCommas(x.op).padStart(10)} ${withCommas(x.liveBlocks).padStart(13)} ${withCommas(x.liveBytes).padStart(13)} ${String(x.arenas).padStart(7)} ${String(pools).padStart(6)}`,
    );
  }
  return `${lines.join("\n")}\n`;
}

async function compareCommand(traces: string[], o: CompareOpts, io: Io): Promise<void> {
  const specs: JobSpec[] = traces.flatMap((trace) =>
    o.profile.map((profile) => ({ trace, profile, ...(o.html === undefined ? {} : { report: true }) })),
  );
  for (const t of traces) {
    try {
      await checkReadable(t);
    } catch (e) {
      throw new InputError((e as Error).message);
    }
  }
  const bar = progress("compare", specs.length, o.quiet === true);
  let done = 0;
  const tick = () => bar.update(++done);
  let results: JobResult[];
  try {
    // More threads than cores run no faster and stretch every job's wall time, so its ns/op.
    const jobs = Math.min(o.jobs, availableParallelism(), specs.length);
    if (o.jobs > availableParallelism() && !o.quiet) {
      io.err(`--jobs ${o.jobs}: this machine has ${availableParallelism()} CPU core(s); running ${jobs} at a time\n`);
    }
    results = jobs > 1 ? await inWorkers(specs, jobs, tick) : [];
    if (results.length === 0) {
      for (const spec of specs) {
        results.push(await job(spec));
        tick();
      }
    }
  } finally {
    bar.stop();
  }
  if (o.html !== undefined) {
    await writeReport(
      o.html,
      results,
      `pymem compare: ${traces.join(", ")} under ${o.profile.map((p) => p.name).join(", ")}`,
      io,
    );
  }
  const rows = results.map((r) => ({
    trace: r.trace,
    profile: r.profile,
    ops: r.summary.ops,
    arenasHighwater: r.summary.arenasHighwater ?? 0,
    peakRawBytes: r.summary.peakRawBytes ?? 0,
    quantizationBytes: r.atPeak.quantizationBytes,
    poolHeaderBytes: r.atPeak.poolHeaderBytes,
    arenaAlignmentBytes: r.atPeak.arenaAlignmentBytes,
    nsPerOp: Math.round(r.summary.nsPerOp),
  }));
  if (o.json) {
    io.out(`${JSON.stringify(rows, null, 2)}\n`);
    return;
  }
  const head = [
    "trace",
    "profile",
    "arenas hw",
    "peak raw bytes",
    "quantization",
    "pool headers",
    "arena alignment",
    "ns/op",
  ];
  const body = rows.map((r) => [
    r.trace,
    r.profile,
    withCommas(r.arenasHighwater),
    withCommas(r.peakRawBytes),
    withCommas(r.quantizationBytes),
    withCommas(r.poolHeaderBytes),
    withCommas(r.arenaAlignmentBytes),
    withCommas(r.nsPerOp),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] as string).length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i < 2 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join("  ");
  io.out(`${[line(head), ...body.map(line)].join("\n")}\n`);
  io.out("(bytes lost are taken when the raw allocator held the most)\n");
}

/** Runs jobs on `n` worker threads; results in the order of `specs`. */
async function inWorkers(specs: JobSpec[], n: number, tick: () => void): Promise<JobResult[]> {
  const built = import.meta.url.endsWith(".js");
  const script = new URL(built ? "./compare-worker.js" : "./compare-worker-dev.mjs", import.meta.url);
  const results: JobResult[] = new Array(specs.length);
  let next = 0;
  const workers = Array.from({ length: n }, () => new Worker(fileURLToPath(script)));
  try {
    await Promise.all(
      workers.map(
        (w) =>
          new Promise<void>((resolve, reject) => {
            const feed = () => {
              if (next >= specs.length) return resolve();
              const i = next++;
              w.once(
                "message",
                (m: { ok: boolean; result?: JobResult; error?: { name: string; message: string; line?: number } }) => {
                  if (!m.ok) return reject(asInputError((specs[i] as JobSpec).trace, m.error));
                  results[i] = m.result as JobResult;
                  tick();
                  feed();
                },
              );
              w.postMessage(specs[i]);
            };
            w.once("error", reject);
            feed();
          }),
      ),
    );
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return results;
}

async function demoCommand(chosen: Profile | undefined, io: Io): Promise<void> {
  const trace = await demoTracePath();
  // The shipped trace replays under its own release's profile unless told otherwise: that is the exact one.
  const release = (await readTraceHeader(trace)).python;
  const profile = chosen ?? (release === undefined ? undefined : profileForRelease(release)) ?? defaultProfile;
  const r = await job({ trace, profile });
  io.out(
    [
      `pymem ${VERSION}: CPython's memory manager, simulated.\n`,
      `Replaying a trace recorded from CPython ${r.header.python ?? "3.11"} starting up, running a small program`,
      ` (${r.header.workload ?? "?"}) and shutting down: ${withCommas(r.summary.ops)} calls to its object allocator,`,
      ` now through pymalloc under ${r.profile}.\n\n`,
      formatSummary(r),
      "\nWhat sys._debugmallocstats() reports at the end of the trace (blocks CPython never frees are still there):\n\n",
      r.finalStats,
      "\nNext: pymem replay TRACE --stats, pymem compare TRACE -p cpython-3.9 -p cpython-3.11, pymem help\n",
    ].join(""),
  );
}

function describeProfile(p: Profile): string {
  const proof = (profileProofs as Record<string, ProfileProof>)[p.name];
  const proved =
    proof === undefined
      ? ""
      : `\n  ${proof.releases}${proof.proved ? "" : " (not every layer proved against a real interpreter)"}: pymalloc ${proof.pymalloc}; gc ${proof.gc}; refcounting and debug hooks ${proof.objects}; built-ins ${proof.builtins}`;
  return `${describeParameters(p)}${proved}`;
}

function describeParameters(p: Profile): string {
  return `${p.name.padEnd(14)} arenas ${p.arenaSize / 1024} KiB, pools ${p.poolSize / 1024} KiB, pool header ${p.poolOverhead} B, threshold ${p.smallRequestThreshold} B, ${p.keepLastFreeArena ? "keeps" : "releases"} the last free arena, gc ${p.gc} (${p.gcThresholds.join(", ")})`;
}

const invokedDirectly = process.argv[1] !== undefined && /(?:^|[\\/])(?:main\.ts|cli\.js|pymem)$/.test(process.argv[1]);
if (invokedDirectly) {
  // Output piped into a reader that stops early (pymem profiles | head) ends the command quietly, as Unix tools do.
  process.stdout.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw e;
  });
  main(process.argv.slice(2)).then(
    (status) => {
      process.exitCode = status;
    },
    (e: unknown) => {
      process.stderr.write(`pymem: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exitCode = 1;
    },
  );
}

/** `pymem record`: runs a Python program under tools/recorder's pymem-record and writes its trace. */
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream, existsSync, readdirSync, realpathSync, statSync } from "node:fs";
import { rename, rm } from "node:fs/promises";
import { constants } from "node:os";
import { pipeline } from "node:stream/promises";
import { fileURLToPath } from "node:url";
import { createGzip } from "node:zlib";

/** tools/recorder from the sources (cli/) or the installed package (dist/). */
function recorderDir(): string {
  for (const rel of ["../tools/recorder/", "../../tools/recorder/"]) {
    const dir = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(`${dir}Makefile`)) return dir;
  }
  throw new Error("tools/recorder is missing from the installation");
}

/** What the recorder needs to know of an interpreter to build against its libpython and run. */
export interface RecorderPython {
  /** The interpreter as the user named it. */
  python: string;
  /** Its release, as `platform.python_version()` says (`3.14.10`). */
  release: string;
  /** Its own executable (`sys.executable`): path-finding in the embedded interpreter starts there. */
  executable: string;
  /** Folders holding Python.h and pyconfig.h. */
  includes: string[];
  /** The folder holding its shared libpython. */
  libdir: string;
  /** The library to link (`python3.14`, `python3.8d`). */
  library: string;
  /**
   * The dynamic loader of the C library the interpreter runs on, when that is not the system's: Debian sid's
   * builds run here through the C library shipped beside them (tools/pythons/debian-python.sh).
   */
  loader?: string;
}

/** Asked of the interpreter itself; runs on any CPython 3 (and says so for 2.7). */
const PROBE = `
import json, os, platform, sys, sysconfig
v = sysconfig.get_config_var
paths = sysconfig.get_paths()
base = getattr(sys, "base_prefix", sys.prefix)
lib = v("LDLIBRARY") or ""
multiarch = v("MULTIARCH") or ""
dirs = [os.path.join(base, "lib", multiarch), os.path.join(base, "lib"), v("LIBDIR") or ""]
libdir = next((d for d in dirs if d and lib and os.path.exists(os.path.join(d, lib))), "")
print(json.dumps({"release": platform.python_version(), "executable": sys.executable,
  "includes": [paths["include"], paths["platinclude"], os.path.join(base, "include")],
  "libdir": libdir, "ldlibrary": lib, "ldversion": v("LDVERSION") or "", "shared": v("Py_ENABLE_SHARED")}))
`;

/** System folders of the C library: an interpreter whose libdir has a loader outside these brings its own. */
const SYSTEM_LIBDIRS = [
  "/lib",
  "/lib64",
  "/usr/lib",
  "/usr/lib64",
  "/lib/x86_64-linux-gnu",
  "/usr/lib/x86_64-linux-gnu",
];

const probed = new Map<string, RecorderPython>();

/** Asks `python` where its headers and shared libpython are; throws, saying why, when it cannot be recorded with. */
export function recorderPython(python: string): RecorderPython {
  const known = probed.get(python);
  if (known !== undefined) return known;
  const r = spawnSync(python, ["-c", PROBE], { encoding: "utf8" });
  if ((r.error as NodeJS.ErrnoException | undefined)?.code === "ENOENT")
    throw new Error(`${python}: no such interpreter`);
  if (r.error !== undefined || r.status !== 0) {
    throw new Error(`${python} does not run: ${(r.error?.message ?? r.stderr).trim().split("\n").at(-1) ?? ""}`);
  }
  let p: {
    release: string;
    executable: string;
    includes: string[];
    libdir: string;
    ldlibrary: string;
    ldversion: string;
    shared: number;
  };
  try {
    p = JSON.parse(r.stdout);
  } catch {
    throw new Error(`${python} is not a CPython 3.8 or later (it printed ${JSON.stringify(r.stdout.slice(0, 80))})`);
  }
  const [major, minor] = p.release.split(".").map(Number);
  if (major !== 3 || (minor ?? 0) < 8)
    throw new Error(`${python} is CPython ${p.release}: the recorder needs 3.8 or later`);
  if (p.shared !== 1 || p.libdir === "") {
    throw new Error(`${python} (CPython ${p.release}) has no shared libpython: the recorder embeds it`);
  }
  const includes = [...new Set(p.includes)].filter((d) => existsSync(d));
  if (!includes.some((d) => existsSync(`${d}/Python.h`))) {
    throw new Error(`${python} (CPython ${p.release}) has no Python.h: install its headers (the -dev package)`);
  }
  const libdir = realpathSync(p.libdir);
  const loader = SYSTEM_LIBDIRS.includes(libdir)
    ? undefined
    : readdirSync(libdir)
        .filter((f) => /^ld-linux.*\.so(\.\d+)?$/.test(f))
        .map((f) => `${libdir}/${f}`)[0];
  const found: RecorderPython = {
    python,
    release: p.release,
    executable: p.executable,
    includes,
    libdir,
    library: `python${p.ldversion}`,
    ...(loader !== undefined ? { loader } : {}),
  };
  probed.set(python, found);
  return found;
}

/** The interpreter `pymem record` uses when not told: `PYMEM_PYTHON`, else `python3`. */
export function defaultPython(): string {
  return process.env.PYMEM_PYTHON ?? "python3";
}

/** A recorder built for one interpreter: its binary and how to start it. */
export interface Recorder {
  binary: string;
  python: RecorderPython;
  /** The program and arguments that run the recorder with `args`. */
  command(args: string[]): [string, string[]];
}

/**
 * The recorder for `python`, built with make on first use into a folder of its own for that interpreter (its
 * release, headers, libpython and the file behind it), so switching interpreters never runs another's build; rebuilt
 * when the recorder's source is newer.
 */
export function recorderFor(python = defaultPython()): Recorder {
  const py = recorderPython(python);
  const dir = recorderDir();
  const libfile = `${py.libdir}/lib${py.library}.so`;
  const lib = existsSync(libfile) ? statSync(libfile) : undefined;
  const key = createHash("sha256")
    .update(JSON.stringify({ ...py, python: undefined, lib: lib && [realpathSync(libfile), lib.size, lib.mtimeMs] }))
    .digest("hex")
    .slice(0, 12);
  const build = `build/${py.release}-${key}`;
  const binary = `${dir}${build}/pymem-record`;
  if (!isBuilt(binary, dir)) {
    const args = [
      "-C",
      dir,
      `BUILD=${build}`,
      `PY_CFLAGS=${py.includes.map((d) => `-I${d}`).join(" ")}`,
      // A libpython built on a newer C library than the system's links against the system's only if its own
      // undefined symbols are left to the loader that runs it.
      `PY_LDFLAGS=-L${py.libdir} -l${py.library} -Wl,-rpath,${py.libdir}${py.loader ? " -Wl,--allow-shlib-undefined" : ""}`,
    ];
    const r = spawnSync("make", args, { encoding: "utf8" });
    if (r.status !== 0 || !isBuilt(binary, dir)) {
      throw new Error(
        `could not build the recorder for ${python} (CPython ${py.release}; it needs make, a C compiler and the interpreter's shared libpython and headers):\n${r.stderr || r.error?.message || ""}`,
      );
    }
  }
  const command = (args: string[]): [string, string[]] => {
    const all = ["--program", py.executable, ...args];
    if (py.loader === undefined) return [binary, all];
    // Run through the interpreter's own loader. The recorder cannot turn address-space randomisation off by
    // re-executing itself there (it would land in the loader), so setarch does it first.
    const libs = `${py.libdir}:/lib/x86_64-linux-gnu:/usr/lib/x86_64-linux-gnu`;
    if (spawnSync("setarch", ["-R", "true"]).status !== 0) {
      throw new Error(`${python} runs through its own C library, and that needs setarch (util-linux), not found here`);
    }
    return ["setarch", ["-R", py.loader, "--library-path", libs, binary, ...all]];
  };
  return { binary, python: py, command };
}

/** Whether `binary` exists and is newer than what it is built from, so a fixed recorder replaces an old build. */
function isBuilt(binary: string, dir: string): boolean {
  if (!existsSync(binary)) return false;
  const built = statSync(binary).mtimeMs;
  return ["pymem-record.c", "Makefile"].every((f) => statSync(`${dir}${f}`).mtimeMs <= built);
}

/** Options of `pymem record`, and of `recordTrace` in `pymem/node`. */
export interface RecordOptions {
  /** Also write the live run's block and arena addresses here. */
  addresses?: string;
  /** Also write the live pymalloc's report at every checkpoint here. */
  stats?: string;
  /** The interpreter to record with: any CPython 3.8+ with a shared libpython (default `$PYMEM_PYTHON`, else `python3`). */
  python?: string;
}

/**
 * Records `command` (a script and its arguments) into `out` (gzip when it ends
 * in .gz). Resolves to the script's exit status (128 + N when signal N ended
 * it); rejects when no trace was written. No temporary file outlives the call.
 */
export async function record(out: string, command: string[], options: RecordOptions = {}): Promise<number> {
  const recorder = recorderFor(options.python);
  // The recorder writes `${out}.tmp`, which becomes `out` only when complete; cleared first, so a file left by an
  // earlier run is never taken for this one's trace. `.tmp.body` and `.tmp.types` are in case an older recorder build
  // ran: this one removes its side files' names as soon as it has opened them.
  const tmp = `${out}.tmp`;
  const temporary = [tmp, `${tmp}.body`, `${tmp}.types`, `${out}.part`];
  const clear = () => Promise.all(temporary.map((f) => rm(f, { force: true })));
  await clear();
  const [file, args] = recorder.command([
    ...(options.addresses === undefined ? [] : ["--addresses", options.addresses]),
    ...(options.stats === undefined ? [] : ["--stats", options.stats]),
    tmp,
    "--",
    ...command,
  ]);
  try {
    const status = await new Promise<number>((resolve, reject) => {
      const child = spawn(file, args, { stdio: "inherit" });
      child.on("error", reject);
      child.on("exit", (code, signal) => resolve(code ?? 128 + (signal ? constants.signals[signal] : 0)));
    });
    if (!existsSync(tmp)) throw new Error(`the recorder wrote no trace (exit status ${status})`);
    if (out.endsWith(".gz")) {
      await pipeline(createReadStream(tmp), createGzip(), createWriteStream(`${out}.part`));
      await rename(`${out}.part`, out);
    } else {
      await rename(tmp, out);
    }
    return status;
  } finally {
    await clear();
  }
}

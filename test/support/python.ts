import { spawnSync } from "node:child_process";
import { recorderFor } from "../../cli/record.js";

/**
 * PYMEM_GOLDEN_ONLY=1: the oracle tests find no interpreter and check pymem against the goldens alone (what a
 * machine without the interpreters does; `npm run test:mutants` runs so, for speed).
 */
export const GOLDEN_ONLY = process.env.PYMEM_GOLDEN_ONLY === "1";
const GOLDEN_ONLY_WHY = "PYMEM_GOLDEN_ONLY is set: goldens only";

/** The installed CPython `version` (e.g. "3.11"): pyenv's, else `pythonX.Y` on PATH; undefined when neither runs. */
export function pythonFor(version: string): string | undefined {
  if (GOLDEN_ONLY) return undefined;
  const pyenv = spawnSync("pyenv", ["prefix", version], { encoding: "utf8" });
  const candidates = pyenv.status === 0 ? [`${pyenv.stdout.trim()}/bin/python${version}`] : [];
  candidates.push(`python${version}`);
  for (const c of candidates) if (spawnSync(c, ["-c", "pass"]).status === 0) return c;
  return undefined;
}

/** A CPython from Debian's unstable suite: its launcher and release, or why it cannot be had here. */
export interface DebianPython {
  python?: string;
  release?: string;
  why?: string;
}

const debian = new Map<string, DebianPython>();

/**
 * CPython `version` (e.g. "3.14") from Debian's unstable suite, installed on
 * first use into a cache outside the repository by
 * tools/pythons/debian-python.sh (a few seconds; nothing when cached). These
 * are the releases people run now (3.13.18, 3.14.10, 3.15.2 in December 2026).
 */
export function debianPython(version: string): DebianPython {
  if (GOLDEN_ONLY) return { why: GOLDEN_ONLY_WHY };
  const known = debian.get(version);
  if (known !== undefined) return known;
  const script = new URL("../../tools/pythons/debian-python.sh", import.meta.url).pathname;
  const r = spawnSync(script, [version], { encoding: "utf8" });
  let found: DebianPython;
  if (r.status !== 0) {
    found = { why: (r.stderr || r.error?.message || `debian-python.sh exited ${r.status}`).trim().split("\n").at(-1) };
  } else {
    const python = r.stdout.trim();
    const v = spawnSync(python, ["-c", "import platform; print(platform.python_version())"], { encoding: "utf8" });
    found =
      v.status === 0 ? { python, release: v.stdout.trim() } : { why: `${python} does not start: ${v.stderr.trim()}` };
  }
  debian.set(version, found);
  return found;
}

/** An interpreter to test against, or why there is none. */
export interface Found {
  python?: string;
  why?: string;
}

/**
 * CPython `version` as the oracles take it: 3.13–3.15 from Debian's unstable suite (the builds people run),
 * the older ones from pyenv or PATH.
 */
export function releasePython(version: string): Found {
  if (["3.13", "3.14", "3.15"].includes(version)) return debianPython(version);
  const python = pythonFor(version);
  return python ? { python } : { why: `CPython ${version} is not installed (neither pyenv nor python${version})` };
}

/** `releasePython(version)` when `pymem record` can record it (the recorder builds against it), else why not. */
export function recordingPython(version: string): Found {
  const found = releasePython(version);
  if (found.python === undefined) return { why: found.why };
  try {
    recorderFor(found.python);
    return { python: found.python };
  } catch (e) {
    return { why: (e as Error).message.split("\n")[0] };
  }
}

/**
 * The arguments (after `flags`) that make a CPython run the program written to its stdin: read whole and
 * compiled with `exec`. Given `-` (or a file), CPython tokenizes the program as a file, several times slower for
 * the oracles' programs of a megabyte or more (6.5 s against 1 s in 3.10–3.12); what the program does is the same.
 */
export function stdinProgram(...flags: string[]): string[] {
  return [...flags, "-c", "import sys; exec(compile(sys.stdin.read(), '<oracle>', 'exec'))"];
}

/**
 * Runs each of `programs` in a child of one CPython that started once: forked, the child execs the program and
 * writes what it prints back through a pipe. A child starts where a fresh interpreter of the same flags would be
 * once started (modules loaded by start-up only; nothing imported for the server but what start-up loads), for a
 * fraction of a process's start-up: the gc oracles run thousands of short programs. The programs get `__main__`'s
 * name in a dict of their own.
 */
const FORK_SERVER = `
import os, sys
sources = sys.stdin.buffer.read().split(b"\\0")
out = sys.stdout.buffer
for i, source in enumerate(sources):
    code = compile(source, "<oracle>", "exec")
    # The child would write what is buffered here as its own.
    out.flush()
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        os.dup2(w, 1)
        os.close(w)
        del sources, source, out, r, w, pid
        try:
            exec(code, {"__name__": "__main__", "__builtins__": __builtins__})
            sys.stdout.flush()
        except BaseException:
            import traceback
            traceback.print_exc()
            sys.stderr.flush()
            os._exit(1)
        os._exit(0)
    os.close(w)
    chunks = []
    while True:
        chunk = os.read(r, 65536)
        if not chunk:
            break
        chunks.append(chunk)
    os.close(r)
    status = os.waitpid(pid, 0)[1]
    if status != 0:
        sys.stderr.write("program %d failed (wait status %d)\\n" % (i, status))
        sys.exit(1)
    body = b"".join(chunks)
    out.write(b"%d\\n" % len(body))
    out.write(body)
out.flush()
`;

/** What each of `programs` printed, run by one forked-server CPython with `flags` (see FORK_SERVER). */
export async function runForked(python: string, flags: string[], programs: readonly string[]): Promise<string[]> {
  if (programs.length === 0) return [];
  const { spawn } = await import("node:child_process");
  return new Promise<string[]>((resolve, reject) => {
    const child = spawn(python, [...flags, "-c", FORK_SERVER]);
    const chunks: Buffer[] = [];
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => chunks.push(d));
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString("utf8");
    });
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0) {
        reject(new Error(`${python} failed:\n${stderr}`));
        return;
      }
      const all = Buffer.concat(chunks);
      const outs: string[] = [];
      let at = 0;
      while (at < all.length) {
        const nl = all.indexOf(10, at);
        const n = Number(all.subarray(at, nl).toString("latin1"));
        outs.push(all.subarray(nl + 1, nl + 1 + n).toString("utf8"));
        at = nl + 1 + n;
      }
      if (outs.length !== programs.length) reject(new Error(`${python}: ${outs.length} of ${programs.length} outputs`));
      else resolve(outs);
    });
    child.stdin.end(programs.join("\0"));
  });
}

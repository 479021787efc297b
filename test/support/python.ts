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

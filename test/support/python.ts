import { spawnSync } from "node:child_process";

/** The installed CPython `version` (e.g. "3.11"): pyenv's, else `pythonX.Y` on PATH; undefined when neither runs. */
export function pythonFor(version: string): string | undefined {
  const pyenv = spawnSync("pyenv", ["prefix", version], { encoding: "utf8" });
  const candidates = pyenv.status === 0 ? [`${pyenv.stdout.trim()}/bin/python${version}`] : [];
  candidates.push(`python${version}`);
  for (const c of candidates) if (spawnSync(c, ["-c", "pass"]).status === 0) return c;
  return undefined;
}

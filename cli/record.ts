/** `pymem record`: runs a Python program under tools/recorder's pymem-record and writes its trace. */
import { spawn, spawnSync } from "node:child_process";
import { createReadStream, createWriteStream, existsSync, statSync } from "node:fs";
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

/** The recorder binary, built with make on first use and rebuilt when its source is newer. */
export function recorderBinary(python = process.env.PYMEM_PYTHON ?? "python3"): string {
  const dir = recorderDir();
  const binary = `${dir}build/pymem-record`;
  if (isBuilt(binary, dir)) return binary;
  const r = spawnSync("make", ["-C", dir, `PYTHON=${python}`], { encoding: "utf8" });
  if (r.status !== 0 || !isBuilt(binary, dir)) {
    throw new Error(
      `could not build the recorder (it needs make, a C compiler and ${python}'s shared libpython and headers):\n${r.stderr || r.error?.message || ""}`,
    );
  }
  return binary;
}

/** Whether `binary` exists and is newer than what it is built from, so a fixed recorder replaces an old build. */
function isBuilt(binary: string, dir: string): boolean {
  if (!existsSync(binary)) return false;
  const built = statSync(binary).mtimeMs;
  return ["pymem-record.c", "Makefile"].every((f) => statSync(`${dir}${f}`).mtimeMs <= built);
}

/**
 * Records `command` (a script and its arguments) into `out` (gzip when it ends
 * in .gz). Resolves to the script's exit status (128 + N when signal N ended
 * it); rejects when no trace was written. No temporary file outlives the call.
 */
export async function record(out: string, command: string[], addresses?: string): Promise<number> {
  const binary = recorderBinary();
  // The recorder writes `${out}.tmp`, which becomes `out` only when complete; cleared first, so a file left by an
  // earlier run is never taken for this one's trace. `.tmp.body` is in case an older recorder build ran: this one
  // removes its body file's name as soon as it has opened it.
  const tmp = `${out}.tmp`;
  const temporary = [tmp, `${tmp}.body`, `${out}.part`];
  const clear = () => Promise.all(temporary.map((f) => rm(f, { force: true })));
  await clear();
  const args = [...(addresses === undefined ? [] : ["--addresses", addresses]), tmp, "--", ...command];
  try {
    const status = await new Promise<number>((resolve, reject) => {
      const child = spawn(binary, args, { stdio: "inherit" });
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

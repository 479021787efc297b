/** `pymem record`: runs a Python program under tools/recorder's pymem-record and writes its trace. */
import { spawn, spawnSync } from "node:child_process";
import { createReadStream, createWriteStream, existsSync } from "node:fs";
import { rename, rm } from "node:fs/promises";
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

/** The recorder binary, built with make on first use. */
export function recorderBinary(python = process.env.PYMEM_PYTHON ?? "python3"): string {
  const dir = recorderDir();
  const binary = `${dir}build/pymem-record`;
  if (existsSync(binary)) return binary;
  const r = spawnSync("make", ["-C", dir, `PYTHON=${python}`], { encoding: "utf8" });
  if (r.status !== 0 || !existsSync(binary)) {
    throw new Error(
      `could not build the recorder (it needs make, a C compiler and ${python}'s shared libpython and headers):\n${r.stderr || r.error?.message || ""}`,
    );
  }
  return binary;
}

/**
 * Records `command` (a script and its arguments) into `out` (gzip when it ends
 * in .gz). Resolves to the script's exit status.
 */
export async function record(out: string, command: string[], addresses?: string): Promise<number> {
  const binary = recorderBinary();
  const plain = out.endsWith(".gz") ? `${out}.tmp` : out;
  const args = [...(addresses === undefined ? [] : ["--addresses", addresses]), plain, "--", ...command];
  const status = await new Promise<number>((resolve, reject) => {
    const child = spawn(binary, args, { stdio: "inherit" });
    child.on("error", reject);
    child.on("exit", (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
  if (!existsSync(plain)) throw new Error(`the recorder wrote no trace (exit status ${status})`);
  if (plain !== out) {
    await pipeline(createReadStream(plain), createGzip(), createWriteStream(`${out}.part`));
    await rename(`${out}.part`, out);
    await rm(plain);
  }
  return status;
}

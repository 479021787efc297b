/** What a journey does as its user: write files into the project, run commands and scripts there. */
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, inject } from "vitest";

const root = fileURLToPath(new URL("../../", import.meta.url));

/** The user's project: pymem installed from the packed tarball. */
export const project = inject("project");

/** What a command did. */
export interface Ran {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `command` in the project, as the user's shell would. */
export function sh(command: string, args: string[], env: Record<string, string> = {}): Ran {
  const r = spawnSync(command, args, {
    cwd: project,
    encoding: "utf8",
    env: { ...process.env, ...env, NODE_OPTIONS: "" },
    maxBuffer: 64 << 20,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Writes `text` to `name` in the project; returns its path. */
export function write(name: string, text: string): string {
  const path = join(project, name);
  writeFileSync(path, text);
  return path;
}

const tsconfig = {
  compilerOptions: {
    target: "ES2022",
    module: "NodeNext",
    moduleResolution: "NodeNext",
    strict: true,
    noUncheckedIndexedAccess: true,
    skipLibCheck: false,
    noEmit: true,
    typeRoots: [join(root, "node_modules/@types")],
    types: ["node"],
  },
};

/**
 * Writes a TypeScript script, checks it as a strict user project would
 * (against the installed package's types, libraries' types included), runs
 * it, and returns what it printed. Fails the test, with the output, when
 * either step fails.
 */
export function typescript(name: string, code: string): string {
  write(name, code);
  write("tsconfig.json", JSON.stringify({ ...tsconfig, include: [name] }));
  const checked = sh(join(root, "node_modules/.bin/tsc"), ["-p", "tsconfig.json"]);
  expect(checked.status, `tsc ${name}:\n${checked.stdout}${checked.stderr}`).toBe(0);
  const ran = sh(join(root, "node_modules/.bin/tsx"), [name]);
  expect(ran.status, `tsx ${name}:\n${ran.stdout}${ran.stderr}`).toBe(0);
  return ran.stdout;
}

/** Why `pymem record` cannot run here (no C compiler, no CPython with a shared libpython), or undefined. */
export function cannotRecord(): string | undefined {
  if (spawnSync("cc", ["--version"]).status !== 0 && spawnSync("gcc", ["--version"]).status !== 0) {
    return "no C compiler";
  }
  const py = spawnSync(
    process.env.PYMEM_PYTHON ?? "python3",
    ["-c", "import sysconfig; print(sysconfig.get_config_var('Py_ENABLE_SHARED'))"],
    { encoding: "utf8" },
  );
  if (py.status !== 0) return "no python3";
  if (py.stdout.trim() !== "1") return "python3 has no shared libpython";
  return undefined;
}

/**
 * Global setup of the journeys: the package as a user gets it. Builds it
 * (when the sources are newer than dist/), packs it with npm, and installs the
 * tarball into an empty project in a temporary directory.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    /** The user's project, pymem installed from the tarball. */
    project: string;
    /** The packed tarball. */
    tarball: string;
  }
}

const root = fileURLToPath(new URL("../../", import.meta.url));

function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

function built(): boolean {
  try {
    return statSync(`${root}dist/node.js`).mtimeMs > Math.max(newest(`${root}src`), newest(`${root}cli`));
  } catch {
    return false;
  }
}

export default function setup(project: TestProject): () => void {
  const npm = (args: string[], cwd: string) =>
    execFileSync("npm", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  if (!built()) npm(["run", "build", "--silent"], root);
  const dir = mkdtempSync(`${tmpdir()}/pymem-journey-`);
  const packed = JSON.parse(npm(["pack", "--json", "--pack-destination", dir], root)) as Array<{ filename: string }>;
  const tarball = join(dir, packed[0]?.filename as string);
  const home = join(dir, "project");
  execFileSync("mkdir", ["-p", home]);
  writeFileSync(
    join(home, "package.json"),
    `${JSON.stringify({ name: "first-hour", private: true, type: "module" })}\n`,
  );
  npm(["install", tarball, "--no-audit", "--no-fund", "--prefer-offline"], home);
  project.provide("project", home);
  project.provide("tarball", tarball);
  return () => rmSync(dir, { recursive: true, force: true });
}

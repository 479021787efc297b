/**
 * The browser of the end-to-end tests: the system's Chromium (Debian's
 * package), never a downloaded one. `npm run test:e2e` calls ensureChromium()
 * first, which installs the package with apt-get where it is missing and the
 * machine allows it.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

const CANDIDATES = ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"];

/** The path of a Chromium executable: $PYMEM_CHROMIUM, or the first candidate on PATH. */
export function findChromium(): string | undefined {
  const env = process.env.PYMEM_CHROMIUM;
  if (env !== undefined && env !== "") return existsSync(env) ? env : undefined;
  for (const name of CANDIDATES) {
    const r = spawnSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" });
    const path = r.stdout.trim();
    if (r.status === 0 && path !== "") return path;
  }
  return undefined;
}

/** Finds Chromium, installing Debian's package when it is missing and apt-get can run; throws saying why not. */
export function ensureChromium(log: (s: string) => void = (s) => process.stderr.write(s)): string {
  const found = findChromium();
  if (found !== undefined) return found;
  const root = process.getuid?.() === 0;
  const apt = spawnSync("sh", ["-c", "command -v apt-get"]).status === 0;
  if (!root || !apt) {
    throw new Error(
      "no Chromium found (set PYMEM_CHROMIUM, or install Debian's chromium package: apt-get install chromium)",
    );
  }
  log("e2e: installing Debian's chromium package (apt-get)...\n");
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const install = () =>
    spawnSync("apt-get", ["install", "-y", "--no-install-recommends", "chromium"], { env, stdio: "inherit" }).status;
  if (install() !== 0) {
    execFileSync("apt-get", ["update"], { env, stdio: "inherit" });
    if (install() !== 0) throw new Error("apt-get could not install chromium");
  }
  const after = findChromium();
  if (after === undefined) throw new Error("chromium was installed but is not on PATH");
  return after;
}

/**
 * The `pymem` command. Node only: it reads files and writes to the terminal;
 * the library it drives lives in src/ and runs anywhere.
 */

import { parseArgs } from "node:util";
import { RawAllocator, VERSION } from "../src/index.js";

const HELP = `pymem ${VERSION}: CPython's memory manager, simulated

Usage:
  pymem demo            run a short allocation workload and print what the heap did
  pymem help            show this help
  pymem --version       print the version

Exit status: 0 done, 1 failed, 2 usage error.
`;

/** Runs the command with `argv` (without node and the script path) and returns the exit status. */
export function main(argv: string[], out: (s: string) => void = (s) => process.stdout.write(s)): number {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { version: { type: "boolean", short: "v" }, help: { type: "boolean", short: "h" } },
    });
  } catch (e) {
    process.stderr.write(`pymem: ${(e as Error).message}\n${HELP}`);
    return 2;
  }
  if (parsed.values.version) {
    out(`${VERSION}\n`);
    return 0;
  }
  const [command, ...rest] = parsed.positionals;
  if (parsed.values.help || command === undefined || command === "help") {
    out(HELP);
    return 0;
  }
  if (command === "demo" && rest.length === 0) {
    out(demo());
    return 0;
  }
  process.stderr.write(`pymem: unknown command ${JSON.stringify([command, ...rest].join(" "))}\n${HELP}`);
  return 2;
}

/** A deterministic mixed workload through RawAllocator, reported as text. */
function demo(): string {
  const raw = new RawAllocator({ initialBytes: 1 << 16, maxBytes: 1 << 26 });
  let grows = 0;
  raw.on("raw:grow", () => grows++);
  const live: number[] = [];
  let seed = 12345;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed / 2 ** 32;
  };
  let ops = 0;
  for (let i = 0; i < 20000; i++, ops++) {
    const r = rand();
    if (r < 0.55 || live.length === 0) live.push(raw.malloc(Math.floor(rand() ** 3 * 16384)));
    else if (r < 0.7) {
      const j = Math.floor(rand() * live.length);
      live[j] = raw.realloc(live[j] as number, Math.floor(rand() * 8192));
    } else {
      const j = Math.floor(rand() * live.length);
      raw.free(live[j] as number);
      live[j] = live[live.length - 1] as number;
      live.pop();
    }
  }
  raw.validate();
  const s = raw.stats();
  const mid = `${ops} operations (malloc / realloc / free), ${s.liveBlocks} blocks live\n`;
  for (const p of live) raw.free(p);
  raw.validate();
  const end = raw.stats();
  return [
    "pymem demo: RawAllocator (TLSF) under a random workload\n",
    mid,
    `heap ${s.heapBytes} bytes after ${grows} growth steps; in use ${s.bytesInUse}, peak ${s.peakBytesInUse}\n`,
    `free ${s.freeBytes} bytes in ${s.freeBlocks} blocks, largest ${s.largestFreeBlock}, fragmentation ${s.fragmentation.toFixed(3)}\n`,
    `after freeing everything: ${end.freeBlocks} free block of ${end.freeBytes} bytes; validate() passed\n`,
  ].join("");
}

const invokedDirectly = process.argv[1] !== undefined && /(?:^|[\\/])(?:main\.ts|cli\.js|pymem)$/.test(process.argv[1]);
if (invokedDirectly) process.exitCode = main(process.argv.slice(2));

/**
 * The `pymem` command. Node only: it reads files and writes to the terminal;
 * the library it drives lives in src/ and runs anywhere.
 */

import { parseArgs } from "node:util";
import { createHeap, profiles, VERSION } from "../src/index.js";

const HELP = `pymem ${VERSION}: CPython's memory manager, simulated

Usage:
  pymem demo [--profile NAME]   a Python-like workload through pymalloc, reported
                                as sys._debugmallocstats() reports it
  pymem profiles        list the profiles
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
      options: {
        version: { type: "boolean", short: "v" },
        help: { type: "boolean", short: "h" },
        profile: { type: "string", short: "p" },
      },
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
    const name = (parsed.values.profile as string | undefined) ?? "cpython-3.11";
    if (!(name in profiles)) {
      process.stderr.write(
        `pymem: unknown profile ${JSON.stringify(name)}; known: ${Object.keys(profiles).join(", ")}\n`,
      );
      return 2;
    }
    out(demo(name));
    return 0;
  }
  if (command === "profiles" && rest.length === 0) {
    for (const p of Object.values(profiles)) {
      out(
        `${p.name.padEnd(14)} arenas ${p.arenaSize / 1024} KiB, pools ${p.poolSize / 1024} KiB, gc ${p.gc} ${p.gcThresholds.join("/")}\n`,
      );
    }
    return 0;
  }
  process.stderr.write(`pymem: unknown command ${JSON.stringify([command, ...rest].join(" "))}\n${HELP}`);
  return 2;
}

/**
 * A deterministic, Python-like workload (many small objects, some large
 * buffers, lists that grow by realloc) through pymalloc under `profileName`,
 * reported as CPython reports it.
 */
function demo(profileName: string): string {
  const { blocks, raw, profile } = createHeap({ profile: profileName });
  const counts = { arenas: 0, pools: 0, large: 0 };
  blocks.on("arena:alloc", () => counts.arenas++);
  blocks.on("pool:init", () => counts.pools++);
  blocks.on("large:alloc", () => counts.large++);
  let seed = 12345;
  const rand = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 2 ** 32;
  };
  const live: number[] = [];
  const lists: Array<[number, number]> = [];
  const ops = 100_000;
  for (let i = 0; i < ops; i++) {
    const r = rand();
    if (r < 0.5 || live.length === 0) {
      // Objects: mostly tiny (ints, short strings, tuples), a few buffers above the threshold.
      const size = rand() < 0.02 ? 513 + Math.floor(rand() * 8000) : 16 + Math.floor(rand() ** 3 * 496);
      live.push(blocks.malloc(size));
    } else if (r < 0.55) {
      // A list's item array grows as CPython's does, by about an eighth each time.
      if (lists.length < 50 || rand() < 0.1) lists.push([blocks.malloc(32), 32]);
      const k = Math.floor(rand() * lists.length);
      const [p, n] = lists[k] as [number, number];
      const grown = n + (n >> 3) + 6 * 8;
      lists[k] = [blocks.realloc(p, grown), grown];
    } else {
      const k = Math.floor(rand() * live.length);
      blocks.free(live[k] as number);
      live[k] = live[live.length - 1] as number;
      live.pop();
    }
  }
  blocks.validate();
  const s = blocks.stats();
  return [
    `pymem demo: ${ops} allocations, reallocs and frees through pymalloc under ${profile.name}\n`,
    `${counts.arenas} arenas and ${counts.pools} pool initialisations; ${counts.large} requests went to the raw allocator\n`,
    `${s.allocatedBlocks} blocks allocated now (sys.getallocatedblocks()); heap buffer ${raw.heapBytes} bytes\n\n`,
    "sys._debugmallocstats() would print:\n\n",
    blocks.debugMallocStats(),
  ].join("");
}

const invokedDirectly = process.argv[1] !== undefined && /(?:^|[\\/])(?:main\.ts|cli\.js|pymem)$/.test(process.argv[1]);
if (invokedDirectly) process.exitCode = main(process.argv.slice(2));

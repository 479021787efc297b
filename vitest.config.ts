import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";
import LongestFirst from "./test/support/sequencer.js";

export default defineConfig({
  resolve: {
    // Examples and docs import "pymem" as users do; tests run them against the source.
    alias: [
      { find: /^pymem$/, replacement: fileURLToPath(new URL("./src/index.ts", import.meta.url)) },
      { find: /^pymem\/node$/, replacement: fileURLToPath(new URL("./cli/node.ts", import.meta.url)) },
    ],
  },
  test: {
    include: ["test/**/*.test.ts"],
    // Tallies what the oracle tests compared, per release, and prints it at the end (comparisons.ts).
    globalSetup: ["test/support/comparisons-setup.ts"],
    testTimeout: 60_000,
    // One worker per core: Vitest's default leaves one core idle, and CI's machine has two. The oracle tests wait on
    // the real interpreters they spawn, so two files at once still finish sooner (measured: 146 s → 124 s for two
    // oracle files).
    maxWorkers: 2,
    // The longest files first (test/support/sequencer.ts).
    sequence: { sequencer: LongestFirst },
  },
});

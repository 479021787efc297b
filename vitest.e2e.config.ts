import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

/** `npm run test:e2e`: pages and pictures opened in headless Chromium (e2e/). */
export default defineConfig({
  resolve: {
    alias: [
      { find: /^pymem$/, replacement: fileURLToPath(new URL("./src/index.ts", import.meta.url)) },
      { find: /^pymem\/node$/, replacement: fileURLToPath(new URL("./cli/node.ts", import.meta.url)) },
    ],
  },
  test: {
    include: ["e2e/**/*.e2e.ts"],
    globalSetup: ["e2e/setup.ts"],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    fileParallelism: false,
  },
});

import { defineConfig } from "vitest/config";

/**
 * `npm run test:journeys`: the three users' first hour, as scripts run
 * against the packed tarball installed in a temporary project (test/journeys/).
 */
export default defineConfig({
  test: {
    include: ["test/journeys/**/*.journey.ts"],
    globalSetup: ["test/journeys/setup.ts"],
    testTimeout: 240_000,
    hookTimeout: 600_000,
    fileParallelism: false,
  },
});

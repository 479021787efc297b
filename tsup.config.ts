import { defineConfig } from "tsup";

export default defineConfig([
  {
    entry: { index: "src/index.ts" },
    format: ["esm", "cjs"],
    dts: { compilerOptions: { composite: false } },
    tsconfig: "tsconfig.lib.json",
    sourcemap: true,
    clean: true,
    target: "es2022",
    platform: "neutral",
  },
  {
    entry: { cli: "cli/main.ts", "compare-worker": "cli/compare-worker.ts" },
    format: ["esm"],
    platform: "node",
    target: "node20",
    sourcemap: true,
    banner: { js: "#!/usr/bin/env node" },
  },
]);

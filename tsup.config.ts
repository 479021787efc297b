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
    // The library by its name: the package's own dist/index.js, one copy of every class.
    external: ["pymem"],
    banner: { js: "#!/usr/bin/env node" },
  },
  {
    // pymem/node: the command line's file handling as functions.
    entry: { node: "cli/node.ts" },
    format: ["esm", "cjs"],
    platform: "node",
    target: "node20",
    sourcemap: true,
    external: ["pymem"],
    // import.meta.url finds the shipped traces and the recorder: CommonJS gets a shim for it.
    shims: true,
    dts: { compilerOptions: { composite: false } },
  },
]);

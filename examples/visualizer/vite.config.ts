import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

/** The visualizer runs pymem from its sources, as the tests do. */
export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  resolve: { alias: { pymem: fileURLToPath(new URL("../../src/index.ts", import.meta.url)) } },
  build: { target: "es2022", outDir: "dist", emptyOutDir: true },
  server: { fs: { allow: [fileURLToPath(new URL("../../", import.meta.url))] } },
});

/** Global setup of the end-to-end tests: a Chromium to drive, found or installed before any test starts. */
import type { TestProject } from "vitest/node";
import { ensureChromium } from "./chromium.js";

declare module "vitest" {
  export interface ProvidedContext {
    chromium: string;
  }
}

export default function setup(project: TestProject): void {
  project.provide("chromium", ensureChromium());
}

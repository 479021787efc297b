/** Worker thread of `pymem compare --jobs N`: runs the jobs it is sent, one at a time. */
import { parentPort } from "node:worker_threads";
import { type JobSpec, runJob } from "./job.js";

parentPort?.on("message", async (spec: JobSpec) => {
  try {
    parentPort?.postMessage({ ok: true, result: await runJob(spec) });
  } catch (e) {
    const err = e as Error & { line?: number };
    parentPort?.postMessage({ ok: false, error: { name: err.name, message: err.message, line: err.line } });
  }
});

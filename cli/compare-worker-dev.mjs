// Development only (sources run with tsx): a worker thread cannot take tsx through execArgv, so register it here.
import { register } from "tsx/esm/api";

register();
await import("./compare-worker.ts");

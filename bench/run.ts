/** Runs every benchmark and prints its lines. `npm run bench`. */
import { rawBench } from "./raw.bench.js";

const lines = await rawBench();
console.log(lines.join("\n"));

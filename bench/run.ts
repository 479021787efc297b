/** Runs every benchmark and prints its lines. `npm run bench`. */
import { rawBench } from "./raw.bench.js";
import { replayBench } from "./replay.bench.js";

console.log((await rawBench()).join("\n"));
console.log((await replayBench()).join("\n"));

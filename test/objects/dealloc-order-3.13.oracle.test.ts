/**
 * Deallocation order of deep structures, CPython 3.13–3.15 (Debian's): see dealloc-oracle.ts.
 */
import { deallocOrderOracle } from "./dealloc-oracle.js";

deallocOrderOracle(["3.13", "3.14", "3.15"]);

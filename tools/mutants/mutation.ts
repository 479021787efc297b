/** One semantic mutation of the code that copies CPython: a small patch a proof must notice. */
export interface Mutation {
  /** Short unique id, kebab-case ("pymalloc-case2-tail"). */
  id: string;
  /** The file, from the repository root ("src/pymalloc/arena-objects.ts"). */
  file: string;
  /** Text that occurs exactly once in the file. */
  find: string;
  /** What replaces it: a plausible mistake, not a syntax error. */
  replace: string;
  /** The CPython rule it breaks, in a few words. */
  rule: string;
  /** Test files (from the root) expected to catch it, fastest first; the first that fails is reported. */
  tests: string[];
}

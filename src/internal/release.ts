/**
 * Which CPython 3 release a profile models, as the minor number that rules
 * of the object layer switch on (list growth, free lists, layouts).
 *
 * @module
 */

/**
 * The minor release of `python` (`"3.11"` and `"3.14.0"` give 11 and 14), or
 * 0 when it names no CPython 3 release (a custom profile's free text).
 */
export function releaseMinor(python: string): number {
  const m = /^3\.(\d+)(?:\.\d+)?$/.exec(python);
  return m === null ? 0 : Number(m[1]);
}

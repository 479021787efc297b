/**
 * Profiles written as text: `NAME:key=value,...` (a built-in profile with
 * some parameters changed, as the command line takes it) and profiles as
 * JSON (a whole profile, or `"extends"` a built-in one). Both go through
 * {@link defineProfile}, so what follows from a change is derived and a bad
 * value is named.
 *
 * @module
 */

import { defineProfile, getProfile, type Profile, type ProfileInput } from "./profiles.js";

/** The fields a profile has, and the fields of its nested objects: anything else is a typo. */
const FIELDS = new Set([
  "name",
  "python",
  "alignment",
  "smallRequestThreshold",
  "arenaSize",
  "poolSize",
  "poolOverhead",
  "initialArenaObjects",
  "keepLastFreeArena",
  "arenaAlignment",
  "arenaMap",
  "objectHeaderSize",
  "gcHeadSize",
  "gcThresholds",
  "gc",
  "immortalRefcount",
  "trashcan",
]);
const NESTED: Record<string, Set<string>> = {
  arenaMap: new Set(["kind", "addressBits", "rootBits", "midBits", "botBits", "pointerBytes", "leafBytes"]),
  trashcan: new Set([
    "kind",
    "unwindLevel",
    "finalizerFrame",
    "headroom",
    "budget",
    "marginBytes",
    "stackBytes",
    "frameBytes",
    "listFrameBytes",
    "drainExtraBytes",
  ]),
};

/** Closest known field, for "did you mean" (case-insensitive match only: cheap and never wrong). */
function suggestion(key: string, known: Set<string>): string {
  for (const k of known) if (k.toLowerCase() === key.toLowerCase()) return ` (did you mean ${k}?)`;
  return "";
}

function checkKey(key: string, where: string): void {
  const [top, sub, more] = key.split(".");
  if (!FIELDS.has(top as string)) {
    throw new RangeError(
      `${where}unknown profile field ${JSON.stringify(key)}${suggestion(top as string, FIELDS)}; fields: ${[...FIELDS].join(", ")}`,
    );
  }
  const nested = NESTED[top as string];
  if (sub === undefined) return;
  if (nested === undefined || more !== undefined || !nested.has(sub)) {
    const known = nested ? [...nested].map((k) => `${top}.${k}`).join(", ") : `none: ${top} is not an object`;
    throw new RangeError(
      `${where}unknown profile field ${JSON.stringify(key)}${nested ? suggestion(sub, nested) : ""}; fields of ${top}: ${known}`,
    );
  }
}

/** Applies `changes` (top-level or dotted keys) to `base`; nested objects are merged, not replaced. */
function withChanges(base: Profile, changes: Record<string, unknown>, where: string): ProfileInput {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(changes)) {
    checkKey(key, where);
    const [top, sub] = key.split(".") as [string, string | undefined];
    if (sub !== undefined) {
      out[top] = { ...(out[top] as object), [sub]: value };
    } else if (NESTED[top] !== undefined && value !== null && typeof value === "object" && !Array.isArray(value)) {
      for (const k of Object.keys(value)) checkKey(`${top}.${k}`, where);
      // A new kind starts afresh; the same kind keeps what the change leaves out.
      const kind = (value as { kind?: unknown }).kind;
      const prev = out[top] as { kind?: unknown };
      out[top] = kind !== undefined && kind !== prev.kind ? { ...value } : { ...prev, ...value };
    } else {
      out[top] = value;
    }
  }
  return out as unknown as ProfileInput;
}

/** One value of `key=value`: an integer (with an optional KiB/MiB/GiB suffix), true/false, null, a list in brackets, or text. */
function parseValue(text: string): unknown {
  const t = text.trim();
  if (t === "true") return true;
  if (t === "false") return false;
  if (t === "null") return null;
  if (t.startsWith("[") && t.endsWith("]")) {
    const inner = t.slice(1, -1).trim();
    return inner === "" ? [] : inner.split(",").map(parseValue);
  }
  const m = /^(-?\d+(?:\.\d+)?)\s*(KiB|MiB|GiB|K|M|G)?$/i.exec(t);
  if (m) {
    const unit = (m[2] ?? "").toUpperCase()[0];
    const scale = unit === "K" ? 1024 : unit === "M" ? 1024 ** 2 : unit === "G" ? 1024 ** 3 : 1;
    return Number(m[1]) * scale;
  }
  return t;
}

/** Splits `a=1,b=[1,2,3]` at the commas outside brackets. */
function splitAssignments(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "[") depth++;
    else if (c === "]") depth--;
    else if (c === "," && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

/**
 * A profile from its command-line spelling: a built-in name
 * (`cpython-3.11`), or a built-in name with changes,
 * `cpython-3.11:arenaSize=256KiB,keepLastFreeArena=false`. Nested fields are
 * dotted (`arenaMap.addressBits=48`), lists in brackets
 * (`gcThresholds=[700,10,10]`). The changed profile is named by the spec
 * itself unless it sets `name`.
 *
 * @example
 * ```ts
 * import { parseProfileSpec } from "pymem";
 *
 * const p = parseProfileSpec("cpython-3.11:arenaSize=256KiB");
 * console.log(p.name === "cpython-3.11:arenaSize=256KiB", p.arenaSize, p.arenaMap.kind); // true 262144 radix-tree
 * ```
 * @throws RangeError naming an unknown profile, an unknown field or a bad value
 */
export function parseProfileSpec(spec: string): Profile {
  if (typeof spec !== "string") throw new TypeError(`profile spec must be a string, got ${typeof spec}`);
  const colon = spec.indexOf(":");
  if (colon < 0) return getProfile(spec);
  const base = getProfile(spec.slice(0, colon));
  const changes: Record<string, unknown> = {};
  for (const part of splitAssignments(spec.slice(colon + 1))) {
    const eq = part.indexOf("=");
    if (eq <= 0) {
      throw new RangeError(`profile spec ${JSON.stringify(spec)}: expected key=value, got ${JSON.stringify(part)}`);
    }
    changes[part.slice(0, eq).trim()] = parseValue(part.slice(eq + 1));
  }
  const where = `profile spec ${JSON.stringify(spec)}: `;
  const input = withChanges(base, changes, where);
  return named(() => defineProfile({ ...input, ...("name" in changes ? {} : { name: spec }) }), where);
}

/**
 * A profile from JSON (already parsed): either a whole profile, as
 * `pymem profiles --json NAME` prints one, or `{ "extends": "cpython-3.11",
 * ...changes }`. Fields are checked by name: a typo is an error, not a
 * default. An extending profile without a `name` is named after its base
 * and changes.
 *
 * @example
 * ```ts
 * import { profileFromJson } from "pymem";
 *
 * const p = profileFromJson(JSON.parse('{ "extends": "cpython-3.11", "name": "small", "arenaSize": 262144 }'));
 * console.log(p.name, p.arenaSize, p.python); // small 262144 3.11
 * ```
 * @param source - named in error messages (a file name, say)
 * @throws TypeError / RangeError naming the field and its value
 */
export function profileFromJson(json: unknown, source = "profile JSON"): Profile {
  const where = `${source}: `;
  if (json === null || typeof json !== "object" || Array.isArray(json)) {
    throw new TypeError(
      `${where}a profile must be a JSON object, got ${Array.isArray(json) ? "an array" : String(json)}`,
    );
  }
  const { extends: base, ...fields } = json as Record<string, unknown>;
  if (base === undefined) {
    for (const k of Object.keys(fields)) checkKey(k, where);
    for (const [k, v] of Object.entries(fields)) {
      if (NESTED[k] !== undefined && v !== null && typeof v === "object") {
        for (const sub of Object.keys(v)) checkKey(`${k}.${sub}`, where);
      }
    }
    const missing = [...FIELDS].filter((k) => !(k in fields) && k !== "poolOverhead");
    if (missing.length > 0) {
      throw new TypeError(
        `${where}missing field(s) ${missing.join(", ")}; give a whole profile, or "extends": "cpython-3.11" and the fields that change`,
      );
    }
    return named(() => defineProfile(fields as unknown as ProfileInput), where);
  }
  if (typeof base !== "string")
    throw new TypeError(`${where}"extends" must be a profile name, got ${JSON.stringify(base)}`);
  let parent: Profile;
  try {
    parent = getProfile(base);
  } catch (e) {
    throw new RangeError(`${where}"extends": ${(e as Error).message}`);
  }
  const name =
    "name" in fields
      ? {}
      : {
          name: `${base}:${Object.entries(fields)
            .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
            .join(",")}`,
        };
  const input = withChanges(parent, fields, where);
  return named(() => defineProfile({ ...input, ...name }), where);
}

/** Runs defineProfile, prefixing its message with where the profile came from. */
function named(define: () => Profile, where: string): Profile {
  try {
    return define();
  } catch (e) {
    if (e instanceof RangeError) throw new RangeError(`${where}${e.message}`);
    if (e instanceof TypeError) throw new TypeError(`${where}${e.message}`);
    throw e;
  }
}

/**
 * Differential test: `hash()` of seeded values (ints of every magnitude,
 * floats of every kind, strs of every width and length, bytes, nested
 * tuples, frozensets) equals what each real CPython 3.8–3.15 prints under
 * PYTHONHASHSEED=0 and =1 (the recorder's seed; not -I, which would ignore it).
 * Goldens keep the check
 * without the interpreters.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";
import { Builtins, type ProfileName, profileProofs, profiles, RefCounter } from "../../src/index.js";
import { compared } from "../support/comparisons.js";
import { releasePython, stdinProgram } from "../support/python.js";
import { intIn, pickOne, rng } from "../support/random.js";
import { pyStr } from "./allocator-calls.js";

type Value =
  | { k: "int"; v: bigint }
  | { k: "float"; v: number }
  | { k: "str"; v: string }
  | { k: "bytes"; v: number[] }
  | { k: "tuple"; items: Value[] }
  | { k: "frozenset"; items: Value[] };

function randomValue(rand: () => number, depth = 0): Value {
  const x = rand();
  if (x < 0.3) {
    const bits = pickOne(rand, [3, 30, 31, 53, 60, 61, 62, 64, 100, 400]);
    let v = 0n;
    for (let i = 0; i < bits; i += 16) v = (v << 16n) | BigInt(intIn(rand, 0, 0xffff));
    v >>= BigInt(Math.max(0, Math.ceil(bits / 16) * 16 - bits));
    if (rand() < 0.1) v = (1n << 61n) - 1n + BigInt(intIn(rand, -2, 2));
    if (rand() < 0.05) v = 1n;
    return { k: "int", v: rand() < 0.4 ? -v : v };
  }
  if (x < 0.5) {
    const v = pickOne(rand, [
      (rand() - 0.5) * 10 ** intIn(rand, -300, 300),
      intIn(rand, -1e6, 1e6),
      intIn(rand, -1e6, 1e6) / 1024,
      5e-324 * intIn(rand, 1, 1000),
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      -0,
      2 ** 61 - 1,
      -1,
    ]);
    return { k: "float", v };
  }
  if (x < 0.75) {
    const n = pickOne(rand, [0, 1, 2, 7, 8, 9, 16, intIn(rand, 3, 40)]);
    const top = pickOne(rand, [0x7f, 0xff, 0xd7ff, 0xffff, 0x10ffff]);
    const codes = Array.from({ length: n }, () => intIn(rand, 1, top));
    // Surrogates paired in JavaScript would be one code point: keep them away.
    const s = String.fromCodePoint(...codes.map((c) => (c >= 0xd800 && c < 0xe000 ? 0x41 : c)));
    return { k: "str", v: s };
  }
  if (x < 0.87 || depth > 2)
    return { k: "bytes", v: Array.from({ length: intIn(rand, 0, 20) }, () => intIn(rand, 0, 255)) };
  return { k: "tuple", items: Array.from({ length: intIn(rand, 0, 5) }, () => randomValue(rand, depth + 1)) };
}

function expr(v: Value): string {
  switch (v.k) {
    case "int":
      return `(${v.v})`;
    case "float":
      return `float("${Object.is(v.v, -0) ? "-0.0" : String(v.v)}")`;
    case "str":
      return pyStr(v.v);
    case "bytes":
      return `bytes(${JSON.stringify(v.v)})`;
    case "tuple":
      return `(${v.items.map(expr).join(", ")}${v.items.length === 1 ? "," : ""})`;
    case "frozenset":
      return `frozenset([${v.items.map(expr).join(", ")}])`;
  }
}

/** A frozenset of hashable values (some equal: 1 and 1.0 count once), sometimes of frozensets or in a tuple. */
function randomFrozenset(rand: () => number, depth = 0): Value {
  const items = Array.from({ length: pickOne(rand, [0, 1, 2, 3, 5, 8, intIn(rand, 9, 40)]) }, () =>
    depth < 2 && rand() < 0.1 ? randomFrozenset(rand, depth + 1) : randomValue(rand, 2),
  );
  if (items.length > 1 && rand() < 0.2) items.push(items[0] as Value);
  const f: Value = { k: "frozenset", items };
  return depth === 0 && rand() < 0.15 ? { k: "tuple", items: [f, randomValue(rand, 3)] } : f;
}

function make(py: Builtins, v: Value): number {
  switch (v.k) {
    case "int":
      return py.int(v.v);
    case "float":
      return py.float(v.v);
    case "str":
      return py.str(v.v);
    case "bytes":
      return py.bytes(Uint8Array.from(v.v));
    case "tuple":
      return py.tuple(v.items.map((i) => make(py, i)));
    case "frozenset":
      return py.frozenset(v.items.map((i) => make(py, i)));
  }
}

const rand = rng(61);
const frozensetRand = rng(67);
const values = [
  ...Array.from({ length: 1500 }, () => randomValue(rand)),
  // Frozensets, whose hash mixes their items' (strs under the seed), in any table order.
  ...Array.from({ length: 300 }, () => randomFrozenset(frozensetRand)),
];
const program = `values = [\n${values.map((v) => `  ${expr(v)},`).join("\n")}\n]\nprint("\\n".join(str(hash(v)) for v in values))\n`;
const goldenDir = fileURLToPath(new URL("./golden/", import.meta.url));
const update = process.env.UPDATE_GOLDEN === "1";
const digest = (hashes: readonly string[]) => createHash("sha256").update(hashes.join("\n")).digest("hex");

function pymemHashes(version: string, seed: number): string[] {
  const objects = new RefCounter({ profile: profiles[`cpython-${version}` as ProfileName] });
  const py = new Builtins({ objects, hashSeed: seed });
  return values.map((v) => String(py.hash(make(py, v))));
}

it("the profiles' proofs count the values hashed", () => {
  expect(profileProofs["cpython-3.11"].builtins).toContain(`hash() of ${values.length.toLocaleString("en-US")} values`);
});

for (const version of ["3.8", "3.9", "3.10", "3.11", "3.12", "3.13", "3.14", "3.15"]) {
  const goldenPath = `${goldenDir}hashes-${version}.json`;
  const golden: Record<string, string> = existsSync(goldenPath) ? JSON.parse(readFileSync(goldenPath, "utf8")) : {};
  const { python, why } = releasePython(version);
  for (const seed of [0, 1]) {
    it(`hash() of ${values.length.toLocaleString("en-US")} values equals CPython ${version}'s (golden), PYTHONHASHSEED=${seed}`, () => {
      expect(digest(pymemHashes(version, seed))).toBe(golden[seed]);
      compared(version, "golden", "hash()", values.length);
    });
    it.skipIf(python === undefined)(
      `hash() of ${values.length.toLocaleString("en-US")} values equals CPython ${version}'s, PYTHONHASHSEED=${seed}${python === undefined ? ` (skipped: ${why})` : ""}`,
      () => {
        const r = spawnSync(python as string, stdinProgram("-s"), {
          input: program,
          encoding: "utf8",
          env: { ...process.env, PYTHONHASHSEED: String(seed) },
        });
        expect(r.status, r.stderr).toBe(0);
        const real = r.stdout.trim().split("\n");
        expect(pymemHashes(version, seed)).toEqual(real);
        compared(python as string, "real", "hash()", values.length);
        if (update) {
          mkdirSync(goldenDir, { recursive: true });
          const all: Record<string, string> = existsSync(goldenPath)
            ? JSON.parse(readFileSync(goldenPath, "utf8"))
            : {};
          writeFileSync(goldenPath, `${JSON.stringify({ ...all, [seed]: digest(real) })}\n`);
        } else expect(digest(real), `golden of ${version} is stale: rerun with UPDATE_GOLDEN=1`).toBe(golden[seed]);
      },
    );
  }
}

/**
 * Differential test: seeded construction sequences (ints of every magnitude,
 * strings of every kind and length, bytes, tuples, lists grown by append and
 * extend and shrunk by pop, instances of classes given attributes and asked
 * for their `__dict__`, frozensets) give, after every step, the `sys.getsizeof` each
 * real CPython 3.8–3.15 reports. Golden hashes of the real sizes
 * (test/builtins/golden) keep the check without the interpreters.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";
import { type BlockAllocator, type ProfileName, profileProofs, profiles } from "../../src/index.js";
import { compared } from "../support/comparisons.js";
import { releasePython } from "../support/python.js";
import {
  constructionSequence,
  directedSequences,
  frozensetOfSequence,
  frozensetSequence,
  instanceSequence,
  runInPymem,
  runInPython,
  type Step,
} from "./constructions.js";
import { Registers } from "./registers.js";

const sequences = [
  ...Array.from({ length: 60 }, (_, s) => constructionSequence(s, 300)),
  ...directedSequences(),
  // Instances of classes with and without __slots__, their attributes and their __dict__.
  ...Array.from({ length: 20 }, (_, s) => instanceSequence(s, 300)),
  // Instances of a class with __del__ among them: finalized as they die, and by the collections in cycles.
  ...Array.from({ length: 6 }, (_, s) => instanceSequence(500 + s, 300, true, [4, 4, 0, 1, 2])),
  // Frozensets: empty both ways, nested, as keys.
  ...Array.from({ length: 12 }, (_, s) => frozensetSequence(s, 300)),
  // frozenset(x) of sets (with dummies and without), frozensets and dicts.
  ...Array.from({ length: 8 }, (_, s) => frozensetOfSequence(s, 300)),
];
const steps = sequences.reduce((n, s) => n + s.length, 0);
const goldenDir = fileURLToPath(new URL("./golden/", import.meta.url));
const update = process.env.UPDATE_GOLDEN === "1";
const hash = (sizes: Array<number | string>) => createHash("sha256").update(JSON.stringify(sizes)).digest("hex");

it("the profiles' proofs count the construction steps compared", () => {
  expect(profileProofs["cpython-3.11"].builtins).toContain(
    `getsizeof after ${steps.toLocaleString("en-US")} construction steps`,
  );
});

for (const version of ["3.8", "3.9", "3.10", "3.11", "3.12", "3.13", "3.14", "3.15"]) {
  const profile = profiles[`cpython-${version}` as ProfileName];
  const goldenPath = `${goldenDir}getsizeof-${version}.json`;
  const golden: string[] = existsSync(goldenPath) ? JSON.parse(readFileSync(goldenPath, "utf8")) : [];
  const { python, why } = releasePython(version);

  // 3.12 never frees a str sys.intern made immortal: one block per text so interned
  // (not the empty str nor a latin-1 character: shared statics).
  const immortalInterned = (steps: readonly Step[]): number => {
    if (version !== "3.12") return 0;
    const regs = new Registers(12);
    const texts = new Set<string>();
    for (const step of steps) {
      const text = step.op === "intern" ? regs.keyOf(step.src)?.slice(2) : undefined;
      const chars = [...(text ?? "")];
      const shared = chars.length === 0 || (chars.length === 1 && (chars[0]?.codePointAt(0) as number) < 256);
      if (text !== undefined && !shared) texts.add(text);
      regs.apply(step);
    }
    return texts.size;
  };

  it(`sizes match those recorded from CPython ${version}, and every block goes back`, () => {
    expect(golden, `no goldens for ${version}: record them with UPDATE_GOLDEN=1`).toHaveLength(sequences.length);
    sequences.forEach((s, k) => {
      const run = runInPymem(profile, s);
      expect(hash(run.sizes), `sequence ${k}`).toBe(golden[k]);
      // The registers are dropped: what is left sits on free lists, which a full collection empties.
      run.gc.collect();
      expect((run.objects.allocator as BlockAllocator).allocatedBlocks(), `sequence ${k}`).toBe(immortalInterned(s));
    });
    compared(version, "golden", "getsizeof", steps);
  });

  it.skipIf(python === undefined)(
    `getsizeof after each step equals CPython ${version}'s${python === undefined ? ` (skipped: ${why})` : ""}`,
    () => {
      const real = runInPython(python as string, sequences);
      if (typeof real === "string") throw new Error(real);
      sequences.forEach((s, k) => {
        expect(runInPymem(profile, s).sizes, `sequence ${k}`).toEqual(real[k]);
      });
      compared(python as string, "real", "getsizeof", steps);
      const hashes = real.map(hash);
      if (update) {
        mkdirSync(goldenDir, { recursive: true });
        writeFileSync(goldenPath, `${JSON.stringify(hashes)}\n`);
      } else expect(hashes, `golden hashes of ${version} are stale: rerun with UPDATE_GOLDEN=1`).toEqual(golden);
    },
    300_000,
  );
}

/**
 * Differential test: the same acyclic object programs in pymem and in each
 * installed CPython 3.8–3.13 and Debian's 3.14 and 3.15 (objects with __slots__ and a __del__ that records
 * its death, and weak references whose callbacks record theirs) kill objects
 * and call back in the same order, trashcan included. Golden hashes of the
 * real orders (test/objects/golden) keep the check without the interpreters.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { BlockAllocator, type ProfileName, profiles, RefCounter } from "../../src/index.js";
import { compared } from "../support/comparisons.js";
import { debianPython, pythonFor, stdinProgram } from "../support/python.js";
import { generateProgram, pythonScript, runWithPymem, runWithPython } from "./refcount-programs.js";

// Plain programs, programs after a chain deeper than the trashcan's unwind level, and one long chain.
const programs = [
  ...Array.from({ length: 40 }, (_, s) => generateProgram(s, 400)),
  ...Array.from({ length: 10 }, (_, s) => generateProgram(100 + s, 200, 120 + 37 * s)),
  generateProgram(999, 50, 20_000),
];

const goldenDir = fileURLToPath(new URL("./golden/", import.meta.url));
const update = process.env.UPDATE_GOLDEN === "1";
const hash = (order: Array<number | string>) => createHash("sha256").update(JSON.stringify(order)).digest("hex");

// pyenv's CPythons, then Debian's 3.14 and 3.15 of today (installed on demand).
const sources: Array<[string, string | undefined, string]> = ["3.8", "3.9", "3.10", "3.11", "3.12", "3.13"].map(
  (version) => [version, pythonFor(version), `python${version} is not installed`],
);
for (const version of ["3.14", "3.15"]) {
  const d = debianPython(version);
  sources.push([version, d.python, `Debian's python${version} cannot be had here: ${d.why}`]);
}

for (const [version, python, why] of sources) {
  const profile = profiles[`cpython-${version}` as ProfileName];
  const goldenPath = `${goldenDir}deaths-${version}.json`;
  const golden: string[] = existsSync(goldenPath) ? JSON.parse(readFileSync(goldenPath, "utf8")) : [];
  it(`programs match the death orders recorded from CPython ${version}`, () => {
    expect(golden).toHaveLength(programs.length);
    programs.forEach((p, k) => {
      expect(hash(runWithPymem(p, profile).deaths), `program ${k}`).toBe(golden[k]);
    });
    compared(version, "golden", "death order", programs.length);
  });
  it.skipIf(python === undefined)(
    `objects die in the order CPython ${version} kills them${python === undefined ? ` (skipped: ${why})` : ""}`,
    () => {
      const real = runWithPython(python as string, programs.map(pythonScript));
      if (typeof real === "string") throw new Error(real);
      programs.forEach((p, k) => {
        const mine = runWithPymem(p, profile);
        const news = p.filter((o) => o.op === "new").length;
        expect(mine.deaths.filter((d) => typeof d === "number").length, `program ${k}: every object dies`).toBe(news);
        expect(mine.deaths, `program ${k}`).toEqual(real[k]);
        // What is left: the weak references the program keeps.
        expect(mine.objects.liveObjects).toBe(p.filter((o) => o.op === "weak").length);
      });
      compared(python as string, "real", "death order", programs.length);
      const hashes = real.map(hash);
      if (update) writeFileSync(goldenPath, `${JSON.stringify(hashes)}\n`);
      else expect(hashes, `golden hashes of ${version} are stale: rerun with UPDATE_GOLDEN=1`).toEqual(golden);
    },
    300_000,
  );
}

describe("the trashcan", () => {
  it("leaves the finalizers of a deep chain in top-down order", () => {
    const chain = generateProgram(1, 0, 200);
    const { deaths, objects: o } = runWithPymem(chain, profiles["cpython-3.11"]);
    // Finalizers run on the way down, so in plain recursion order: 199, 198, ..., 0.
    expect(deaths).toEqual([...Array(200).keys()].reverse());
    expect(o.liveObjects).toBe(0);
  });

  it("frees in CPython's trashcan order: 50 levels deep, then the deposits, most recent first", () => {
    const profile = profiles["cpython-3.11"];
    const freed: number[] = [];
    const chain = generateProgram(1, 0, 200);
    runWithPymem(chain, profile, (id) => freed.push(id));
    // Node 199 is dropped first; 199..150 are 50 nested deallocations and 149 is deposited. The stack
    // unwinds freeing 150..199; then the deposits drain with the nesting already at 1 (CPython's
    // _PyTrash_thread_destroy_chain counts itself), so later pieces are 49 deep: 149..101, 100..52, ...
    const expected: number[] = [];
    let top = 199;
    for (let depth = 50; top >= 0; depth = 49) {
      for (let k = Math.max(0, top - depth + 1); k <= top; k++) expected.push(k);
      top -= depth;
    }
    expect(freed).toEqual(expected);
  });
});

describe("list-like objects", () => {
  // Appends and pops in runs; after each op the capacity (list.allocated) is recorded.
  const steps: Array<"a" | "p"> = [];
  let size = 0;
  for (let i = 0; i < 600; i++) {
    const grow = Math.floor(i / 50) % 3 !== 2;
    if (grow || size === 0) {
      steps.push("a");
      size++;
    } else {
      steps.push("p");
      size--;
    }
  }
  /** pymem's capacity after each step, under `version`'s profile; the list's items keep one reference each. */
  function capacities(version: string): number[] {
    const objects = new RefCounter({
      allocator: new BlockAllocator({ profile: profiles[`cpython-${version}` as ProfileName] }),
    });
    const List = objects.defineType({ name: "list", listLike: true, container: true });
    const Obj = objects.defineType({ name: "object" });
    const l = objects.new(List);
    const x = objects.new(Obj);
    const mine = steps.map((s) => {
      if (s === "a") objects.append(l, x);
      else objects.decref(objects.pop(l));
      return objects.capacity(l);
    });
    expect(objects.refcount(x)).toBe(1 + objects.size(l));
    objects.decref(l);
    expect(objects.refcount(x)).toBe(1);
    return mine;
  }
  const goldenPath = `${goldenDir}list-growth.json`;
  const golden: Record<string, string> = existsSync(goldenPath) ? JSON.parse(readFileSync(goldenPath, "utf8")) : {};
  const VERSIONS = ["3.8", "3.9", "3.10", "3.11", "3.12", "3.13"];
  for (const version of VERSIONS) {
    const python = pythonFor(version);
    it.skipIf(python === undefined)(
      `grow and shrink with CPython ${version}'s list over-allocation${python === undefined ? ` (skipped: python${version} is not installed)` : ""}`,
      () => {
        const script = [
          "import sys",
          "l = []",
          "x = object()",
          "out = []",
          `for s in ${JSON.stringify(steps.join(""))}:`,
          "    l.append(x) if s == 'a' else l.pop()",
          "    out.append((sys.getsizeof(l) - sys.getsizeof([])) // 8)",
          "print(' '.join(map(str, out)))",
        ].join("\n");
        const r = spawnSync(python as string, stdinProgram("-I", "-S"), { input: script, encoding: "utf8" });
        expect(r.status, r.stderr).toBe(0);
        const real = r.stdout.trim().split(" ").map(Number);
        expect(capacities(version)).toEqual(real);
        compared(python as string, "real", "list growth", 1);
        if (update) {
          golden[version] = hash(real);
          writeFileSync(goldenPath, `${JSON.stringify(golden, null, 1)}\n`);
        } else expect(hash(real), `golden of ${version} is stale: rerun with UPDATE_GOLDEN=1`).toBe(golden[version]);
      },
    );
    it(`grows and shrinks as the capacities recorded from CPython ${version}`, () => {
      expect(golden[version], `${goldenPath} has no ${version}`).toBeDefined();
      expect(hash(capacities(version))).toBe(golden[version]);
      compared(version, "golden", "list growth", 1);
    });
  }
});

describe("immortal objects", () => {
  for (const version of ["3.12", "3.13"]) {
    const python = pythonFor(version);
    it.skipIf(python === undefined)(
      `report the refcount CPython ${version} reports for None${python === undefined ? ` (skipped: python${version} is not installed)` : ""}`,
      () => {
        const r = spawnSync(python as string, ["-I", "-c", "import sys; print(sys.getrefcount(None))"], {
          encoding: "utf8",
        });
        const objects = new RefCounter({
          allocator: new BlockAllocator({ profile: profiles[`cpython-${version}` as ProfileName] }),
        });
        const T = objects.defineType({ name: "NoneType" });
        const none = objects.new(T);
        objects.immortalize(none);
        objects.incref(none);
        objects.decref(none);
        expect(objects.refcount(none)).toBe(Number(r.stdout.trim()));
      },
    );
  }
});

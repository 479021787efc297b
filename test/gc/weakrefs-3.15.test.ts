/**
 * CPython 3.15's weak reference rule (gh-135552), as cpython-3.15 models it:
 * only weak references with a callback are cleared before finalizers run; the
 * others are cleared after resurrected objects left the unreachable set, for
 * the objects still in it. The cases below are the experiments run against
 * CPython 3.15.2 and 3.14.10; the 500 oracle programs run against the real
 * 3.15.2 in cycle-collector.oracle.test.ts.
 */
import { describe, expect, it } from "vitest";
import { CycleCollector, profiles, RefCounter } from "../../src/index.js";
import { generateGcProgram, runGcWithPymem } from "./gc-programs.js";

const PROGRAMS = 500;
const programs = Array.from({ length: PROGRAMS }, (_, s) => generateGcProgram(s, 60 + (s % 5) * 60));

const py315 = profiles["cpython-3.15"];

describe("cpython-3.15's gc", () => {
  it("differs from cpython-3.14's on some of the oracle's programs: the rule is exercised, not just tolerated", () => {
    const differs = programs.filter(
      (p) => JSON.stringify(runGcWithPymem(p, py315)) !== JSON.stringify(runGcWithPymem(p, profiles["cpython-3.14"])),
    ).length;
    // Against the real 3.15.2, all 500 agree (cycle-collector.oracle.test.ts, golden gc-3.15.json).
    expect(differs).toBeGreaterThan(100);
  });

  // As CPython 3.15.2 and 3.14.10 do (a finalizer and a callback asking a plain weakref.ref to the cycle).
  it("keeps callback-less weak references to garbage alive through finalizers, clears them after", () => {
    for (const [profile, expected] of [
      [py315, ["cb alive", "del alive", "del alive", "collect 2"]],
      [profiles["cpython-3.14"], ["cb dead", "del dead", "del dead", "collect 2"]],
    ] as const) {
      const objects = new RefCounter({ profile });
      const gc = new CycleCollector({ objects });
      const log: string[] = [];
      let plain = 0;
      const state = () => (objects.weakrefTarget(plain) === 0 ? "dead" : "alive");
      const Node = objects.defineType({
        name: "Node",
        slots: 1,
        container: true,
        weakrefable: true,
        finalize: () => log.push(`del ${state()}`),
      });
      const a = objects.new(Node);
      const b = objects.new(Node);
      objects.setSlot(a, 0, b);
      objects.setSlot(b, 0, a);
      plain = objects.weakref(a);
      const withCallback = objects.weakref(a, () => log.push(`cb ${state()}`));
      objects.decref(a);
      objects.decref(b);
      log.push(`collect ${gc.collect()}`);
      expect(log, profile.name).toEqual(expected);
      expect(objects.weakrefTarget(plain)).toBe(0);
      expect(objects.weakrefTarget(withCallback)).toBe(0);
      objects.decref(plain);
      objects.decref(withCallback);
    }
  });

  // As CPython 3.15.2 and 3.14.10 do: garbage holding a weak reference, with a callback, to an object its
  // finalizer lets die. 3.14 cleared that weak reference before finalizers; 3.15 only after them.
  it("calls the callback of a weak reference in the garbage whose referent a finalizer frees", () => {
    for (const [profile, expected] of [
      [py315, ["del", "cb", "collect 2"]],
      [profiles["cpython-3.14"], ["del", "collect 2"]],
    ] as const) {
      const objects = new RefCounter({ profile });
      const gc = new CycleCollector({ objects });
      const log: string[] = [];
      const Other = objects.defineType({ name: "Other", weakrefable: true });
      const x = objects.new(Other);
      const Node = objects.defineType({
        name: "Node",
        slots: 2,
        container: true,
        finalize: () => {
          log.push("del");
          objects.decref(x);
        },
      });
      const a = objects.new(Node);
      objects.setSlot(a, 0, a);
      const wr = objects.weakref(x, () => log.push("cb"));
      objects.setSlot(a, 1, wr);
      objects.decref(wr);
      objects.decref(a);
      log.push(`collect ${gc.collect()}`);
      expect(log, profile.name).toEqual(expected);
      expect(objects.isAlive(a)).toBe(false);
    }
  });

  it("lets a resurrected object keep its callback-less weak references", () => {
    for (const [profile, alive] of [
      [py315, true],
      [profiles["cpython-3.14"], false],
    ] as const) {
      const objects = new RefCounter({ profile });
      const gc = new CycleCollector({ objects });
      const kept: number[] = [];
      const Node = objects.defineType({
        name: "Node",
        slots: 1,
        container: true,
        weakrefable: true,
        finalize: (op) => {
          objects.incref(op);
          kept.push(op);
        },
      });
      const a = objects.new(Node);
      objects.setSlot(a, 0, a);
      const wr = objects.weakref(a);
      objects.decref(a);
      expect(gc.collect()).toBe(0);
      expect(objects.weakrefTarget(wr) !== 0).toBe(alive);
      objects.decref(wr);
      for (const op of kept) objects.decref(op);
      expect(gc.collect()).toBe(1);
    }
  });
});

/**
 * Out of memory at any point: a seeded program of calls across the whole
 * stack (pool and large blocks, calloc, realloc across pymalloc's limit,
 * objects, list growth, collections, the debug allocator) runs under a
 * maxBytes small enough to run out somewhere. The call that runs out must
 * throw OutOfMemoryError and change nothing (every byte of memory, every
 * number), every layer must validate, and the stack must serve requests again
 * once memory is given back.
 */
import { fc } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import {
  BlockAllocator,
  CycleCollector,
  DebugAllocator,
  OutOfMemoryError,
  type ProfileName,
  profiles,
  RawAllocator,
  RefCounter,
} from "../src/index.js";
import { intIn, rng } from "./support/random.js";
import { expectSameState, stackState } from "./support/stack-state.js";

function build(profile: ProfileName, maxBytes: number) {
  const raw = new RawAllocator({ maxBytes, initialBytes: 1 << 16 });
  const blocks = new BlockAllocator({ raw, profile: profiles[profile] });
  const objects = new RefCounter({ allocator: blocks });
  const gc = new CycleCollector({ objects });
  gc.disable();
  const debug = new DebugAllocator({ allocator: blocks });
  const Node = objects.defineType({ name: "Node", slots: 2, container: true });
  const List = objects.defineType({ name: "list", listLike: true, container: true });
  const list = objects.new(List);
  return { raw, blocks, objects, gc, debug, Node, List, list };
}

type Stack = ReturnType<typeof build>;

/** The program's own view of what it holds. */
interface Held {
  blocks: number[];
  debug: number[];
  objects: number[];
}

/** Runs op `i` of the seeded program; returns normally, or throws what the stack threw. */
function op(s: Stack, held: Held, rand: () => number): void {
  const pick = (xs: number[]) => intIn(rand, 0, xs.length - 1);
  const r = intIn(rand, 0, 11);
  if (r === 0) held.blocks.push(s.blocks.malloc(intIn(rand, 1, 512)));
  else if (r === 1) held.blocks.push(s.blocks.malloc(intIn(rand, 513, 300_000)));
  else if (r === 2) held.blocks.push(s.blocks.calloc(intIn(rand, 1, 64), intIn(rand, 1, 64)));
  else if (r === 3 && held.blocks.length > 0) {
    const k = pick(held.blocks);
    held.blocks[k] = s.blocks.realloc(held.blocks[k] as number, intIn(rand, 1, 200_000));
  } else if (r === 4 && held.blocks.length > 0) {
    s.blocks.free(held.blocks.splice(pick(held.blocks), 1)[0] as number);
  } else if (r === 5) held.objects.push(s.objects.new(s.Node));
  else if (r === 6 && held.objects.length > 1) {
    s.objects.setSlot(
      held.objects[pick(held.objects)] as number,
      intIn(rand, 0, 1),
      held.objects[pick(held.objects)] as number,
    );
  } else if (r === 7 && held.objects.length > 0) s.objects.append(s.list, held.objects[pick(held.objects)] as number);
  else if (r === 8 && held.objects.length > 0)
    s.objects.decref(held.objects.splice(pick(held.objects), 1)[0] as number);
  else if (r === 9) s.gc.collect(intIn(rand, 0, 2));
  else if (r === 10) held.debug.push(s.debug.malloc(intIn(rand, 0, 2000)));
  else if (r === 11 && held.debug.length > 0) {
    const k = pick(held.debug);
    held.debug[k] = s.debug.realloc(held.debug[k] as number, intIn(rand, 0, 3000));
  }
}

function state(s: Stack) {
  return { ...stackState(s), list: s.objects.size(s.list) };
}

/** Plays the program until a call throws; returns how many calls succeeded (or `limit` if none threw) and the error. */
function play(s: Stack, seed: number, limit: number): { done: number; error: unknown } {
  const rand = rng(seed);
  const held: Held = { blocks: [], debug: [], objects: [] };
  for (let i = 0; i < limit; i++) {
    try {
      op(s, held, rand);
    } catch (error) {
      return { done: i, error };
    }
  }
  return { done: limit, error: undefined };
}

describe("out of memory, anywhere", () => {
  it("the call that runs out throws OutOfMemoryError, changes nothing, and the stack goes on once memory is freed", () => {
    let failures = 0;
    fc.assert(
      fc.property(
        fc.constantFrom<ProfileName>("cpython-3.8", "cpython-3.11", "cpython-3.12"),
        fc.integer({ min: 1 << 18, max: 6 << 20 }),
        fc.integer({ min: 0, max: 1_000_000 }),
        (profile, maxBytes, seed) => {
          const first = build(profile, maxBytes);
          const { done, error } = play(first, seed, 3000);
          if (error === undefined) return;
          expect(error, String(error)).toBeInstanceOf(OutOfMemoryError);
          failures++;
          // Again from scratch, stopping just before the call that ran out, to see what it must not change.
          const again = build(profile, maxBytes);
          const rand = rng(seed);
          const held: Held = { blocks: [], debug: [], objects: [] };
          for (let i = 0; i < done; i++) op(again, held, rand);
          const before = state(again);
          expect(() => op(again, held, rand)).toThrow(OutOfMemoryError);
          const after = state(again);
          expectSameState(before, after);
          again.raw.validate();
          again.blocks.validate();
          for (const p of held.debug) again.debug.checkAddress(p);
          // Give everything back: the stack serves again.
          for (const p of held.debug) again.debug.free(p);
          for (const p of held.blocks) again.blocks.free(p);
          for (const o of held.objects) again.objects.decref(o);
          again.objects.decref(again.list);
          again.gc.collect();
          expect(again.objects.liveObjects).toBe(0);
          const p = again.blocks.malloc(64);
          const q = again.blocks.malloc(1000);
          again.blocks.free(p);
          again.blocks.free(q);
          again.raw.validate();
          again.blocks.validate();
        },
      ),
      { numRuns: 120 },
    );
    expect(failures, "some runs ran out of memory").toBeGreaterThan(60);
  });
});

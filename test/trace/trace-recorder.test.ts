import { fc } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import {
  CycleCollector,
  createHeap,
  InvalidAddressError,
  OutOfMemoryError,
  parseTrace,
  RawAllocator,
  RefCounter,
  TracePlayer,
  TraceRecorder,
} from "../../src/index.js";

type Call = ["m", number] | ["c", number, number] | ["r", number, number] | ["f", number];

const call: fc.Arbitrary<Call> = fc.oneof(
  fc.tuple(fc.constant("m" as const), fc.integer({ min: 0, max: 2000 })),
  fc.tuple(fc.constant("c" as const), fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 40 })),
  fc.tuple(fc.constant("r" as const), fc.nat(), fc.integer({ min: 0, max: 2000 })),
  fc.tuple(fc.constant("f" as const), fc.nat()),
);

describe("TraceRecorder", () => {
  it("a recording played on a fresh heap gives every block the address the recorded run gave it", () => {
    fc.assert(
      fc.property(
        fc.array(call, { maxLength: 300 }),
        fc.constantFrom("cpython-3.8", "cpython-3.11"),
        (calls, profile) => {
          const recorder = new TraceRecorder(createHeap({ profile }).blocks);
          const live: number[] = [];
          const returned: number[] = [];
          // What each recorded call gave: the new block, the moved one, or the one freed.
          for (const c of calls) {
            if (c[0] === "m") returned.push(recorder.malloc(c[1]));
            else if (c[0] === "c") returned.push(recorder.calloc(c[1], c[2]));
            else if (live.length === 0) continue;
            else if (c[0] === "r") {
              const i = c[1] % live.length;
              live[i] = recorder.realloc(live[i] as number, c[2]);
              returned.push(live[i] as number);
              continue;
            } else {
              const [p] = live.splice(c[1] % live.length, 1);
              recorder.free(p as number);
              returned.push(p as number);
              continue;
            }
            live.push(returned.at(-1) as number);
          }
          expect(recorder.length).toBe(returned.length);
          // The text parses back to the same ops.
          expect(parseTrace(recorder.text()).ops.op.subarray(0, recorder.length)).toEqual(
            recorder.trace().ops.op.subarray(0, recorder.length),
          );
          const player = new TracePlayer(recorder.trace(), createHeap({ profile }));
          for (const address of returned) expect(player.step()?.address).toBe(address);
          expect(player.atEnd).toBe(true);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("names blocks as the trace format does: a freed block's ID again, a moved block's kept", () => {
    const { blocks } = createHeap({ profile: "cpython-3.11" });
    const recorder = new TraceRecorder(blocks, { workload: "ids" });
    const a = recorder.malloc(24);
    const b = recorder.malloc(24);
    recorder.free(a);
    const c = recorder.malloc(100);
    expect(recorder.idOf(c)).toBe(0);
    const moved = recorder.realloc(b, 5000);
    expect(moved).not.toBe(b);
    expect(recorder.idOf(moved)).toBe(1);
    expect(recorder.idOf(b)).toBe(-1);
    expect(recorder.realloc(0, 8)).toBeGreaterThan(0); // realloc(NULL, n) is malloc
    recorder.free(0); // not a call
    recorder.checkpoint();
    expect(recorder.text()).toBe("# workload: ids\nm 0 24\nm 1 24\nf 0\nm 0 100\nr 1 5000\nm 2 8\ns\n");
    expect(recorder.trace().header.fields).toEqual({ workload: "ids" });
  });

  it("records no failed call, and leaves blocks from before the recording out of the trace", () => {
    const raw = new RawAllocator({ maxBytes: 1 << 20 });
    const before = raw.malloc(64);
    const recorder = new TraceRecorder(raw);
    expect(() => recorder.malloc(4 << 20)).toThrow(OutOfMemoryError);
    expect(() => recorder.free(12_345)).toThrow(InvalidAddressError);
    const p = recorder.malloc(10);
    expect(() => recorder.realloc(p, 8 << 20)).toThrow(OutOfMemoryError);
    recorder.free(recorder.realloc(before, 128)); // passed through, not recorded
    expect(recorder.text()).toBe("# workload: calls recorded by TraceRecorder\nm 0 10\n");
    raw.validate();
  });

  it("objects and the gc run on it, and its recording replays them", () => {
    const recorder = new TraceRecorder(createHeap({ profile: "cpython-3.11" }).blocks);
    const objects = new RefCounter({ allocator: recorder });
    const gc = new CycleCollector({ objects });
    const Node = objects.defineType({ name: "Node", slots: 1, container: true });
    const a = objects.new(Node);
    objects.setSlot(a, 0, a);
    objects.decref(a);
    expect(gc.collect()).toBe(1);
    expect(recorder.text().split("\n").slice(1, 3)).toEqual(["m 0 40", "f 0"]);
    expect(recorder.stats().allocatedBlocks).toBe(0);
    expect(() => new TraceRecorder({} as never)).toThrow(/allocator must be an ObjectAllocator/);
    expect(() => new TraceRecorder(recorder, { workload: "a\nb" })).toThrow(/one-line string/);
  });
});

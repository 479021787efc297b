/**
 * Vitest's file order: the files that take longest start first, so that the
 * two workers end together instead of one finishing a long oracle alone
 * while the other idles (measured in CI: the last files to start were the
 * three longest). Seconds as measured in a clean-clone CI run; files not
 * listed follow in Vitest's own order.
 */
import { BaseSequencer, type TestSpecification } from "vitest/node";

const SECONDS: Record<string, number> = {
  "test/oracle/live-runs.oracle.test.ts": 156,
  "test/oracle/pymalloc.oracle.test.ts": 133,
  "test/builtins/allocator-calls.oracle.test.ts": 105,
  "test/oracle/directed-live.oracle.test.ts": 100,
  "test/objects/dealloc-order-3.8.oracle.test.ts": 88,
  "test/gc/cycle-collector.oracle.test.ts": 84,
  "test/objects/dealloc-order-3.13.oracle.test.ts": 79,
  "test/gc/gc-stats.oracle.test.ts": 75,
  "test/gc/incremental.oracle.test.ts": 67,
  "test/recorder/types.test.ts": 49,
  "test/pymalloc/debug-allocator.oracle.test.ts": 49,
  "test/builtins/getsizeof.oracle.test.ts": 47,
  "test/recorder/exit.test.ts": 42,
  "test/oracle/arena-placement.oracle.test.ts": 32,
  "test/stack.model.test.ts": 31,
  "test/objects/ref-counter.oracle.test.ts": 29,
};

export default class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const seconds = (f: TestSpecification) => {
      const at = f.moduleId.replaceAll("\\", "/").indexOf("/test/");
      return SECONDS[at < 0 ? f.moduleId : f.moduleId.slice(at + 1)] ?? 0;
    };
    // A stable sort: the unlisted keep Vitest's order among themselves.
    return sorted
      .map((f, i) => ({ f, i, s: seconds(f) }))
      .sort((a, b) => b.s - a.s || a.i - b.i)
      .map((e) => e.f);
  }
}

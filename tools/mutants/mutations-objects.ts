/**
 * Mutations of the objects, the gc and the debug hooks: the cyclic gc's phases, counts and generations (3.14.0's
 * incremental collector too), deallocation, the trashcan, weak references, list over-allocation, immortality, and
 * the bytes and reports of PYTHONMALLOC=debug.
 */
import type { Mutation } from "./mutation.js";

const GC_UNIT = "test/gc/cycle-collector.test.ts";
const GC_ORACLE = "test/gc/cycle-collector.oracle.test.ts";
const GC_STATS = "test/gc/gc-stats.oracle.test.ts";
const GC_INCREMENTAL = "test/gc/incremental.oracle.test.ts";
const OBJ_UNIT = "test/objects/ref-counter.test.ts";
const OBJ_ORACLE = "test/objects/ref-counter.oracle.test.ts";
const DEALLOC_ORACLE = "test/objects/dealloc-order-3.8.oracle.test.ts";
const DEALLOC_ORACLE_NEW = "test/objects/dealloc-order-3.13.oracle.test.ts";
const DEBUG_UNIT = "test/pymalloc/debug-allocator.test.ts";
const DEBUG_ORACLE = "test/pymalloc/debug-allocator.oracle.test.ts";

export const objectMutations: Mutation[] = [
  // ------------------------------------------------------------------ the cyclic gc
  {
    id: "gc-subtract-refs-skips-self",
    file: "src/gc/collection.ts",
    find: "        if (child === 0 || containerFlags[u32[(child + OB_TYPE) >>> 2] as number] !== 1) continue;",
    replace:
      "        if (child === 0 || child === op || containerFlags[u32[(child + OB_TYPE) >>> 2] as number] !== 1) continue;",
    rule: "subtract_refs: visit_decref subtracts a self-reference too",
    tests: [GC_UNIT, GC_ORACLE],
  },
  {
    id: "gc-traverse-slots-reversed",
    file: "src/gc/collection.ts",
    find: '      const i = t.clearOrder === "forward" ? k : n - 1 - k;',
    replace: '      const i = t.clearOrder === "forward" ? n - 1 - k : k;',
    rule: "tp_traverse visits __slots__ first to last: the order move_unreachable moves objects back in",
    tests: [GC_ORACLE, GC_INCREMENTAL],
  },
  {
    id: "gc-finalizers-before-weakrefs",
    file: "src/gc/collection.ts",
    find: '    let collected = this.handleWeakrefs(unreachable, old, late);\n    this.phase(generation, late ? "handle_weakref_callbacks" : "handle_weakrefs", unreachable);\n    this.finalizeGarbage(unreachable);\n    this.phase(generation, "finalize_garbage", unreachable);\n',
    replace:
      '    this.finalizeGarbage(unreachable);\n    this.phase(generation, "finalize_garbage", unreachable);\n    let collected = this.handleWeakrefs(unreachable, old, late);\n    this.phase(generation, late ? "handle_weakref_callbacks" : "handle_weakrefs", unreachable);\n',
    rule: "handle_weakrefs (clearing, callbacks) runs before finalize_garbage",
    tests: [GC_UNIT, GC_ORACLE],
  },
  {
    id: "gc-update-refs-drops-finalized",
    file: "src/gc/collection.ts",
    find: "      this.setWord(g + 8, this.view.refcount(op) * 4 + (this.prevLow(g) & PREV_MASK_FINALIZED) + PREV_MASK_COLLECTING);",
    replace: "      this.setWord(g + 8, this.view.refcount(op) * 4 + PREV_MASK_COLLECTING);",
    rule: "gc_reset_refs keeps the FINALIZED bit: tp_finalize runs once per object (PEP 442)",
    tests: [GC_UNIT, GC_ORACLE],
  },
  {
    id: "gc-38-check-garbage-misses-resurrection",
    file: "src/gc/collection.ts",
    find: "      if (this.refs(g) !== 0) resurrected = true;",
    replace: "      if (this.refs(g) > 1) resurrected = true;",
    rule: "3.8's check_garbage: any gc_refs left after subtract_refs is a resurrection, and the whole set survives",
    tests: [GC_ORACLE],
  },
  {
    id: "gc-315-candidates-not-accumulated",
    file: "src/gc/collection.ts",
    find: "      s.candidates = (s.candidates ?? 0) + this.candidates;",
    replace: "      s.candidates = this.candidates;",
    rule: "3.15's gc.get_stats() candidates add up over a generation's collections",
    tests: [GC_STATS],
  },
  {
    id: "gc-untrack-tuple-untracked-item",
    file: "src/gc/collection.ts",
    find: "      if (!it.tupleLike || this.next(item - 16) !== 0) return false;",
    replace: "      if (!it.tupleLike || this.next(item - 16) === 0) return false;",
    rule: "_PyTuple_MaybeUntrack: an untracked tuple item does not keep a tuple tracked (unit test only: the oracles' programs make no tuples)",
    tests: [GC_UNIT],
  },
  {
    id: "gc-collect-leaves-young",
    file: "src/gc/generational.ts",
    find: "    for (let i = 0; i < generation; i++) this.listMerge(this.head(i), this.head(generation));",
    replace: "    for (let i = 1; i < generation; i++) this.listMerge(this.head(i), this.head(generation));",
    rule: "gc_collect_main merges every younger generation, generation 0 included, into the one collected",
    tests: [GC_UNIT, GC_ORACLE],
  },
  {
    id: "gc-collected-count-kept",
    file: "src/gc/generational.ts",
    find: "    for (let i = 0; i <= generation; i++) this.counts[i] = 0;",
    replace: "    for (let i = 0; i < generation; i++) this.counts[i] = 0;",
    rule: "gc_collect_main zeroes the count of every generation collected, the collected one's included",
    tests: [GC_UNIT, GC_STATS],
  },
  {
    id: "gc-survivors-stay-in-generation",
    file: "src/gc/generational.ts",
    find: "    const old = generation < NUM_GENERATIONS - 1 ? this.head(generation + 1) : young;",
    replace: "    const old = generation < NUM_GENERATIONS - 1 ? this.head(generation) : young;",
    rule: "the survivors of generation g move to generation g + 1",
    tests: [GC_ORACLE, GC_STATS],
  },
  {
    id: "gc-314-marked-subtracted-once",
    file: "src/gc/incremental.ts",
    find: "      const marked = this.markAtStart();\n      this.workToDo -= marked;\n",
    replace: "      this.markAtStart();\n",
    rule: "3.14.0's gc_collect_increment subtracts what mark_at_start marked from work_to_do a second time",
    tests: [GC_UNIT, GC_INCREMENTAL],
  },
  {
    id: "gc-314-stack-roots-bottom-up",
    file: "src/gc/incremental.ts",
    find: "      for (let i = this.nRoots - 1; i >= 0; i--) {",
    replace: "      for (let i = 0; i < this.nRoots; i++) {",
    rule: "3.14.0's mark_stacks walks the frame's locals from the top of the stack down",
    tests: [GC_UNIT, GC_INCREMENTAL],
  },

  // ------------------------------------------------------------------ refcounting and deallocation
  {
    id: "obj-dealloc-slots-reversed",
    file: "src/objects/deallocator.ts",
    find: '      const index = t.clearOrder === "forward" ? next : n - 1 - next;',
    replace: '      const index = t.clearOrder === "forward" ? n - 1 - next : next;',
    rule: "subtype_dealloc releases __slots__ first to last (list and tuple items last to first)",
    tests: [OBJ_UNIT, OBJ_ORACLE],
  },
  {
    id: "obj-dealloc-resume-skips-slot",
    file: "src/objects/deallocator.ts",
    find: "        this.stackNext[top] = next;",
    replace: "        this.stackNext[top] = next + 1;",
    rule: "after a nested deallocation, tp_dealloc goes on with the very next slot",
    tests: [OBJ_UNIT, OBJ_ORACLE],
  },
  {
    id: "obj-trashcan-unwind-level-51",
    file: "src/objects/deallocator.ts",
    find: '"nesting" ? this.trashDepth >= tc.unwindLevel',
    replace: '"nesting" ? this.trashDepth > tc.unwindLevel',
    rule: "3.8–3.12's trashcan deposits once the nesting reaches _PyTrash_UNWIND_LEVEL (50), not past it",
    tests: [OBJ_ORACLE, DEALLOC_ORACLE],
  },
  {
    id: "obj-trashcan-drains-inside-outermost",
    file: "src/objects/deallocator.ts",
    find: 'tc.kind === "nesting" ? this.trashDepth <= 0',
    replace: 'tc.kind === "nesting" ? this.trashDepth <= 1',
    rule: "3.8–3.12's trashcan frees its deposits only once the nesting is back to 0",
    tests: [OBJ_ORACLE, DEALLOC_ORACLE],
  },
  {
    id: "obj-trashcan-drain-holds-no-level",
    file: "src/objects/deallocator.ts",
    find: "      this.trashDepth++;\n      this.push(0, 0, FRAME_DRAIN);",
    replace: "      this.push(0, 0, FRAME_DRAIN);",
    rule: "_PyTrash_thread_destroy_chain raises the nesting (3.8–3.12) or spends a unit of budget (3.13) while it drains",
    tests: [DEALLOC_ORACLE, DEALLOC_ORACLE_NEW],
  },
  {
    id: "obj-trashcan-budget-deposits-below-headroom",
    file: "src/objects/deallocator.ts",
    find: "tc.budget - this.trashDepth <= tc.headroom",
    replace: "tc.budget - this.trashDepth < tc.headroom",
    rule: "3.13 deposits once no more than Py_TRASHCAN_HEADROOM units of C recursion budget remain",
    tests: [DEALLOC_ORACLE_NEW],
  },
  {
    id: "obj-trashcan-budget-drains-at-twice-headroom",
    file: "src/objects/deallocator.ts",
    find: "tc.budget - this.trashDepth > 2 * tc.headroom",
    replace: "tc.budget - this.trashDepth >= 2 * tc.headroom",
    rule: "3.13 drains only once more than twice the headroom is left",
    tests: [DEALLOC_ORACLE_NEW],
  },
  {
    id: "obj-trashcan-finalizer-frame-kept",
    file: "src/objects/deallocator.ts",
    find: "      this.holdInFrame(address);\n      left++;",
    replace: "",
    rule: "3.8–3.10: a __del__ frame deposited by the trashcan keeps its object alive until the drain",
    tests: [DEALLOC_ORACLE],
  },
  {
    id: "obj-trashcan-finalizer-frame-drained-last",
    file: "src/objects/deallocator.ts",
    find: "this.frameAbove[this.nFrames - 1] === this.trashHead",
    replace: "this.trashHead === 0",
    rule: "3.8–3.10: deposited frames and objects leave the trash list in the order they came (one LIFO list)",
    tests: [DEALLOC_ORACLE],
  },
  {
    id: "obj-trashcan-stack-deposit-margin-3",
    file: "src/objects/deallocator.ts",
    find: "const DEPOSIT_BELOW = 2;",
    replace: "const DEPOSIT_BELOW = 3;",
    rule: "3.14+ _Py_Dealloc deposits a gc object with under 2 units of stack margin left",
    tests: [DEALLOC_ORACLE_NEW],
  },
  {
    id: "obj-trashcan-stack-drain-margin-3",
    file: "src/objects/deallocator.ts",
    find: "const DRAIN_FROM = 4;",
    replace: "const DRAIN_FROM = 3;",
    rule: "3.14+ _Py_Dealloc drains the deposits when it had 4 or more units of margin on entry",
    tests: [DEALLOC_ORACLE_NEW],
  },
  {
    id: "obj-trashcan-stack-drain-frame",
    file: "src/objects/deallocator.ts",
    find: "((flags & DIRECT) !== 0 ? tc.drainExtraBytes : 0)",
    replace: "0",
    rule: "3.14+ a drained object's deallocation sits under _PyTrash_thread_destroy_chain's frame, not _Py_Dealloc's",
    tests: [DEALLOC_ORACLE_NEW],
  },
  {
    id: "obj-trashcan-stack-list-frame",
    file: "src/objects/deallocator.ts",
    find: "(t.listLike ? tc.listFrameBytes : tc.frameBytes)",
    replace: "tc.frameBytes",
    rule: "3.14+ a list's deallocation takes list_dealloc's stack, not subtype_dealloc's",
    tests: [DEALLOC_ORACLE_NEW],
  },
  {
    id: "obj-weakref-callbacks-oldest-first",
    file: "src/objects/weakref-lists.ts",
    find: "    for (let i = 0; i < count; i++) {\n      const callback = pending[i];",
    replace: "    for (let i = count - 1; i >= 0; i--) {\n      const callback = pending[i];",
    rule: "PyObject_ClearWeakRefs calls the callbacks in list order: the newest weak reference's first",
    tests: [OBJ_UNIT, OBJ_ORACLE],
  },
  {
    id: "obj-weakref-callback-skips-singly-held",
    file: "src/objects/weakref-lists.ts",
    find: "      if (this.refcount(current) > 0) {",
    replace: "      if (this.refcount(current) > 1) {",
    rule: "PyObject_ClearWeakRefs leaves out only weak references that are dying themselves (refcount 0)",
    tests: [OBJ_UNIT, OBJ_ORACLE],
  },
  {
    id: "obj-weakref-inserted-before-basic",
    file: "src/objects/weakref-lists.ts",
    find: "    if (callback === undefined || basic === 0) {",
    replace: "    if (callback !== undefined || basic === 0) {",
    rule: "a weak reference with a callback goes after the basic one, which stays first and shared (unit test only: the oracles' callbacks come in the same order either way)",
    tests: [OBJ_UNIT],
  },
  {
    id: "obj-list-growth-plus-3",
    file: "src/objects/object-type.ts",
    find: "  let capacity = (newSize + (newSize >> 3) + 6) & ~3;",
    replace: "  let capacity = (newSize + (newSize >> 3) + 3) & ~3;",
    rule: "3.9+ list_resize over-allocates (newsize + (newsize >> 3) + 6) & ~3 (only where a real CPython runs: the list test has no golden, PYMEM_GOLDEN_ONLY skips it)",
    tests: [OBJ_ORACLE],
  },
  {
    id: "obj-tp-clear-slots-reversed",
    file: "src/objects/object-core.ts",
    find: "    for (let i = 0; i < t.slots; i++) {",
    replace: "    for (let i = t.slots - 1; i >= 0; i--) {",
    rule: "subtype_clear releases __slots__ first to last: the order delete_garbage frees what only the garbage held",
    tests: [GC_ORACLE, GC_STATS],
  },
  {
    id: "obj-immortal-exact-value",
    file: "src/objects/object-store.ts",
    find: "    return this.immortals && ((this.u32[address >>> 2] as number) | 0) < 0;",
    replace: "    return this.immortals && (this.u32[address >>> 2] as number) === 0xffff_ffff;",
    rule: "_Py_IsImmortal: the refcount's low 32 bits as int32 are negative (3.14's 3 << 30 too), not 3.12's 0xFFFFFFFF (unit test only: no oracle program has immortals)",
    tests: [OBJ_UNIT],
  },

  // ------------------------------------------------------------------ the debug hooks
  {
    id: "debug-cleanbyte-value",
    file: "src/pymalloc/debug-allocator.ts",
    find: "const CLEAN = 0xcd;",
    replace: "const CLEAN = 0xcb;",
    rule: "PYMEM_CLEANBYTE is 0xCD",
    tests: [DEBUG_UNIT, DEBUG_ORACLE],
  },
  {
    id: "debug-api-ids-swapped",
    file: "src/pymalloc/debug-allocator.ts",
    find: "const API_ID: Record<DebugDomain, number> = { raw: 0x72, mem: 0x6d, object: 0x6f };",
    replace: "const API_ID: Record<DebugDomain, number> = { raw: 0x72, mem: 0x6f, object: 0x6d };",
    rule: "the header's API id byte: 'm' for PyMem, 'o' for PyObject",
    tests: [DEBUG_UNIT, DEBUG_ORACLE],
  },
  {
    id: "debug-realloc-growth-off-by-one",
    file: "src/pymalloc/debug-allocator.ts",
    find: "    if (size > orig) u8.fill(CLEAN, q + orig, q + size);",
    replace: "    if (size > orig) u8.fill(CLEAN, q + orig + 1, q + size);",
    rule: "_PyMem_DebugRawRealloc fills all the growth with CLEANBYTE, from the old size on",
    tests: [DEBUG_UNIT, DEBUG_ORACLE],
  },
  {
    id: "debug-realloc-keeps-old-trailing-pad",
    file: "src/pymalloc/debug-allocator.ts",
    find: "      u8.fill(DEAD, base, base + orig + this.extra);",
    replace: "      u8.fill(DEAD, base, p + orig);",
    rule: "_PyMem_DebugRawRealloc erases a small block whole with DEADBYTE, its trailing pad included",
    tests: [DEBUG_UNIT, DEBUG_ORACLE],
  },
  {
    id: "debug-dump-ellipsis-at-16",
    file: "src/pymalloc/debug-allocator.ts",
    find: "      if (n - first > 8) {",
    replace: "      if (n - first >= 8) {",
    rule: "_PyObject_DebugDumpAddress prints ' ...' only when more than 8 bytes follow the first 8",
    tests: [DEBUG_ORACLE],
  },
  {
    id: "debug-pads-checked-before-id",
    file: "src/pymalloc/debug-allocator.ts",
    find: "    if (stored !== id) {",
    replace: "    if (stored !== id && u8[p - 1] === FORBIDDEN) {",
    rule: "_PyMem_DebugCheckAddress checks the API id before the leading pads (unit test only: the oracle's corruptions spoil one thing each; a double free spoils both)",
    tests: [DEBUG_UNIT],
  },
];

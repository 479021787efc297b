/**
 * The events of a {@link CycleCollector} and what they carry: CPython's
 * `gc.callbacks` ("start", "stop" and their info dict), `gc.get_stats()`'s
 * records, and the end of each phase of a collection, for tools that show a
 * collection step by step.
 *
 * @module
 */

/** What `gc.callbacks` receive, as in CPython. */
export interface GcInfo {
  /** The info dict's "generation": the generation collected (3.14: 0 young, 1 an increment, 2 a full collection). */
  generation: number;
  /** The info dict's "collected": objects found unreachable and collected; 0 at "start". */
  collected: number;
  /** The info dict's "uncollectable": objects kept by legacy finalizers (tp_del) and what they reach; 0 at "start". */
  uncollectable: number;
  /**
   * 3.15+: the info dict's "candidates", the objects the collection examined (those of the generations it
   * merged, as update_refs counts them); 0 at "start". Absent where the release does not report it.
   */
  candidates?: number;
  /** 3.15+: the info dict's "duration", the collection's wall time in seconds (here, the model's); 0 at "start". */
  duration?: number;
}

/** Per-generation statistics (`gc.get_stats()`). */
export interface GcGenerationStats {
  /** `gc.get_stats()`' "collections": how many times this generation was collected. */
  collections: number;
  /** `gc.get_stats()`' "collected": objects its collections collected, in total. */
  collected: number;
  /** `gc.get_stats()`' "uncollectable": objects its collections found uncollectable, in total. */
  uncollectable: number;
  /** 3.15+: `gc.get_stats()`' "candidates": objects its collections examined, in total. */
  candidates?: number;
  /** 3.15+: `gc.get_stats()`' "duration": seconds its collections took, in total (here, the model's). */
  duration?: number;
}

/** Events of {@link CycleCollector}. */
export interface GcEvents {
  /** A collection starts (`gc.callbacks` "start"). */
  "gc:start": GcInfo;
  /** A collection ended (`gc.callbacks` "stop"). */
  "gc:stop": GcInfo;
  /** A phase of a collection ended; `objects` is the size of the set it produced. */
  "gc:phase": {
    /** The generation being collected, as in {@link GcInfo.generation}. */
    generation: number;
    /** The CPython function of the phase that ended ("move_unreachable", "delete_garbage", ...; 3.14.0 adds "mark", "increment"; 3.15 has "handle_weakref_callbacks" for "handle_weakrefs", and "clear_weakrefs"). */
    phase: string;
    /** Objects in the set the phase produced (for "mark", the objects marked from the roots). */
    objects: number;
  };
}

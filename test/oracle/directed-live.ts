/**
 * directed-traces.ts's scenarios for the releases whose pymalloc only runs in
 * a started interpreter (3.12+): Python programs, run under `pymem record`,
 * that plan from the live addresses what to free. Blocks are bytes objects of
 * exactly a size class's size (a 33-byte header, then the data), one
 * PyObject_Calloc each, freed when the last reference goes; where the offline
 * traces take a pool with a block of a new class, these take one with big
 * blocks, until one comes from a new pool. A block's pool is its address
 * rounded down to the pool size; its arena is the arenaindex its pool header
 * records (after four pointers, as every release lays pool_header out).
 *
 * The interpreter allocates around the program (ints, the lists that hold the
 * objects); the recording holds every one, so the comparison is as exact as
 * for any live run. Whether a program reached the rules it aims at is judged
 * by watching pymem's replay of it (RuleProbe), not assumed.
 */
import type { Profile } from "../../src/index.js";
import type { LiveProgram } from "./live-programs.js";

/** The programs' prelude: the C entry points, and fill(n), which makes n full arenas of big blocks. */
function prelude(profile: Profile): string {
  return `
import ctypes
import _pymem_record
POOL = ${profile.poolSize}
BIG = ${profile.smallRequestThreshold}
HEAD = 33

def arena_of(pool):
    return ctypes.c_uint.from_address(pool + 32).value

def fill(n):
    """Big blocks until n arenas that served at least 8 pools of them lie between the first and the last that
    served any: those n are full, and mostly theirs. Returns their pools (lists of blocks), arena by arena."""
    blocks = []
    seen = []
    pools_in = {}
    last_pool = 0
    full = []
    while len(full) < n:
        start = len(blocks)
        blocks += [bytes(BIG - HEAD) for _ in range(256)]
        # Every 8th block: a pool holds more than 8 big blocks, so none is missed, and the loop allocates less.
        for b in blocks[start::8]:
            p = id(b) & ~(POOL - 1)
            if p != last_pool:
                last_pool = p
                i = arena_of(p)
                if i not in pools_in:
                    seen.append(i)
                    pools_in[i] = 0
                pools_in[i] += 1
                full = [j for j in seen[1:-1] if pools_in[j] >= 8]
                if len(full) == n:
                    break
    pools = {}
    for b in blocks:
        pools.setdefault(id(b) & ~(POOL - 1), []).append(b)
    del blocks[:]
    by_arena = [[] for _ in full]
    rest.clear()
    for p in sorted(pools):
        i = arena_of(p)
        if i in full:
            by_arena[full.index(i)].append(pools[p])
        else:
            rest.append(pools[p])
    return by_arena

def free_pool(blocks):
    blocks.clear()

def take_pool():
    """Big blocks until one comes from another pool than the first: a pool taken from usable_arenas' head."""
    first = None
    while True:
        b = bytes(BIG - HEAD)
        kept.append(b)
        p = id(b) & ~(POOL - 1)
        if first is None:
            first = p
        elif p != first:
            return

kept = []
rest = []
`;
}

function program(name: string, profile: Profile, body: string): LiveProgram {
  return {
    name,
    source: `${prelude(profile).trim()}\n${body.trim()}\n_pymem_record.checkpoint()\n`,
  };
}

/**
 * The directed programs for `profile` (a 3.12+ profile: its pool size and threshold). Each runs its scenarios one
 * after another, each on arenas of its own (fill), so that one start-up and exit serve several.
 */
export function directedLivePrograms(profile: Profile): LiveProgram[] {
  // Ties at k free pools: three full arenas get k free pools each, in the order 2, 0, 1; then blocks of other
  // classes take pools from whichever usable_arenas puts first, and more pools are freed in another arena.
  const ties = [1, 2, 3].map(
    (k) => `
arenas = fill(3)
for a in (2, 0, 1):
    for j in range(${k}):
        free_pool(arenas[a][j])
for _ in range(4):
    take_pool()
free_pool(arenas[0][${k}])
for _ in range(${2 * k + 1}):
    take_pool()
# Arenas 0 and 1 tied, 1 last; 1 moves on, then 0 (now the last at its count, after nfp2lasta's upkeep) does.
free_pool(arenas[1][${k}])
free_pool(arenas[1][${k + 1}])
free_pool(arenas[0][${k + 1}])
`,
  );
  // Case 2 among ties: two arenas already have one free pool; a full one gets one, and goes to the head.
  const case2 = `
arenas = fill(3)
free_pool(arenas[0][5])
free_pool(arenas[1][5])
free_pool(arenas[2][5])
take_pool()
free_pool(arenas[1][6])
take_pool()
take_pool()
`;
  // Whole arenas emptied in orders that end on each: released, or kept while it is the last usable one (then the
  // blocks of the arenas around them go too); new arenas then take the freed arena objects' slots.
  const release = [
    [0, 1, 2],
    [2, 1, 0],
  ].map(
    (order) => `
arenas = fill(3)
for a in (${order.join(", ")}):
    for pool in arenas[a]:
        free_pool(pool)
for pool in rest:
    free_pool(pool)
# The lists that held the blocks share those arenas' pools: they go too.
del arenas, pool
rest.clear()
kept += [bytes(BIG - HEAD) for _ in range(6000)]
`,
  );
  // Empty pools reused: pools of a class no one else uses emptied whole, and pools of a busy one emptied in
  // part; then taken by the same class (header and free list kept) and by another (set up again).
  const reuse = `
rare = [bytes(464 - HEAD) for _ in range(400)]
mid = [bytes(256 - HEAD) for _ in range(1200)]
rare.clear()
for i in range(len(mid)):
    if i % 240 < 180:
        mid[i] = None
kept += [bytes(464 - HEAD) for _ in range(150)]
kept += [bytes(400 - HEAD) for _ in range(200)]
kept += [bytes(256 - HEAD) for _ in range(200)]
`;
  return [
    program("ties", profile, [...ties, case2].join("")),
    program("release", profile, release.join("")),
    program("pool-reuse", profile, reuse),
  ];
}

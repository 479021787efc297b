/*
 * pymem-record: runs a Python program in an embedded CPython and writes the
 * allocation trace (trace-format v1) of its object allocator, start-up to
 * shutdown.
 *
 *   pymem-record [--addresses FILE] OUT.trace -- script.py [args...]
 *
 * Hooks go on the MEM and OBJ domains (both served by pymalloc) after
 * Py_PreInitialize and before Py_InitializeFromConfig, the window in which
 * CPython's documentation allows PyMem_SetAllocator; they forward every call to
 * the allocator they replace and log it. Blocks are named by small integer IDs,
 * reused after free, so the trace replays into any allocator.
 *
 * --addresses FILE also writes what the live run did with addresses: one line
 * per m, c and r of the trace ("a 0x...", or "a raw" when the block is not in
 * an arena) and "+0x..." / "-0x..." when an arena was taken or given back (the
 * arena allocator is wrapped too), so a replay can be checked against the live
 * run address for address.
 *
 * Determinism: the hash seed is fixed (1); the user site directory and the
 * environment's PYTHON* variables are ignored; on Linux the program re-executes
 * itself without address-space randomisation, because objects hashed by
 * identity order sets and dicts by address. What remains is the program's own:
 * clocks, os.urandom, the file system and the environment it reads.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __linux__
#include <sys/personality.h>
#include <unistd.h>
#endif

/* ---- pointer -> ID map (open addressing, linear probing, backward-shift deletion) ---- */

typedef struct {
    uintptr_t key; /* 0 = empty */
    uint64_t id;
} slot_t;

static slot_t *table;
static size_t table_cap, table_len;
static uint64_t *free_ids;
static size_t free_len, free_cap;
static uint64_t next_id, max_id;

static size_t hash_ptr(uintptr_t p) {
    uint64_t x = (uint64_t)p >> 4;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return (size_t)x;
}

static void map_put(uintptr_t key, uint64_t id);

static void map_grow(void) {
    slot_t *old = table;
    size_t old_cap = table_cap;
    table_cap = old_cap ? old_cap * 2 : 1 << 16;
    table = calloc(table_cap, sizeof(slot_t));
    table_len = 0;
    for (size_t i = 0; i < old_cap; i++)
        if (old[i].key) map_put(old[i].key, old[i].id);
    free(old);
}

static void map_put(uintptr_t key, uint64_t id) {
    if ((table_len + 1) * 4 > table_cap * 3) map_grow();
    size_t mask = table_cap - 1, i = hash_ptr(key) & mask;
    while (table[i].key && table[i].key != key) i = (i + 1) & mask;
    if (!table[i].key) table_len++;
    table[i].key = key;
    table[i].id = id;
}

/* Removes key; returns 1 and its id when present. */
static int map_take(uintptr_t key, uint64_t *id) {
    if (!table_cap) return 0;
    size_t mask = table_cap - 1, i = hash_ptr(key) & mask;
    while (table[i].key && table[i].key != key) i = (i + 1) & mask;
    if (!table[i].key) return 0;
    *id = table[i].id;
    table[i].key = 0;
    table_len--;
    /* Backward shift: move later entries of the cluster into the hole when their home allows it. */
    size_t j = i;
    for (;;) {
        j = (j + 1) & mask;
        if (!table[j].key) break;
        size_t home = hash_ptr(table[j].key) & mask;
        if ((j > i && (home <= i || home > j)) || (j < i && (home <= i && home > j))) {
            table[i] = table[j];
            table[j].key = 0;
            i = j;
        }
    }
    return 1;
}

static uint64_t new_id(void) {
    uint64_t id = free_len ? free_ids[--free_len] : next_id++;
    if (id > max_id) max_id = id;
    return id;
}

static void release_id(uint64_t id) {
    if (free_len == free_cap) {
        free_cap = free_cap ? free_cap * 2 : 1024;
        free_ids = realloc(free_ids, free_cap * sizeof(uint64_t));
    }
    /* Keep the free IDs sorted descending so the smallest is reused first: IDs stay small and deterministic. */
    size_t k = free_len++;
    while (k > 0 && free_ids[k - 1] < id) {
        free_ids[k] = free_ids[k - 1];
        k--;
    }
    free_ids[k] = id;
}

/* ---- logging ---- */

static FILE *body, *addr_out;
static int logging;
static uint64_t n_ops, n_m, n_c, n_r, n_f, n_failed, skipped_free, skipped_realloc, live, peak_live;
static PyMemAllocatorEx orig_mem, orig_obj;
static PyObjectArenaAllocator orig_arena;
/* Inside a call to pymalloc: arena allocator calls made then are pymalloc's arenas. CPython also takes other
   memory from the arena allocator (3.11's frame data stack chunks, via _PyObject_VirtualAlloc); those are not arenas. */
static int in_pymalloc;
static void log_addr(void *p) {
    if (!addr_out) return;
    fprintf(addr_out, "a 0x%lx\n", (unsigned long)(uintptr_t)p);
}

static void note_new(void *p, int op, size_t a, size_t b) {
    uint64_t id = new_id();
    map_put((uintptr_t)p, id);
    live++;
    if (live > peak_live) peak_live = live;
    n_ops++;
    if (op == 'c') {
        n_c++;
        fprintf(body, "c %llu %zu %zu\n", (unsigned long long)id, a, b);
    } else {
        n_m++;
        fprintf(body, "m %llu %zu\n", (unsigned long long)id, a);
    }
    log_addr(p);
}

#define HOOKS(NAME, ORIG)                                                                        \
    static void *NAME##_malloc(void *ctx, size_t n) {                                            \
        in_pymalloc++; void *p = ORIG.malloc(ORIG.ctx, n); in_pymalloc--;                         \
        if (logging) {                                                                           \
            logging = 0;                                                                         \
            if (p) note_new(p, 'm', n, 0);                                                       \
            else n_failed++;                                                                     \
            logging = 1;                                                                         \
        }                                                                                        \
        return p;                                                                                \
    }                                                                                            \
    static void *NAME##_calloc(void *ctx, size_t ne, size_t es) {                                \
        in_pymalloc++; void *p = ORIG.calloc(ORIG.ctx, ne, es); in_pymalloc--;                    \
        if (logging) {                                                                           \
            logging = 0;                                                                         \
            if (p) note_new(p, 'c', ne, es);                                                     \
            else n_failed++;                                                                     \
            logging = 1;                                                                         \
        }                                                                                        \
        return p;                                                                                \
    }                                                                                            \
    static void *NAME##_realloc(void *ctx, void *old, size_t n) {                                \
        in_pymalloc++; void *p = ORIG.realloc(ORIG.ctx, old, n); in_pymalloc--;                   \
        if (logging) {                                                                           \
            logging = 0;                                                                         \
            uint64_t id;                                                                         \
            if (!p) {                                                                            \
                n_failed++;                                                                      \
            } else if (old == NULL) {                                                            \
                note_new(p, 'm', n, 0);                                                          \
            } else if (map_take((uintptr_t)old, &id)) {                                          \
                map_put((uintptr_t)p, id);                                                       \
                n_ops++;                                                                         \
                n_r++;                                                                           \
                fprintf(body, "r %llu %zu\n", (unsigned long long)id, n);                        \
                log_addr(p);                                                                     \
            } else {                                                                             \
                skipped_realloc++;                                                               \
                note_new(p, 'm', n, 0);                                                          \
            }                                                                                    \
            logging = 1;                                                                         \
        }                                                                                        \
        return p;                                                                                \
    }                                                                                            \
    static void NAME##_free(void *ctx, void *p) {                                                \
        if (logging && p) {                                                                      \
            logging = 0;                                                                         \
            uint64_t id;                                                                         \
            if (map_take((uintptr_t)p, &id)) {                                                   \
                n_ops++;                                                                         \
                n_f++;                                                                           \
                live--;                                                                          \
                fprintf(body, "f %llu\n", (unsigned long long)id);                               \
                release_id(id);                                                                  \
            } else {                                                                             \
                skipped_free++;                                                                  \
            }                                                                                    \
            logging = 1;                                                                         \
        }                                                                                        \
        in_pymalloc++; ORIG.free(ORIG.ctx, p); in_pymalloc--;                                     \
    }

HOOKS(mem, orig_mem)
HOOKS(obj, orig_obj)

static void *arena_alloc(void *ctx, size_t size) {
    void *p = orig_arena.alloc(orig_arena.ctx, size);
    if (p && addr_out && in_pymalloc) fprintf(addr_out, "+0x%lx\n", (unsigned long)(uintptr_t)p);
    return p;
}

static void arena_free(void *ctx, void *p, size_t size) {
    if (addr_out && in_pymalloc) fprintf(addr_out, "-0x%lx\n", (unsigned long)(uintptr_t)p);
    orig_arena.free(orig_arena.ctx, p, size);
}

static void die_status(PyStatus status) {
    if (PyStatus_Exception(status)) Py_ExitStatusException(status);
}

int main(int argc, char **argv) {
#ifdef __linux__
    /* Objects hashed by identity order sets and dicts by address: without address-space randomisation the
       addresses, and so the program's allocations, repeat from run to run. Re-exec once with it off. */
    int persona = personality(0xffffffff);
    if (persona != -1 && !(persona & ADDR_NO_RANDOMIZE) && personality(persona | ADDR_NO_RANDOMIZE) != -1) {
        execv("/proc/self/exe", argv);
    }
#endif
    const char *out = NULL, *addresses = NULL;
    int i = 1;
    for (; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0) {
            i++;
            break;
        } else if (strcmp(argv[i], "--addresses") == 0 && i + 1 < argc) {
            addresses = argv[++i];
        } else if (!out) {
            out = argv[i];
        } else {
            break;
        }
    }
    if (!out || i >= argc) {
        fprintf(stderr, "usage: pymem-record [--addresses FILE] OUT.trace -- script.py [args...]\n");
        return 2;
    }
    char body_path[4096];
    snprintf(body_path, sizeof body_path, "%s.body", out);
    body = fopen(body_path, "w+");
    if (!body) {
        perror(body_path);
        return 1;
    }
    setvbuf(body, NULL, _IOFBF, 1 << 20);
    if (addresses) {
        addr_out = fopen(addresses, "w");
        if (!addr_out) {
            perror(addresses);
            return 1;
        }
        setvbuf(addr_out, NULL, _IOFBF, 1 << 20);
    }

    PyPreConfig pre;
    PyPreConfig_InitPythonConfig(&pre);
    pre.allocator = PYMEM_ALLOCATOR_PYMALLOC;
    pre.use_environment = 0;
    die_status(Py_PreInitialize(&pre));

    PyMem_GetAllocator(PYMEM_DOMAIN_MEM, &orig_mem);
    PyMem_GetAllocator(PYMEM_DOMAIN_OBJ, &orig_obj);
    PyObject_GetArenaAllocator(&orig_arena);
    PyMemAllocatorEx mem = {NULL, mem_malloc, mem_calloc, mem_realloc, mem_free};
    PyMemAllocatorEx obj = {NULL, obj_malloc, obj_calloc, obj_realloc, obj_free};
    PyObjectArenaAllocator arena = {NULL, arena_alloc, arena_free};
    PyMem_SetAllocator(PYMEM_DOMAIN_MEM, &mem);
    PyMem_SetAllocator(PYMEM_DOMAIN_OBJ, &obj);
    PyObject_SetArenaAllocator(&arena);
    logging = 1;

    PyConfig config;
    PyConfig_InitPythonConfig(&config);
    config.use_hash_seed = 1;
    config.hash_seed = 1;
    config.user_site_directory = 0;
    config.use_environment = 0;
    config.parse_argv = 0;
    die_status(PyConfig_SetString(&config, &config.run_filename, Py_DecodeLocale(argv[i], NULL)));
    wchar_t **wargv = calloc((size_t)(argc - i) + 1, sizeof(wchar_t *));
    for (int k = i; k < argc; k++) wargv[k - i] = Py_DecodeLocale(argv[k], NULL);
    die_status(PyConfig_SetArgv(&config, argc - i, wargv));
    die_status(Py_InitializeFromConfig(&config));
    PyConfig_Clear(&config);

    logging = 0;
    fprintf(body, "# --- interpreter start-up done ---\ns\n");
    logging = 1;
    int status = Py_RunMain(); /* runs the script, then finalizes the interpreter */
    logging = 0;

    FILE *f = fopen(out, "w");
    if (!f) {
        perror(out);
        return 1;
    }
    fprintf(f, "# workload: %s\n", argv[i]);
    fprintf(f, "# python: %s\n", Py_GetVersion() ? PY_VERSION : "?");
    fprintf(f, "# recorded-by: pymem-record (PYMEM_DOMAIN_MEM + PYMEM_DOMAIN_OBJ, start-up to shutdown, hash seed 1)\n");
    fprintf(f, "# ops: %llu (m %llu, c %llu, r %llu, f %llu)\n", (unsigned long long)n_ops, (unsigned long long)n_m,
            (unsigned long long)n_c, (unsigned long long)n_r, (unsigned long long)n_f);
    fprintf(f, "# peak-live: %llu\n", (unsigned long long)peak_live);
    fprintf(f, "# max-id: %llu\n", (unsigned long long)max_id);
    fprintf(f, "# live-at-end: %llu\n", (unsigned long long)live);
    fprintf(f, "# skipped: %llu free(s) and %llu realloc(s) of blocks from before the hooks (reallocs written as m), %llu failed call(s)\n",
            (unsigned long long)skipped_free, (unsigned long long)skipped_realloc, (unsigned long long)n_failed);
    fprintf(f, "# exit-status: %d\n", status);
    fflush(body);
    rewind(body);
    char buf[1 << 16];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, body)) > 0) fwrite(buf, 1, n, f);
    fclose(body);
    remove(body_path);
    if (fclose(f) != 0) {
        perror(out);
        return 1;
    }
    if (addr_out) fclose(addr_out);
    return status;
}

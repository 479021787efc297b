/*
 * pymem-record: runs a Python program in an embedded CPython and writes the
 * allocation trace (trace-format v1) of its object allocator, start-up to
 * shutdown.
 *
 *   pymem-record [--addresses FILE] [--stats FILE] [--program PYTHON] OUT.trace -- script.py [args...]
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
 * --stats FILE writes the live pymalloc's own report (_PyObject_DebugMallocStats, the first part of
 * sys._debugmallocstats()) at every checkpoint: the end of start-up, and each call the program makes to
 * _pymem_record.checkpoint(), a module the recorder builds in. Each checkpoint is an `s` line of the trace, so the
 * report can be set beside a replay's at the same op.
 *
 * --program PYTHON is the interpreter whose libpython the recorder runs: its path-finding starts there, so the
 * program sees that installation's standard library and site-packages (a virtual environment's included), wherever
 * the installation lives.
 *
 * The program runs in a child process and the parent writes the trace when it is gone, so a program that ends by
 * sys.exit(), by an uncaught exception or by KeyboardInterrupt is recorded to the end of finalization, and the header's
 * exit-status and the recorder's own are the program's (128 + N when signal N ended it). A program that ends without
 * finalizing (os._exit(), a crash) gets no trace and a message saying so. The body is written to an unlinked file
 * next to OUT, so nothing temporary is ever left behind.
 *
 * Types: each block that holds a Python object gets a "# type ID NAME" line after its m or c, and each block an
 * object owns (a list's items, a dict's keys or values, a set's table...) a "# part ID NAME" line naming the owner's
 * type (docs/trace-format.md, "Types"). The child finds them (see "types" below) and writes them to a second unlinked
 * side file with the body line they belong after; the parent merges them in as it writes the trace.
 *
 * Determinism: the hash seed is fixed (1); the user site directory and the
 * environment's PYTHON* variables are ignored; on Linux the program re-executes
 * itself without address-space randomisation, because objects hashed by
 * identity order sets and dicts by address. What remains is the program's own:
 * clocks, os.urandom, the file system and the environment it reads.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/personality.h>
#endif

/* ---- pointer -> ID map (open addressing, linear probing, backward-shift deletion) ---- */

typedef struct {
    uintptr_t key; /* 0 = empty */
    uint64_t id;
    uint64_t line;      /* the body line of the m or c that made the block: its type annotation goes after it */
    uint64_t size;      /* bytes asked for (the last realloc's) */
    int32_t type_check; /* the block as a type object: 0 not checked yet, -1 not one, k > 0 its name's index + 1 */
    uint8_t named;      /* this lifetime has its annotation already */
    uint8_t kind;       /* what the object it holds owns beyond itself (OWNS_*), once named as an object */
    uint8_t offset;     /* where that object starts in the block: after the GC head and any pre-header */
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

static void map_put(slot_t entry);

static void map_grow(void) {
    slot_t *old = table;
    size_t old_cap = table_cap;
    table_cap = old_cap ? old_cap * 2 : 1 << 16;
    table = calloc(table_cap, sizeof(slot_t));
    table_len = 0;
    for (size_t i = 0; i < old_cap; i++)
        if (old[i].key) map_put(old[i]);
    free(old);
}

static void map_put(slot_t entry) {
    if ((table_len + 1) * 4 > table_cap * 3) map_grow();
    size_t mask = table_cap - 1, i = hash_ptr(entry.key) & mask;
    while (table[i].key && table[i].key != entry.key) i = (i + 1) & mask;
    if (!table[i].key) table_len++;
    table[i] = entry;
}

/* The live block starting at key, or NULL. */
static slot_t *map_find(uintptr_t key) {
    if (!table_cap || !key) return NULL;
    size_t mask = table_cap - 1, i = hash_ptr(key) & mask;
    while (table[i].key && table[i].key != key) i = (i + 1) & mask;
    return table[i].key ? &table[i] : NULL;
}

/* Removes key; returns 1 and its entry when present. */
static int map_take(uintptr_t key, slot_t *entry) {
    slot_t *found = map_find(key);
    if (!found) return 0;
    *entry = *found;
    size_t mask = table_cap - 1, i = (size_t)(found - table);
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

static FILE *body, *addr_out, *stats_out, *types_out;
static uint64_t body_lines; /* lines written to the body so far: the next one is body_lines + 1 */
static uint64_t n_checkpoints;
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

/* ---- types: which Python object a block holds ----
 *
 * With types on (the default), each block that holds a Python object is named after the object's type, and each
 * block an object owns (a list's items, a dict's keys or values, a set's table, a bytearray's bytes, a class's shared
 * keys, 3.11-3.12 instance values) after its owner's type. An object is recognised by its header: a type pointer
 * where the type's layout puts it (after the GC head, and after the pre-header of managed dicts and weakrefs), a
 * reference count rather than an address before it, and a block big enough for the type's basic size. A type pointer
 * is believed only after checking that it lies in memory known to be mapped (a live block of the run, for classes,
 * or a loaded executable or library, for static types) and that its own type is a metatype. Objects are named when
 * their block is freed (their header is still whole then) and, with what they own, at every checkpoint and at the
 * naming passes between (below). Each name is written to a side file with the body line of the block's m or c; the
 * parent puts it after that line. */

#define GC_HEAD (2 * sizeof(void *))
enum { OWNS_NOTHING, OWNS_LIST, OWNS_DICT, OWNS_SET, OWNS_BYTEARRAY, OWNS_CLASS, OWNS_VALUES };

static char **names;
static size_t n_names, names_cap;
static int32_t *name_slots; /* open addressing over names: index + 1, 0 empty */
static size_t name_slots_cap;

static size_t hash_text(const char *t) {
    size_t h = 1469598103934665603ULL;
    for (; *t; t++) h = (h ^ (unsigned char)*t) * 1099511628211ULL;
    return h;
}

/* The index of a type's name, written to the side file the first time it is seen. */
static int32_t name_index(const char *tp_name) {
    char clean[256];
    size_t n = 0;
    for (; tp_name[n] && n < sizeof clean - 1; n++) {
        unsigned char c = (unsigned char)tp_name[n];
        clean[n] = c <= ' ' ? '?' : (char)c; /* one field: no spaces or line breaks */
    }
    clean[n] = 0;
    if ((n_names + 1) * 2 > name_slots_cap) {
        size_t cap = name_slots_cap ? name_slots_cap * 2 : 1024;
        free(name_slots);
        name_slots = calloc(cap, sizeof(int32_t));
        name_slots_cap = cap;
        for (size_t k = 0; k < n_names; k++) {
            size_t i = hash_text(names[k]) & (cap - 1);
            while (name_slots[i]) i = (i + 1) & (cap - 1);
            name_slots[i] = (int32_t)k + 1;
        }
    }
    size_t mask = name_slots_cap - 1, i = hash_text(clean) & mask;
    for (; name_slots[i]; i = (i + 1) & mask)
        if (strcmp(names[name_slots[i] - 1], clean) == 0) return name_slots[i] - 1;
    if (n_names == names_cap) {
        names_cap = names_cap ? names_cap * 2 : 256;
        names = realloc(names, names_cap * sizeof(char *));
    }
    names[n_names] = strdup(clean);
    name_slots[i] = (int32_t)n_names + 1;
    fprintf(types_out, "n %zu %s\n", n_names, clean);
    return (int32_t)n_names++;
}

/* Static types believed so far (type pointer -> name index), and pointers found to be no type at all. */
typedef struct {
    uintptr_t key;
    int32_t name;
} static_type_t;
static static_type_t static_types[4096];
static uintptr_t rejected[4096];

static size_t pre_header(PyTypeObject *tp) {
    unsigned long flags = 0;
#ifdef Py_TPFLAGS_MANAGED_DICT
    flags |= Py_TPFLAGS_MANAGED_DICT;
#endif
#ifdef Py_TPFLAGS_MANAGED_WEAKREF
    flags |= Py_TPFLAGS_MANAGED_WEAKREF;
#endif
    return (tp->tp_flags & flags) ? 2 * sizeof(void *) : 0;
}

static int in_loaded_object(uintptr_t from, size_t n) {
    Dl_info a, b;
    return dladdr((void *)from, &a) && dladdr((void *)(from + n - 1), &b) && a.dli_fbase == b.dli_fbase;
}

static int32_t type_name_of(uintptr_t t);

/* A type whose instances are types. */
static int is_metatype(uintptr_t m) {
    return type_name_of(m) >= 0 && (((PyTypeObject *)m)->tp_flags & Py_TPFLAGS_TYPE_SUBCLASS);
}

/* The name index of t when it is a type object, else -1; reads memory only where it is known to be mapped. */
static int32_t type_name_of(uintptr_t t) {
    if (!t || (t & 7)) return -1;
    slot_t *block = map_find(t - GC_HEAD);
    if (block) { /* a class: a GC object in a live block */
        if (block->type_check) return block->type_check > 0 ? block->type_check - 1 : -1;
        block->type_check = -1; /* while checking: a block whose type word points at itself is no type */
        PyTypeObject *tp = (PyTypeObject *)t;
        /* A class's tp_name points into its name's UTF-8 form, a live block too. */
        if (block->size >= GC_HEAD + sizeof(PyHeapTypeObject) && (tp->tp_flags & Py_TPFLAGS_HEAPTYPE) &&
            tp->tp_name && is_metatype((uintptr_t)((PyObject *)t)->ob_type))
            block->type_check = name_index(tp->tp_name) + 1;
        return block->type_check > 0 ? block->type_check - 1 : -1;
    }
    size_t h = (size_t)(t >> 3) & 4095;
    for (size_t k = h;; k = (k + 1) & 4095) {
        if (static_types[k].key == t) return static_types[k].name;
        if (!static_types[k].key) break;
    }
    if (rejected[h] == t) return -1;
    PyTypeObject *tp = (PyTypeObject *)t;
    int32_t name = -1;
    if (in_loaded_object(t, sizeof(PyTypeObject)) && !(tp->tp_flags & Py_TPFLAGS_HEAPTYPE) && tp->tp_name &&
        in_loaded_object((uintptr_t)tp->tp_name, 1)) {
        uintptr_t m = (uintptr_t)((PyObject *)t)->ob_type;
        if (m == (uintptr_t)&PyType_Type || (m != t && is_metatype(m))) name = name_index(tp->tp_name);
    }
    if (name < 0) {
        rejected[h] = t;
        return -1;
    }
    for (size_t k = h;; k = (k + 1) & 4095) {
        if (!static_types[k].key) {
            static_types[k].key = t;
            static_types[k].name = name;
            break;
        }
        if (k == ((h + 4094) & 4095)) break; /* full: believed again next time */
    }
    return name;
}

static void annotate(slot_t *s, char kind, int32_t name) {
    s->named = 1;
    fprintf(types_out, "%llu %llu %c %d\n", (unsigned long long)s->line, (unsigned long long)s->id, kind, name);
}

static int derives_from(PyTypeObject *tp, PyTypeObject *base) {
    /* tp_base, not PyType_IsSubtype: the MRO of 3.12+'s static types lives in the interpreter, gone late in finalization. */
    for (; tp; tp = tp->tp_base)
        if (tp == base) return 1;
    return 0;
}

static uint8_t owns(PyTypeObject *tp, PyObject *o) {
    if (PyType_FastSubclass(tp, Py_TPFLAGS_LIST_SUBCLASS)) return OWNS_LIST;
    if (PyType_FastSubclass(tp, Py_TPFLAGS_DICT_SUBCLASS)) return OWNS_DICT;
    if (PyType_FastSubclass(tp, Py_TPFLAGS_TYPE_SUBCLASS))
        return (((PyTypeObject *)o)->tp_flags & Py_TPFLAGS_HEAPTYPE) ? OWNS_CLASS : OWNS_NOTHING;
    if (derives_from(tp, &PySet_Type) || derives_from(tp, &PyFrozenSet_Type)) return OWNS_SET;
    if (derives_from(tp, &PyByteArray_Type)) return OWNS_BYTEARRAY;
    if (pre_header(tp)) return OWNS_VALUES;
    return OWNS_NOTHING;
}

/* A reference count, not an address or other data: below 2^32 (3.12-3.13's immortals included); 3.14 and later keep
   flags in the word's top 16 bits. */
static int plausible_count(uint64_t word) {
#if PY_VERSION_HEX >= 0x030E0000
    return (word & 0x0000ffff00000000ULL) == 0;
#else
    return word >> 32 == 0;
#endif
}

/* Names the object a block holds, if it holds one: one being freed (`live` 0) has a reference count of 0. */
static void name_object(slot_t *s, int live) {
    static const size_t offsets[3] = {0, GC_HEAD, GC_HEAD + 2 * sizeof(void *)};
    for (int k = 0; k < 3; k++) {
        size_t off = offsets[k];
        if (s->size < off + 2 * sizeof(void *)) return;
        uintptr_t *o = (uintptr_t *)(s->key + off);
        if (live ? !plausible_count(o[0]) : (uint32_t)o[0] != 0) continue;
        int32_t name = type_name_of(o[1]);
        if (name < 0) continue;
        PyTypeObject *tp = (PyTypeObject *)o[1];
        size_t want = (tp->tp_flags & Py_TPFLAGS_HAVE_GC) ? GC_HEAD + pre_header(tp) : 0;
        /* A compact str is smaller than str's basic size, the layout of the legacy strs subclasses still have. */
        size_t least = tp == &PyUnicode_Type ? sizeof(PyASCIIObject) + 1 : (size_t)tp->tp_basicsize;
        if (want != off || off + least > s->size) continue;
        s->offset = (uint8_t)off;
        if (live) s->kind = owns(tp, (PyObject *)o);
        annotate(s, 't', name);
        return;
    }
}

/* Names the block at p, unnamed yet, as memory owned by an object of type `name`. With `prefixed`, p may also be
   values preceded by a prefix whose size is the byte before them (3.11-3.12's dict values). */
static void name_part(uintptr_t p, int32_t name, int prefixed) {
    if (p < 4096) return;
    slot_t *s = map_find(p);
    if (!s && prefixed && !(p & 7)) s = map_find(p - ((uint8_t *)p)[-1]);
    if (s && !s->named) annotate(s, 'p', name);
}

static void name_parts(slot_t *s) {
    PyObject *o = (PyObject *)(s->key + s->offset);
    int32_t name = type_name_of((uintptr_t)o->ob_type);
    if (name < 0) return;
    switch (s->kind) {
    case OWNS_LIST:
        name_part((uintptr_t)((PyListObject *)o)->ob_item, name, 0);
        break;
    case OWNS_DICT: {
        PyDictObject *d = (PyDictObject *)o;
        /* A split dict's keys are its class's (named with the class). */
        if (d->ma_values) name_part((uintptr_t)d->ma_values, name, 1);
        else name_part((uintptr_t)d->ma_keys, name, 0);
        break;
    }
    case OWNS_SET: {
        PySetObject *so = (PySetObject *)o;
        if (so->table != so->smalltable) name_part((uintptr_t)so->table, name, 0);
        break;
    }
    case OWNS_BYTEARRAY:
        name_part((uintptr_t)((PyByteArrayObject *)o)->ob_bytes, name, 0);
        break;
    case OWNS_CLASS:
        name_part((uintptr_t)((PyHeapTypeObject *)o)->ht_cached_keys, name, 0);
        break;
    case OWNS_VALUES: {
        /* 3.11-3.12 keep an instance's values outside it, their address in the pre-header (3.12 tags it). */
        uintptr_t *pre = (uintptr_t *)o - 4;
        for (int k = 0; k < 2; k++)
            if (pre[k] && !map_find((pre[k] & ~(uintptr_t)1) - GC_HEAD)) name_part(pre[k] & ~(uintptr_t)1, name, 1);
        break;
    }
    }
}

/* A checkpoint: every live block's object, then what the objects own. */
static void name_live_blocks(void) {
    for (size_t i = 0; i < table_cap; i++)
        if (table[i].key && !table[i].named) name_object(&table[i], 1);
    for (size_t i = 0; i < table_cap; i++)
        if (table[i].key && table[i].kind) name_parts(&table[i]);
}

/* Blocks an object owns are named only by a pass over the live blocks, which needs every object whole: a checkpoint,
   or a pass of our own between two bytecodes (a pending call), asked for once the calls since the last pass reach
   2^16 and the live blocks (so a pass costs a constant per call, however many blocks live). */
static uint64_t calls_since_pass;
static int pass_pending;

static int naming_pass(void *unused) {
    (void)unused;
    pass_pending = 0;
    calls_since_pass = 0;
    int was = logging;
    logging = 0;
    if (types_out) name_live_blocks();
    logging = was;
    return 0;
}

static void count_for_pass(void) {
    if (!types_out || pass_pending || ++calls_since_pass < 65536 || calls_since_pass < live) return;
    /* Py_AddPendingCall takes a lock and a slot of a fixed array: nothing allocated, safe inside the hooks. */
    if (Py_AddPendingCall(naming_pass, NULL) == 0) pass_pending = 1;
}

static void note_new(void *p, int op, size_t a, size_t b) {
    uint64_t id = new_id();
    slot_t entry = {(uintptr_t)p, id, ++body_lines, op == 'c' ? a * b : a, 0, 0, 0, 0};
    map_put(entry);
    live++;
    if (live > peak_live) peak_live = live;
    n_ops++;
    count_for_pass();
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
            slot_t entry;                                                                        \
            if (!p) {                                                                            \
                n_failed++;                                                                      \
            } else if (old == NULL) {                                                            \
                note_new(p, 'm', n, 0);                                                          \
            } else if (map_take((uintptr_t)old, &entry)) {                                       \
                entry.key = (uintptr_t)p;                                                        \
                entry.size = n;                                                                  \
                map_put(entry);                                                                  \
                n_ops++;                                                                         \
                n_r++;                                                                           \
                body_lines++;                                                                    \
                fprintf(body, "r %llu %zu\n", (unsigned long long)entry.id, n);                  \
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
            slot_t *entry = map_find((uintptr_t)p);                                              \
            if (entry) {                                                                         \
                if (types_out && !entry->named) name_object(entry, 0);                           \
                uint64_t id = entry->id;                                                         \
                slot_t gone;                                                                     \
                map_take((uintptr_t)p, &gone);                                                   \
                n_ops++;                                                                         \
                n_f++;                                                                           \
                live--;                                                                          \
                body_lines++;                                                                    \
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

/* Declared in the headers of some releases only (an internal one since 3.13), exported by all of them. */
PyAPI_FUNC(int) _PyObject_DebugMallocStats(FILE *out);

/* An s line, and the live report beside it. Nothing here allocates through the hooked domains. */
static void checkpoint_now(void) {
    int was = logging;
    logging = 0;
    body_lines++;
    fprintf(body, "s\n");
    n_checkpoints++;
    if (types_out) name_live_blocks();
    calls_since_pass = 0;
    if (stats_out) {
        fprintf(stats_out, "--- checkpoint %llu after op %llu\n", (unsigned long long)n_checkpoints,
                (unsigned long long)n_ops);
        /* The report is written only while pymalloc itself serves the object domain: the hooks step aside for it. */
        PyMemAllocatorEx hooked;
        PyMem_GetAllocator(PYMEM_DOMAIN_OBJ, &hooked);
        PyMem_SetAllocator(PYMEM_DOMAIN_OBJ, &orig_obj);
        _PyObject_DebugMallocStats(stats_out);
        PyMem_SetAllocator(PYMEM_DOMAIN_OBJ, &hooked);
        fflush(stats_out);
    }
    logging = was;
}

static PyObject *checkpoint_py(PyObject *self, PyObject *unused) {
    checkpoint_now();
    Py_RETURN_NONE;
}

static PyMethodDef record_methods[] = {
    {"checkpoint", checkpoint_py, METH_NOARGS,
     "Marks a checkpoint: an s line in the trace (and the live pymalloc report with --stats)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef record_module = {PyModuleDef_HEAD_INIT, "_pymem_record",
                                           "What pymem-record offers the program it records.", -1, record_methods};

static PyObject *init_record_module(void) { return PyModule_Create(&record_module); }

static void die_status(PyStatus status) {
    if (PyStatus_Exception(status)) Py_ExitStatusException(status);
}

/* ---- the end of the run ----
 *
 * The program runs in a child process; the parent waits for it and writes the trace. The trace cannot be written
 * after Py_RunMain returns: on SystemExit (sys.exit(), even with 0) CPython finalizes and calls exit() itself, and
 * Py_RunMain never returns. A C atexit handler would see that exit but not its status, which the header carries;
 * the parent gets the status from waitpid, whatever way the child ended. */

/* What the parent needs from the child for the header, sent down a pipe when finalization is over. */
typedef struct {
    uint64_t ops, m, c, r, f, failed, skipped_free, skipped_realloc, live, peak_live, max_id;
    int write_errno; /* non-zero when writing the body or the addresses failed */
} summary_t;

static int summary_fd = -1; /* the pipe to the parent; -1 in processes the program forks */

/* Registered with Py_AtExit, so it runs at the end of Py_FinalizeEx on every way out that finalizes: the script
   ending, SystemExit, an uncaught exception, KeyboardInterrupt. Nothing after it uses the MEM or OBJ domain, so the
   body is complete here. */
static void finalized(void) {
    if (summary_fd < 0) return;
    logging = 0;
    summary_t s = {n_ops, n_m, n_c, n_r, n_f, n_failed, skipped_free, skipped_realloc, live, peak_live, max_id, 0};
    if (fflush(body) != 0 || ferror(body)) s.write_errno = errno ? errno : EIO;
    if (addr_out && (fflush(addr_out) != 0 || ferror(addr_out))) s.write_errno = errno ? errno : EIO;
    if (stats_out && (fflush(stats_out) != 0 || ferror(stats_out))) s.write_errno = errno ? errno : EIO;
    if (types_out && (fflush(types_out) != 0 || ferror(types_out))) s.write_errno = errno ? errno : EIO;
    /* Smaller than PIPE_BUF: one write, never partial, and the pipe is empty so it does not block. */
    if (write(summary_fd, &s, sizeof s) < 0) perror("pymem-record: pipe");
    close(summary_fd);
    summary_fd = -1;
}

/* A fork made by the program (os.fork, multiprocessing) copies the hooks and the open files. Flushing first leaves
   the copy nothing buffered to write a second time; the copy's own calls are not the recorded process's. */
static void before_fork(void) {
    fflush(body);
    if (types_out) fflush(types_out);
    if (addr_out) fflush(addr_out);
    if (stats_out) fflush(stats_out);
}

static void in_forked_child(void) {
    logging = 0;
    addr_out = NULL;
    stats_out = NULL;
    types_out = NULL;
    close(summary_fd);
    summary_fd = -1;
}

/* The child: hooks the allocators, runs the program and finalizes; returns the program's exit status. */
static int run_program(int argc, char **argv, const char *program) {
    pthread_atfork(before_fork, NULL, in_forked_child);

    PyPreConfig pre;
    PyPreConfig_InitPythonConfig(&pre);
    pre.allocator = PYMEM_ALLOCATOR_PYMALLOC;
    pre.use_environment = 0;
    die_status(Py_PreInitialize(&pre));
    if (PyImport_AppendInittab("_pymem_record", init_record_module) != 0) {
        fprintf(stderr, "pymem-record: PyImport_AppendInittab failed\n");
        return 1;
    }

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
    if (program) die_status(PyConfig_SetString(&config, &config.program_name, Py_DecodeLocale(program, NULL)));
    die_status(PyConfig_SetString(&config, &config.run_filename, Py_DecodeLocale(argv[0], NULL)));
    wchar_t **wargv = calloc((size_t)argc + 1, sizeof(wchar_t *));
    for (int k = 0; k < argc; k++) wargv[k] = Py_DecodeLocale(argv[k], NULL);
    die_status(PyConfig_SetArgv(&config, argc, wargv));
    die_status(Py_InitializeFromConfig(&config));
    PyConfig_Clear(&config);
    if (Py_AtExit(finalized) != 0) {
        fprintf(stderr, "pymem-record: Py_AtExit failed\n");
        return 1;
    }

    logging = 0;
    body_lines++;
    fprintf(body, "# --- interpreter start-up done ---\n");
    logging = 1;
    checkpoint_now();
    return Py_RunMain(); /* runs the script, then finalizes the interpreter (unless SystemExit already did) */
}

/* The child's side file of type names: "n INDEX NAME" defines a name, "LINE ID KIND INDEX" names the block made at
   body line LINE. Sorted by line for merging. */
typedef struct {
    uint64_t line, id;
    int32_t name;
    char kind;
} note_t;

typedef struct {
    note_t *at;
    size_t len, cap;
    char **names;
    size_t n_names;
} notes_t;

static int by_line(const void *a, const void *b) {
    uint64_t x = ((const note_t *)a)->line, y = ((const note_t *)b)->line;
    return x < y ? -1 : x > y;
}

static int read_notes(FILE *in, notes_t *notes) {
    char buf[512];
    while (fgets(buf, sizeof buf, in)) {
        if (buf[0] == 'n') {
            size_t index;
            char name[300];
            if (sscanf(buf, "n %zu %299s", &index, name) != 2) continue;
            if (index >= notes->n_names) {
                size_t n = index + 1 > notes->n_names * 2 ? index + 1 : notes->n_names * 2;
                notes->names = realloc(notes->names, n * sizeof(char *));
                memset(notes->names + notes->n_names, 0, (n - notes->n_names) * sizeof(char *));
                notes->n_names = n;
            }
            notes->names[index] = strdup(name);
            continue;
        }
        note_t t;
        unsigned long long line, id;
        if (sscanf(buf, "%llu %llu %c %d", &line, &id, &t.kind, &t.name) != 4) continue;
        t.line = line;
        t.id = id;
        if (notes->len == notes->cap) {
            notes->cap = notes->cap ? notes->cap * 2 : 4096;
            notes->at = realloc(notes->at, notes->cap * sizeof(note_t));
        }
        notes->at[notes->len++] = t;
    }
    if (ferror(in)) return -1;
    qsort(notes->at, notes->len, sizeof(note_t), by_line);
    return 0;
}

/* The parent: the header, then the body the child wrote. On failure removes `out` and returns -1. */
static int write_trace(const char *out, const char *workload, const summary_t *s, int status) {
    FILE *f = fopen(out, "w");
    if (!f) {
        fprintf(stderr, "pymem-record: %s: %s\n", out, strerror(errno));
        return -1;
    }
    fprintf(f, "# workload: %s\n", workload);
    fprintf(f, "# python: %s\n", PY_VERSION);
    fprintf(f, "# recorded-by: pymem-record (PYMEM_DOMAIN_MEM + PYMEM_DOMAIN_OBJ, start-up to shutdown, hash seed 1)\n");
    fprintf(f, "# ops: %llu (m %llu, c %llu, r %llu, f %llu)\n", (unsigned long long)s->ops, (unsigned long long)s->m,
            (unsigned long long)s->c, (unsigned long long)s->r, (unsigned long long)s->f);
    fprintf(f, "# peak-live: %llu\n", (unsigned long long)s->peak_live);
    fprintf(f, "# max-id: %llu\n", (unsigned long long)s->max_id);
    fprintf(f, "# live-at-end: %llu\n", (unsigned long long)s->live);
    fprintf(f, "# skipped: %llu free(s) and %llu realloc(s) of blocks from before the hooks (reallocs written as m), %llu failed call(s)\n",
            (unsigned long long)s->skipped_free, (unsigned long long)s->skipped_realloc, (unsigned long long)s->failed);
    fprintf(f, "# exit-status: %d\n", status);
    fprintf(f, "# annotations: type, part (blocks named after the Python type of the object they hold or belong to)\n");
    /* The child wrote through the same open files, so their offsets are at the end. */
    int failed = fseek(body, 0, SEEK_SET) != 0 || fseek(types_out, 0, SEEK_SET) != 0;
    notes_t notes = {0};
    if (!failed) failed = read_notes(types_out, &notes) != 0;
    char *line = NULL;
    size_t cap = 0, next = 0;
    uint64_t lineno = 0;
    ssize_t n;
    while (!failed && (n = getline(&line, &cap, body)) > 0) {
        failed = fwrite(line, 1, (size_t)n, f) != (size_t)n;
        lineno++;
        for (; !failed && next < notes.len && notes.at[next].line == lineno; next++) {
            note_t *t = &notes.at[next];
            const char *name = t->name >= 0 && (size_t)t->name < notes.n_names && notes.names[t->name] ? notes.names[t->name] : "?";
            failed = fprintf(f, "# %s %llu %s\n", t->kind == 'p' ? "part" : "type", (unsigned long long)t->id, name) < 0;
        }
    }
    free(line);
    failed = failed || ferror(body) || ferror(f);
    int err = errno;
    if (fclose(f) != 0 && !failed) {
        failed = 1;
        err = errno;
    }
    if (failed) {
        fprintf(stderr, "pymem-record: writing %s failed: %s\n", out, strerror(err));
        remove(out);
        return -1;
    }
    return 0;
}

static pid_t child;

static void pass_on(int sig) {
    if (child > 0) kill(child, sig);
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
    const char *out = NULL, *addresses = NULL, *stats = NULL, *program = NULL;
    int i = 1;
    for (; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0) {
            i++;
            break;
        } else if (strcmp(argv[i], "--addresses") == 0 && i + 1 < argc) {
            addresses = argv[++i];
        } else if (strcmp(argv[i], "--stats") == 0 && i + 1 < argc) {
            stats = argv[++i];
        } else if (strcmp(argv[i], "--program") == 0 && i + 1 < argc) {
            program = argv[++i];
        } else if (!out) {
            out = argv[i];
        } else {
            break;
        }
    }
    if (!out || i >= argc) {
        fprintf(stderr, "usage: pymem-record [--addresses FILE] [--stats FILE] [--program PYTHON] OUT.trace -- script.py [args...]\n");
        return 2;
    }
    /* The body goes next to the trace (the same file system, known to be writable, room for a large run) and its
       name is removed at once: however the recorder ends, nothing is left behind. */
    char body_path[4096];
    snprintf(body_path, sizeof body_path, "%s.body", out);
    body = fopen(body_path, "w+");
    if (!body) {
        perror(body_path);
        return 1;
    }
    remove(body_path);
    fcntl(fileno(body), F_SETFD, FD_CLOEXEC);
    setvbuf(body, NULL, _IOFBF, 1 << 20);
    char types_path[4096];
    snprintf(types_path, sizeof types_path, "%s.types", out);
    types_out = fopen(types_path, "w+");
    if (!types_out) {
        perror(types_path);
        return 1;
    }
    remove(types_path);
    fcntl(fileno(types_out), F_SETFD, FD_CLOEXEC);
    setvbuf(types_out, NULL, _IOFBF, 1 << 20);
    if (addresses) {
        addr_out = fopen(addresses, "w");
        if (!addr_out) {
            perror(addresses);
            return 1;
        }
        fcntl(fileno(addr_out), F_SETFD, FD_CLOEXEC);
        setvbuf(addr_out, NULL, _IOFBF, 1 << 20);
    }
    if (stats) {
        stats_out = fopen(stats, "w");
        if (!stats_out) {
            perror(stats);
            return 1;
        }
        fcntl(fileno(stats_out), F_SETFD, FD_CLOEXEC);
    }
    int channel[2];
    if (pipe(channel) != 0) {
        perror("pymem-record: pipe");
        return 1;
    }
    fcntl(channel[0], F_SETFD, FD_CLOEXEC);
    fcntl(channel[1], F_SETFD, FD_CLOEXEC);
    /* Read once the child is gone, without blocking: a process the program forked may still hold the write end. */
    fcntl(channel[0], F_SETFL, O_NONBLOCK);

    /* Ctrl-C and Ctrl-\ reach the whole process group: they are the program's to handle, not the parent's. */
    struct sigaction ignore, old_int, old_quit;
    memset(&ignore, 0, sizeof ignore);
    ignore.sa_handler = SIG_IGN;
    sigemptyset(&ignore.sa_mask);
    sigaction(SIGINT, &ignore, &old_int);
    sigaction(SIGQUIT, &ignore, &old_quit);
    child = fork();
    if (child < 0) {
        perror("pymem-record: fork");
        return 1;
    }
    if (child == 0) {
        sigaction(SIGINT, &old_int, NULL);
        sigaction(SIGQUIT, &old_quit, NULL);
        close(channel[0]);
        summary_fd = channel[1];
        return run_program(argc - i, argv + i, program);
    }
    close(channel[1]);
    if (addr_out) fclose(addr_out); /* the child's to write */
    if (stats_out) fclose(stats_out);
    struct sigaction forward = ignore;
    forward.sa_handler = pass_on;
    sigaction(SIGTERM, &forward, NULL);
    sigaction(SIGHUP, &forward, NULL);

    int ws;
    while (waitpid(child, &ws, 0) < 0) {
        if (errno != EINTR) {
            perror("pymem-record: waitpid");
            return 1;
        }
    }
    /* The status a shell reports: the exit code, or 128 + the signal that ended the program. */
    int status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
    summary_t s;
    if (read(channel[0], &s, sizeof s) != (ssize_t)sizeof s) {
        fprintf(stderr,
                "pymem-record: the program ended (%s %d) before Python finalized, so no trace was written: it called "
                "os._exit() or an exec function, failed to start, or crashed\n",
                WIFEXITED(ws) ? "exit status" : "signal", WIFEXITED(ws) ? WEXITSTATUS(ws) : WTERMSIG(ws));
        return status ? status : 1;
    }
    if (s.write_errno) {
        fprintf(stderr, "pymem-record: writing the trace failed: %s\n", strerror(s.write_errno));
        return 1;
    }
    if (write_trace(out, argv[i], &s, status) != 0) return 1;
    if (WIFSIGNALED(ws) && WTERMSIG(ws) == SIGINT) {
        /* An unhandled KeyboardInterrupt ends CPython by SIGINT, so that a calling shell knows of the Ctrl-C:
           pass that on the same way. */
        signal(SIGINT, SIG_DFL);
        raise(SIGINT);
    }
    return status;
}

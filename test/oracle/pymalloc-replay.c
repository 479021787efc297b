/*
 * pymalloc-replay: drives the real PyObject_Malloc of a linked libpython
 * (3.8 to 3.11, whose pymalloc works before interpreter start-up) with allocation
 * traces, and prints what it did, so pymem's BlockAllocator can be compared
 * with it address for address.
 *
 * Arenas: an arena allocator of ours (PyObject_SetArenaAllocator) hands out the
 * arena offsets pymem chose, in the order pymem chose them, inside one region
 * reserved at a 1 GiB-aligned base (an offset of 0 stands for "none to give":
 * NULL). Every pointer inside the region is printed as its offset from the
 * base, so it can be compared with pymem's address.
 *
 * Input (stdin), any number of traces:
 *   trace NAME
 *   arenas N OFF1 ... OFFN
 *   m ID SIZE | c ID NELEM ELSIZE | r ID SIZE | f ID | s     (trace-format v1 ops)
 *   end
 * Each trace runs in a forked child, so every trace starts from a pristine
 * pymalloc. Output, per trace:
 *   trace NAME
 *   +OFF / -OFF          the arena allocator was asked for / given back an arena
 *   a OFF | a raw        the result of m, c or r (raw: outside the region)
 *   S ... E              at each s op and at the end: _PyObject_DebugMallocStats
 *   done
 * With PYMEM_REPLAY_TIME=1 in the environment nothing of that is printed; each
 * trace prints "time NS OPS": the nanoseconds its ops took (for bench/).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define GIB ((size_t)1 << 30)
#define REGION (2 * GIB)

static char *base;
static int quiet;
static size_t *arena_offsets;
static size_t n_arenas, next_arena;

static void *arena_alloc(void *ctx, size_t size) {
    (void)ctx;
    if (next_arena >= n_arenas) {
        printf("! arena request %zu beyond the %zu arenas pymem took\n", next_arena, n_arenas);
        return NULL;
    }
    size_t off = arena_offsets[next_arena++];
    /* Offset 0: pymem's arena allocator had none to give; ours says so too. */
    if (off == 0) return NULL;
    if (off + size > REGION) {
        printf("! arena offset %zu outside the region\n", off);
        return NULL;
    }
    if (!quiet) printf("+%zu\n", off);
    return base + off;
}

static void arena_free(void *ctx, void *ptr, size_t size) {
    (void)ctx;
    (void)size;
    if (!quiet) printf("-%zu\n", (size_t)((char *)ptr - base));
}

static void print_addr(void *p) {
    if (quiet) return;
    if (p == NULL)
        printf("a null\n");
    else if ((char *)p >= base && (char *)p < base + REGION)
        printf("a %zu\n", (size_t)((char *)p - base));
    else
        printf("a raw\n");
}

static void print_stats(void) {
    if (quiet) return;
    printf("S\n");
    fflush(stdout);
    _PyObject_DebugMallocStats(stdout);
    fflush(stdout);
    printf("E\n");
}

typedef struct {
    char op;
    size_t id, a, b;
} op_t;

static void replay(op_t *ops, size_t n, size_t max_id) {
    void **ptr = calloc(max_id + 1, sizeof(void *));
    char *raw = mmap(NULL, REGION + GIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (raw == MAP_FAILED) {
        perror("mmap");
        exit(3);
    }
    base = (char *)(((uintptr_t)raw + GIB - 1) & ~(uintptr_t)(GIB - 1));
    PyObjectArenaAllocator alloc = {NULL, arena_alloc, arena_free};
    PyObject_SetArenaAllocator(&alloc);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (size_t i = 0; i < n; i++) {
        op_t *o = &ops[i];
        switch (o->op) {
        case 'm':
            ptr[o->id] = PyObject_Malloc(o->a);
            print_addr(ptr[o->id]);
            break;
        case 'c':
            ptr[o->id] = PyObject_Calloc(o->a, o->b);
            print_addr(ptr[o->id]);
            break;
        case 'r':
            ptr[o->id] = PyObject_Realloc(ptr[o->id], o->a);
            print_addr(ptr[o->id]);
            break;
        case 'f':
            PyObject_Free(ptr[o->id]);
            ptr[o->id] = NULL;
            break;
        case 's':
            print_stats();
            break;
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (quiet) {
        long long ns = (long long)(t1.tv_sec - t0.tv_sec) * 1000000000LL + (t1.tv_nsec - t0.tv_nsec);
        printf("time %lld %zu\n", ns, n);
    }
    print_stats();
}

int main(void) {
    char line[4096];
    char name[1024] = "";
    op_t *ops = NULL;
    size_t n = 0, cap = 0, max_id = 0;
    setvbuf(stdout, NULL, _IOFBF, 1 << 20);
    quiet = getenv("PYMEM_REPLAY_TIME") != NULL;
    while (fgets(line, sizeof line, stdin)) {
        if (strncmp(line, "trace ", 6) == 0) {
            snprintf(name, sizeof name, "%s", line + 6);
            name[strcspn(name, "\n")] = 0;
            n = 0;
            max_id = 0;
        } else if (strncmp(line, "arenas ", 7) == 0) {
            char *s = line + 7, *e;
            n_arenas = strtoull(s, &e, 10);
            free(arena_offsets);
            arena_offsets = malloc((n_arenas + 1) * sizeof(size_t));
            for (size_t i = 0; i < n_arenas; i++) {
                /* Long lists continue on following lines. */
                while (*e == ' ') e++;
                if (*e == '\n' || *e == 0) {
                    if (!fgets(line, sizeof line, stdin)) return 4;
                    e = line;
                }
                arena_offsets[i] = strtoull(e, &e, 10);
            }
            next_arena = 0;
        } else if (strncmp(line, "end", 3) == 0) {
            fflush(stdout);
            pid_t pid = fork();
            if (pid == 0) {
                printf("trace %s\n", name);
                replay(ops, n, max_id);
                printf("done\n");
                fflush(stdout);
                _exit(0);
            }
            int status;
            waitpid(pid, &status, 0);
            if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                printf("! trace %s: child failed (status %d)\n", name, status);
                fflush(stdout);
            }
        } else if (line[0] == '#' || line[0] == '\n') {
            continue;
        } else {
            if (n == cap) {
                cap = cap ? cap * 2 : 4096;
                ops = realloc(ops, cap * sizeof(op_t));
            }
            op_t *o = &ops[n++];
            o->op = line[0];
            o->id = o->a = o->b = 0;
            if (o->op != 's') {
                char *e;
                o->id = strtoull(line + 2, &e, 10);
                if (o->op != 'f') o->a = strtoull(e, &e, 10);
                if (o->op == 'c') o->b = strtoull(e, &e, 10);
                if (o->id > max_id) max_id = o->id;
            }
        }
    }
    return 0;
}

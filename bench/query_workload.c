/* The allocation workload of `bench/run query`, for heaptrack: event for event what
 * gatherer/src/test/java/dev/plumb/gatherer/bench/QueryWorkload.java writes into Plumb — the same
 * splitmix64 sequence, the same backtrace, size and lifetime choices, the same order of mallocs and
 * frees — run flat out instead of over simulated time. 200 backtraces: four levels of four
 * distinct functions (l3_x → l2_y → l1_z → l0_w → malloc) under run_workload and main.
 * Usage: query_workload ALLOCATIONS DURATION_SECONDS SEED */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define STACKS 200
static const int leaky[] = {3, 17, 42, 99, 150};
static uint64_t cumulative[STACKS];
static uint64_t state;

static uint64_t next(void) {
    uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static uint64_t below(uint64_t bound) { return next() % bound; }

typedef void *(*alloc_fn)(int stack, size_t size);

#define LEAF(x) \
    __attribute__((noinline)) static void *l0_##x(int stack, size_t size) { \
        (void)stack; void *p = malloc(size); __asm__ volatile("" ::: "memory"); return p; }
LEAF(0) LEAF(1) LEAF(2) LEAF(3)
static alloc_fn const level0[4] = {l0_0, l0_1, l0_2, l0_3};

#define LEVEL(n, below_table, x) \
    __attribute__((noinline)) static void *l##n##_##x(int stack, size_t size) { \
        void *p = below_table[(stack >> (2 * ((n) - 1))) & 3](stack, size); \
        __asm__ volatile("" ::: "memory"); return p; }
LEVEL(1, level0, 0) LEVEL(1, level0, 1) LEVEL(1, level0, 2) LEVEL(1, level0, 3)
static alloc_fn const level1[4] = {l1_0, l1_1, l1_2, l1_3};
LEVEL(2, level1, 0) LEVEL(2, level1, 1) LEVEL(2, level1, 2) LEVEL(2, level1, 3)
static alloc_fn const level2[4] = {l2_0, l2_1, l2_2, l2_3};
LEVEL(3, level2, 0) LEVEL(3, level2, 1) LEVEL(3, level2, 2) LEVEL(3, level2, 3)
static alloc_fn const level3[4] = {l3_0, l3_1, l3_2, l3_3};

static int64_t lifetime(int stack) {
    for (size_t i = 0; i < sizeof leaky / sizeof leaky[0]; i++)
        if (stack == leaky[i]) return -1;
    if (stack % 7 == 5) return 10000000 + (int64_t)below(290000000);
    if (stack % 3 == 0) return 1000 + (int64_t)below(10000000);
    return 1 + (int64_t)below(1000);
}

static int pick_stack(void) {
    uint64_t u = below(cumulative[STACKS - 1]);
    int lo = 0, hi = STACKS - 1;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (cumulative[mid] > u) hi = mid; else lo = mid + 1;
    }
    return lo;
}

/* pending frees: a binary min-heap on (free time, allocation id) */
struct pending { int64_t free_at; int64_t id; void *p; };
static struct pending *heap;
static size_t heap_len, heap_cap;

static int before(const struct pending *a, const struct pending *b) {
    return a->free_at != b->free_at ? a->free_at < b->free_at : a->id < b->id;
}

static void push(struct pending e) {
    if (heap_len == heap_cap) {
        heap_cap = heap_cap ? heap_cap * 2 : 1024;
        heap = realloc(heap, heap_cap * sizeof *heap);
        if (!heap) { perror("realloc"); exit(1); }
    }
    size_t i = heap_len++;
    heap[i] = e;
    while (i > 0 && before(&heap[i], &heap[(i - 1) / 2])) {
        struct pending t = heap[i]; heap[i] = heap[(i - 1) / 2]; heap[(i - 1) / 2] = t;
        i = (i - 1) / 2;
    }
}

static struct pending pop(void) {
    struct pending top = heap[0];
    heap[0] = heap[--heap_len];
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < heap_len && before(&heap[l], &heap[m])) m = l;
        if (r < heap_len && before(&heap[r], &heap[m])) m = r;
        if (m == i) break;
        struct pending t = heap[i]; heap[i] = heap[m]; heap[m] = t;
        i = m;
    }
    return top;
}

__attribute__((noinline)) static uint64_t run_workload(int64_t allocations, int64_t duration_us) {
    int64_t step = duration_us / allocations > 2 ? duration_us / allocations : 2;
    uint64_t frees = 0;
    for (int64_t k = 0; k < allocations; k++) {
        int64_t at = k * duration_us / allocations + (int64_t)below((uint64_t)(step / 2));
        int stack = pick_stack();
        uint64_t base = 16ull << ((stack * 37) % 9);
        size_t size = base + below(base / 2 + 1);
        int64_t life = lifetime(stack);
        while (heap_len > 0 && heap[0].free_at <= at) {
            free(pop().p);
            frees++;
        }
        void *p = level3[(stack >> 6) & 3](stack, size);
        if (life >= 0 && at + life < duration_us) push((struct pending){at + life, k + 1, p});
    }
    while (heap_len > 0) {
        free(pop().p);
        frees++;
    }
    return frees;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: query_workload ALLOCATIONS DURATION_SECONDS SEED\n");
        return 2;
    }
    int64_t allocations = atoll(argv[1]), duration = atoll(argv[2]);
    state = strtoull(argv[3], NULL, 10);
    if (allocations < 1 || duration < 1) {
        fprintf(stderr, "query_workload: ALLOCATIONS and DURATION_SECONDS must be positive\n");
        return 2;
    }
    uint64_t sum = 0;
    for (int i = 0; i < STACKS; i++) {
        sum += 1000000 / (uint64_t)(i + 1);
        cumulative[i] = sum;
    }
    uint64_t frees = run_workload(allocations, duration * 1000000);
    printf("query_workload: allocations=%lld frees=%llu events=%llu\n", (long long)allocations,
           (unsigned long long)frees, (unsigned long long)(allocations + frees));
    return 0; /* what was not freed stays allocated: heaptrack reports it as leaked */
}

/* Allocation-heavy multi-threaded workload for capture overhead benchmarks.
 * THREADS threads each run ITERATIONS rounds: allocate a few blocks of mixed sizes through
 * a call chain of varying depth, free most of them, keep one in 64 until exit. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int iterations = 200000;

__attribute__((noinline)) static void *leaf_alloc(size_t n) {
    void *p = malloc(n);
    if (p) memset(p, 1, n < 64 ? n : 64);
    return p;
}

__attribute__((noinline)) static void *depth_alloc(int depth, size_t n) {
    if (depth == 0) return leaf_alloc(n);
    void *p = depth_alloc(depth - 1, n);
    __asm__ volatile("" ::: "memory");
    return p;
}

static void *worker(void *arg) {
    unsigned seed = (unsigned)(size_t)arg * 2654435761u;
    void **kept = calloc((size_t)iterations / 64 + 1, sizeof(void *));
    int nkept = 0;
    for (int i = 0; i < iterations; i++) {
        seed = seed * 1103515245u + 12345u;
        void *a = depth_alloc((int)(seed >> 28) % 8, 16 + (seed >> 20) % 512);
        void *b = depth_alloc((int)(seed >> 24) % 4, 32 + (seed >> 12) % 4096);
        void *c = calloc(1, 24);
        b = realloc(b, 64 + (seed >> 8) % 8192);
        free(a);
        free(c);
        if (i % 64 == 0) kept[nkept++] = b; else free(b);
    }
    return kept;
}

int main(int argc, char **argv) {
    int threads = argc > 1 ? atoi(argv[1]) : 4;
    if (argc > 2) iterations = atoi(argv[2]);
    if (threads < 1 || threads > 64 || iterations < 1) {
        fprintf(stderr, "usage: alloc_bench [THREADS 1-64] [ITERATIONS]\n");
        return 2;
    }
    pthread_t t[64];
    for (int i = 0; i < threads; i++) pthread_create(&t[i], NULL, worker, (void *)(size_t)(i + 1));
    long kept = 0;
    for (int i = 0; i < threads; i++) {
        void *r;
        pthread_join(t[i], &r);
        kept += iterations / 64 + 1;
    }
    printf("alloc_bench: threads=%d iterations=%d kept=%ld\n", threads, iterations, kept);
    return 0;
}

/* Recorded with heaptrack by HeaptrackImportTest: leaks, temporaries, calloc and realloc.
 * The 20000 small temporaries make the recording span several compressed blocks, so that a
 * recording cut in half is cut mid-stream, as when heaptrack dies. */
#include <stdlib.h>
#include <string.h>

static void *kept[200];

__attribute__((noinline)) static void *remember(size_t n) {
    void *p = malloc(n);
    memset(p, 1, n);
    return p;
}

__attribute__((noinline)) static void scratch(size_t n) {
    char *p = malloc(n);
    memset(p, 2, n);
    free(p);
}

int main(void) {
    for (int i = 0; i < 200; i++) {
        kept[i] = remember(1000 + i);
        scratch(5000);
    }
    for (int i = 0; i < 20000; i++) {
        scratch(64 + i % 7);
    }
    for (int i = 0; i < 120; i++) {
        free(kept[i]);
    }
    char *grown = calloc(10, 100);
    grown = realloc(grown, 4000);
    grown[0] = 1;
    return 0;
}

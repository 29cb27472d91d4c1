/*
 * leaky: a deterministic demo program with three memory behaviours plus
 * temporaries, so the profiler's tests know the exact numbers to expect.
 *
 *   load_config()            startup: one 1 MiB block kept for the whole run
 *   remember_request_trace() linear leak: 4096 bytes per request, never freed
 *   record_latency_sample()  bounded: ring of 32 x 16384 bytes (grows, then plateaus)
 *   parse_request()          temporaries: 3 buffers (256..3584 bytes) freed before return
 *
 * Usage: leaky [--requests N] [--interval-ms M] [--fixed]   (defaults 2000 and 10; 0 = no sleep)
 *
 * --fixed is the "fixed build": each request's trace is freed when the request ends, so
 * remember_request_trace no longer leaks (the startup block and the ring stay as they are).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CONFIG_BYTES 1048576
#define TRACE_BYTES 4096
#define RING_SLOTS 32
/* A latency sample is kept for one request in SAMPLE_EVERY, so with the default 2000
 * requests the ring fills about a third of the way through the run and then stays flat:
 * clearly "bounded", not "startup". */
#define SAMPLE_EVERY 20
#define SAMPLE_BYTES 16384

struct trace {
    struct trace *next;
    char text[TRACE_BYTES - sizeof(struct trace *)];
};
_Static_assert(sizeof(struct trace) == TRACE_BYTES, "one trace node is exactly 4096 bytes");

static char *config;
static struct trace *traces;
static char *ring[RING_SLOTS];
static int ring_count, ring_head;
static volatile unsigned long sink; /* keeps the compiler from eliding buffers */
static int fixed; /* --fixed: free each request's trace at the end of the request */

/* Each behaviour calls malloc itself so its innermost frame names it. */
static void die_oom(void) {
    fprintf(stderr, "leaky: out of memory\n");
    exit(2);
}

/* Startup: never freed. */
static void load_config(void) {
    config = malloc(CONFIG_BYTES);
    if (!config) die_oom();
    memset(config, 'c', CONFIG_BYTES);
    sink += (unsigned char)config[CONFIG_BYTES - 1];
}

/* Temporaries: allocated and freed before returning. */
static void parse_request(int i) {
    size_t sizes[3] = {256, 512 + (size_t)(i % 16) * 64, 2048 + (size_t)(i % 7) * 256};
    char *bufs[3];
    for (int k = 0; k < 3; k++) {
        bufs[k] = malloc(sizes[k]);
        if (!bufs[k]) die_oom();
        memset(bufs[k], 'a' + k, sizes[k]);
    }
    for (int k = 0; k < 3; k++) {
        sink += (unsigned char)bufs[k][sizes[k] - 1];
        free(bufs[k]);
    }
}

/* Linear leak: one 4096-byte node per request on a list nobody frees. */
static void remember_request_trace(int i) {
    struct trace *t = malloc(sizeof *t);
    if (!t) die_oom();
    snprintf(t->text, sizeof t->text, "request %d", i);
    t->next = traces;
    traces = t;
}

/* Bounded: up to 32 samples of 16384 bytes; once full, replace the oldest. */
static void record_latency_sample(int i) {
    if (ring_count < RING_SLOTS) {
        ring[ring_count] = malloc(SAMPLE_BYTES);
        if (!ring[ring_count]) die_oom();
        memset(ring[ring_count], i & 0xff, SAMPLE_BYTES);
        ring_count++;
    } else {
        free(ring[ring_head]);
        ring[ring_head] = malloc(SAMPLE_BYTES);
        if (!ring[ring_head]) die_oom();
        memset(ring[ring_head], i & 0xff, SAMPLE_BYTES);
        ring_head = (ring_head + 1) % RING_SLOTS;
    }
}

/* The fix: the request is done, so its trace node is released. */
static void forget_request_trace(void) {
    struct trace *t = traces;
    traces = t->next;
    free(t);
}

static void handle_request(int i) {
    parse_request(i);
    remember_request_trace(i);
    if (i % SAMPLE_EVERY == 0) {
        record_latency_sample(i);
    }
    if (fixed) {
        forget_request_trace();
    }
}

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static long parse_arg(const char *name, const char *value) {
    char *end;
    errno = 0;
    long v = value ? strtol(value, &end, 10) : -1;
    if (!value || errno != 0 || *end != '\0' || v < 0) {
        fprintf(stderr, "leaky: %s needs a non-negative integer\n", name);
        exit(64);
    }
    return v;
}

int main(int argc, char **argv) {
    long requests = 2000, interval_ms = 10;
    for (int a = 1; a < argc; a++) {
        if (strcmp(argv[a], "--requests") == 0) {
            requests = parse_arg(argv[a], argv[a + 1]);
            a++;
        } else if (strcmp(argv[a], "--interval-ms") == 0) {
            interval_ms = parse_arg(argv[a], argv[a + 1]);
            a++;
        } else if (strcmp(argv[a], "--fixed") == 0) {
            fixed = 1;
        } else {
            fprintf(stderr, "usage: leaky [--requests N] [--interval-ms M] [--fixed]\n");
            return 64;
        }
    }

    load_config();
    for (long i = 0; i < requests; i++) {
        handle_request((int)i);
        if (interval_ms > 0) sleep_ms(interval_ms);
    }

    long samples = (requests + SAMPLE_EVERY - 1) / SAMPLE_EVERY;
    long ring_bytes = (samples < RING_SLOTS ? samples : RING_SLOTS) * (long)SAMPLE_BYTES;
    printf("leaky: requests=%ld leaked_request_bytes=%ld startup_bytes=%d bounded_bytes=%ld\n",
           requests, fixed ? 0L : requests * (long)TRACE_BYTES, CONFIG_BYTES, ring_bytes);
    return 0; /* config, traces and ring stay allocated on purpose */
}

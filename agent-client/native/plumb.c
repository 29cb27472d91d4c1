/*
 * libplumb.so - Plumb's allocation capture library.
 *
 * Preloaded into a target process (LD_PRELOAD). Interposes the C allocator (and jemalloc's
 * extended API), records allocations and frees with their call stacks and streams binary
 * records to the Plumb agent over a Unix-domain stream socket named by $PLUMB_SOCKET.
 * See README.md next to this file for the environment, the record format, the ordering
 * argument and the fork/exec/signal rules.
 *
 * Rules this file lives by (it runs inside someone else's process):
 *  - never allocate through the hooked allocator from inside a hook: every buffer and table
 *    is static or mmap'd;
 *  - a per-thread reentrancy flag (initial-exec TLS, which never allocates) sends everything
 *    the hook itself triggers (unwinder, loader, libc) to the real allocator, unrecorded;
 *  - locks are taken in one order (modules scratch -> main -> send), all of them around fork,
 *    and never while calling into the loader (dl_iterate_phdr) except the scratch trylock;
 *  - any failure talking to the agent turns recording off for good; the target keeps running
 *    with plain pass-through.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define UNW_LOCAL_ONLY
#include <libunwind.h>

#include "unwind_cache.h"

#define EXPORT __attribute__((visibility("default")))
#define LIKELY(x) __builtin_expect(!!(x), 1)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)
#define TLS __thread __attribute__((tls_model("initial-exec")))

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the record format is little-endian; add byte swapping for this target"
#endif

/* ------------------------------------------------------------------------ */
/* Real allocator                                                            */
/* ------------------------------------------------------------------------ */

typedef void *(*malloc_fn)(size_t);
typedef void *(*calloc_fn)(size_t, size_t);
typedef void *(*realloc_fn)(void *, size_t);
typedef void (*free_fn)(void *);
typedef int (*posix_memalign_fn)(void **, size_t, size_t);
typedef void *(*aligned_alloc_fn)(size_t, size_t);
typedef void *(*valloc_fn)(size_t);
typedef size_t (*usable_fn)(void *);
typedef void *(*mmap_fn)(void *, size_t, int, int, int, off_t);
typedef int (*munmap_fn)(void *, size_t);
typedef int (*execve_fn)(const char *, char *const[], char *const[]);
typedef int (*fexecve_fn)(int, char *const[], char *const[]);
typedef int (*execvp_fn)(const char *, char *const[]);
typedef int (*execvpe_fn)(const char *, char *const[], char *const[]);
typedef void (*exit_fn)(int);

static malloc_fn real_malloc;
static calloc_fn real_calloc;
static realloc_fn real_realloc;
static free_fn real_free;
static posix_memalign_fn real_posix_memalign;
static aligned_alloc_fn real_aligned_alloc;
static aligned_alloc_fn real_memalign;
static valloc_fn real_valloc;
static valloc_fn real_pvalloc;
static usable_fn real_usable_size;
static mmap_fn real_mmap;
static munmap_fn real_munmap;

static int resolving; /* set while dlsym bootstrap runs */

/* Bootstrap arena: serves allocations made while dlsym resolves the real functions.
 * Bump-only, never returned to the real allocator. Each block is preceded by its size. */
#define ARENA_SIZE (64 * 1024)
static unsigned char arena[ARENA_SIZE] __attribute__((aligned(64)));
static size_t arena_used;

static inline int in_arena(const void *p) {
    return (uintptr_t)p - (uintptr_t)arena < ARENA_SIZE; /* one compare: below arena wraps around */
}

static void *arena_alloc(size_t size, size_t align) {
    if (align < 16) align = 16;
    if (align > 4096 || (align & (align - 1)) != 0) return NULL;
    size_t old = __atomic_load_n(&arena_used, __ATOMIC_RELAXED);
    for (;;) {
        size_t start = (old + 16 + align - 1) & ~(align - 1); /* room for the header */
        size_t end = start + size;
        if (size > ARENA_SIZE || end > ARENA_SIZE) return NULL;
        if (__atomic_compare_exchange_n(&arena_used, &old, end, 0, __ATOMIC_ACQ_REL,
                                        __ATOMIC_RELAXED)) {
            ((size_t *)(arena + start))[-1] = size;
            return arena + start; /* static storage: already zero */
        }
    }
}

static size_t arena_size(const void *p) { return ((const size_t *)p)[-1]; }

static void die(const char *msg) {
    ssize_t ignored = write(2, msg, strlen(msg));
    (void)ignored;
    abort();
}

static int init_real_slow(void);

/* Returns nonzero when the real functions are available (inline: every hook calls it). */
static inline __attribute__((always_inline)) int init_real(void) {
    if (LIKELY(__atomic_load_n(&real_free, __ATOMIC_ACQUIRE) != NULL)) return 1;
    return init_real_slow();
}

__attribute__((noinline)) static int init_real_slow(void) {
    if (__atomic_load_n(&real_free, __ATOMIC_ACQUIRE) != NULL) return 1;
    if (__atomic_exchange_n(&resolving, 1, __ATOMIC_ACQ_REL)) return 0; /* in progress */
    real_malloc = (malloc_fn)dlsym(RTLD_NEXT, "malloc");
    real_calloc = (calloc_fn)dlsym(RTLD_NEXT, "calloc");
    real_realloc = (realloc_fn)dlsym(RTLD_NEXT, "realloc");
    real_posix_memalign = (posix_memalign_fn)dlsym(RTLD_NEXT, "posix_memalign");
    real_aligned_alloc = (aligned_alloc_fn)dlsym(RTLD_NEXT, "aligned_alloc");
    real_memalign = (aligned_alloc_fn)dlsym(RTLD_NEXT, "memalign");
    real_valloc = (valloc_fn)dlsym(RTLD_NEXT, "valloc");
    real_pvalloc = (valloc_fn)dlsym(RTLD_NEXT, "pvalloc");
    real_usable_size = (usable_fn)dlsym(RTLD_NEXT, "malloc_usable_size");
    real_mmap = (mmap_fn)dlsym(RTLD_NEXT, "mmap");
    real_munmap = (munmap_fn)dlsym(RTLD_NEXT, "munmap");
    free_fn f = (free_fn)dlsym(RTLD_NEXT, "free");
    if (!real_malloc || !real_calloc || !real_realloc || !f)
        die("plumb: cannot resolve the real allocator\n");
    __atomic_store_n(&real_free, f, __ATOMIC_RELEASE);
    __atomic_store_n(&resolving, 0, __ATOMIC_RELEASE);
    return 1;
}

/* ------------------------------------------------------------------------ */
/* Configuration (read once by the constructor)                              */
/* ------------------------------------------------------------------------ */

#define MODE_FULL 0
#define MODE_SAMPLED 1
#define DEFAULT_MAX_DEPTH 64
#define LIMIT_MAX_DEPTH 256
#define SELF_FRAMES 8 /* room for libplumb's own frames on top of max_depth */

static int mode = MODE_FULL;
static uint64_t sample_bytes = 524288;
static int max_depth = DEFAULT_MAX_DEPTH;
static int use_frame_pointers;
static int track_mmap;
static int follow_exec;
static int start_disabled;
static int toggle_signal = SIGUSR1;
static int fast_unwind = 1; /* replay stacks seen before (unwind_cache.c) */
static int unwind_check;    /* also unwind every replayed stack with libunwind and count differences */

/* ------------------------------------------------------------------------ */
/* State                                                                     */
/* ------------------------------------------------------------------------ */

static TLS int in_hook;
static TLS uint32_t thread_id;       /* kernel tid, 0 = not looked up yet */
static TLS uint64_t sample_left;     /* sampled mode: bytes until the next sample, 0 = decide slowly */
static TLS uint64_t prng_state;      /* sampled mode: xorshift64* state, 0 = unseeded */
static TLS uintptr_t stack_lo, stack_hi; /* the thread's stack (pthread attributes), 0 = unknown */

static uint32_t current_tid(void) {
    if (UNLIKELY(thread_id == 0)) thread_id = (uint32_t)syscall(SYS_gettid);
    return thread_id;
}

static int connected; /* socket up: set by the constructor, cleared on failure/END/fork */
static int recording = 1; /* toggled by the signal; start value from PLUMB_START_DISABLED */
static pid_t session_pid;

static int is_enabled(void) {
    return __atomic_load_n(&connected, __ATOMIC_RELAXED) &&
           __atomic_load_n(&recording, __ATOMIC_RELAXED);
}

/*
 * Record timestamps: the coarse realtime clock, the kernel's tick (1-4 ms resolution) read from
 * the vDSO without the TSC: about 20 cycles here against 80 hot and 150 cold for the precise
 * one, and every recorded event reads it. Profiles are graphed per second and condensed per
 * second; heaptrack stamps events with a 10 ms timer.
 */
static uint64_t now_micros(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME_COARSE, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* For measuring waits (and seeding): precise and monotonic. */
static uint64_t precise_micros(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Counters, reported to the agent in a COUNTERS record before END. Relaxed atomics. */
enum {
    C_EVENTS,        /* ALLOC/SAMPLE/FREE records written */
    C_WAITS,         /* times a writer found the agent's socket full and had to wait */
    C_WAIT_MICROS,   /* total time spent waiting for the agent */
    C_STACKS,        /* distinct stacks sent */
    C_DROPPED,       /* sampled mode: samples not taken because the address set was full */
    C_SAMPLES,       /* sampled mode: allocations sampled */
    C_NESTED_FREES,  /* frees passed through unrecorded because their thread was inside a hook */
    C_BYTES_SENT,    /* bytes written to the socket */
    C_STACK_TABLE_FULL, /* stacks sent again with a fresh id because the dedup table was full */
    C_FAST_UNWINDS,  /* stacks replayed from the shape cache instead of unwound by libunwind */
    C_UNWIND_MISMATCHES, /* PLUMB_UNWIND_CHECK: replayed stacks libunwind unwound differently */
    C_COUNT
};
static uint64_t counters[C_COUNT];
static void count(int which, uint64_t n) { __atomic_fetch_add(&counters[which], n, __ATOMIC_RELAXED); }

/* ------------------------------------------------------------------------ */
/* Output: one stream, appended under a short critical section, sent in chunks */
/* ------------------------------------------------------------------------ */
/*
 * Writers encode a record on their own stack, then under `lock` copy it into the open chunk
 * (a few dozen bytes). A chunk is closed when the next record does not fit, or when it is
 * older than FLUSH_MICROS at the next record; closed chunks queue up (in `lock` order, which
 * is the stream's order) and the writer that closed one tries `send_lock`: if it gets it, it
 * releases `lock` and sends whatever is queued, without waiting — what the socket does not
 * take stays queued for the next attempt. So the program only waits for the agent when all
 * NCHUNKS chunks are queued (4 MiB behind): then a writer sends under both locks until the
 * agent has read enough, and that wait is counted. In sampled mode a SAMPLE that finds the
 * queue full is dropped instead (counted; its free then is never sent either), so the
 * always-on mode does not wait on an agent that falls seconds behind; frees and the rest wait.
 *
 * Sent chunks go back on a stack of free chunks, reused most recently sent first: memory is
 * touched only as far as the agent has ever been behind. The sender (under send_lock) and the
 * writers (under lock) share the queue through two counters: `queued` (written under lock)
 * and `sent` (written under send_lock); the writers take sent chunks back onto the free stack.
 */
#define CHUNK_SIZE (64 * 1024) /* a Unix socket holds about 200 KiB by default: a few chunks */
#define NCHUNKS 64
#define FLUSH_MICROS 200000
static unsigned char chunk_mem[NCHUNKS][CHUNK_SIZE];
static uint32_t chunk_len[NCHUNKS];  /* bytes of a closed chunk (written before it is queued) */
static uint32_t queue[NCHUNKS];      /* closed chunks in stream order, by counter mod NCHUNKS */
static uint32_t queued;              /* chunks ever queued (lock; read by the sender) */
static uint32_t sent;                /* chunks ever sent whole (send_lock; read by writers) */
static size_t sent_off;              /* bytes of queue[sent] already sent (send_lock) */
static uint32_t reclaimed;           /* sent chunks put back on the free stack (lock) */
static uint32_t free_stack[NCHUNKS]; /* (lock) */
static uint32_t nfree;               /* (lock) */
static int open_chunk = -1;          /* chunk being filled, -1 = none (lock) */
static size_t open_len;              /* (lock) */
static uint64_t open_first_t;        /* time of the open chunk's first record (lock) */
static uint64_t last_t;              /* timestamps never go backwards in the stream */
static int sock_fd = -1;             /* set by the constructor, cleared under send_lock; atomics */
static pthread_mutex_t lock = PTHREAD_ADAPTIVE_MUTEX_INITIALIZER_NP;
static pthread_mutex_t send_lock = PTHREAD_MUTEX_INITIALIZER;

static int socket_fd(void) { return __atomic_load_n(&sock_fd, __ATOMIC_RELAXED); }

static void init_chunks(void) {
    nfree = NCHUNKS;
    for (uint32_t i = 0; i < NCHUNKS; i++) free_stack[i] = NCHUNKS - 1 - i; /* chunk 0 first */
}

/* Caller holds send_lock. */
static void disconnect_send_locked(void) {
    __atomic_store_n(&connected, 0, __ATOMIC_RELAXED);
    int fd = socket_fd();
    __atomic_store_n(&sock_fd, -1, __ATOMIC_RELAXED);
    if (fd >= 0) close(fd);
}

/*
 * Caller holds send_lock. Sends the queued chunks in order. Without `wait`, stops when the
 * socket is full; with it, waits for the agent (polling) until the queue is empty. Returns 0
 * when the agent is gone (recording then stops for good).
 */
static int send_queued(int wait) {
    int oldstate, waited = 0, ok = 1;
    uint64_t wait_start = 0;
    /* sendmsg() is a cancellation point; never leave a lock held by a cancelled thread */
    pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &oldstate);
    for (;;) {
        int fd = socket_fd();
        uint32_t end = __atomic_load_n(&queued, __ATOMIC_ACQUIRE);
        if (fd < 0) { ok = 0; break; }
        if (sent == end) break;
        struct iovec iov[16];
        int n = 0;
        for (uint32_t k = sent; k != end && n < 16; k++, n++) {
            uint32_t c = queue[k % NCHUNKS];
            size_t skip = k == sent ? sent_off : 0;
            iov[n].iov_base = chunk_mem[c] + skip;
            iov[n].iov_len = chunk_len[c] - skip;
        }
        struct msghdr msg;
        memset(&msg, 0, sizeof msg);
        msg.msg_iov = iov;
        msg.msg_iovlen = (size_t)n;
        ssize_t w = sendmsg(fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w >= 0) {
            count(C_BYTES_SENT, (uint64_t)w);
            size_t left = (size_t)w;
            while (left > 0) { /* advance over the chunks this send finished */
                uint32_t c = queue[sent % NCHUNKS];
                size_t rest = chunk_len[c] - sent_off;
                if (left < rest) { sent_off += left; break; }
                left -= rest;
                sent_off = 0;
                __atomic_store_n(&sent, sent + 1, __ATOMIC_RELEASE); /* the chunk can be reused */
            }
            continue;
        }
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            if (!wait) break;
            if (!waited) { waited = 1; wait_start = precise_micros(); }
            struct pollfd pfd = { .fd = fd, .events = POLLOUT, .revents = 0 };
            if (poll(&pfd, 1, 1000) < 0 && errno != EINTR) { ok = 0; break; }
            continue;
        }
        ok = 0; /* agent gone */
        break;
    }
    if (waited) {
        count(C_WAITS, 1);
        count(C_WAIT_MICROS, precise_micros() - wait_start);
    }
    pthread_setcancelstate(oldstate, NULL);
    if (!ok) disconnect_send_locked();
    return ok;
}

/* Caller holds lock: queues the open chunk, if it has anything in it. */
static void close_open_locked(void) {
    if (open_chunk < 0 || open_len == 0) return;
    chunk_len[open_chunk] = (uint32_t)open_len;
    queue[queued % NCHUNKS] = (uint32_t)open_chunk;
    __atomic_store_n(&queued, queued + 1, __ATOMIC_RELEASE);
    open_chunk = -1;
    open_len = 0;
}

/* Caller holds lock: takes sent chunks back and opens one; 0 if every chunk is queued. */
static int open_new_locked(uint64_t t) {
    uint32_t done = __atomic_load_n(&sent, __ATOMIC_ACQUIRE);
    while (reclaimed != done) free_stack[nfree++] = queue[reclaimed++ % NCHUNKS];
    if (nfree == 0) return 0;
    open_chunk = (int)free_stack[--nfree];
    open_len = 0;
    open_first_t = t;
    return 1;
}

/* Caller holds lock: sends everything now, waiting for the agent (rare records, END, exec). */
static void flush_sync_locked(void) {
    close_open_locked();
    pthread_mutex_lock(&send_lock);
    send_queued(1);
    pthread_mutex_unlock(&send_lock);
}

/*
 * Caller holds lock. Room for n bytes (n <= CHUNK_SIZE) in the open chunk, opening a new one
 * when needed (or when the open one is older than FLUSH_MICROS at t); *closed says a chunk
 * was queued. When every chunk is queued: NULL if `droppable`, else it waits for the agent.
 */
static unsigned char *reserve_locked(size_t n, uint64_t t, int droppable, int *closed) {
    if (UNLIKELY(socket_fd() < 0)) return NULL;
    if (UNLIKELY(open_chunk < 0 || open_len + n > CHUNK_SIZE ||
                 (open_len > 0 && t - open_first_t > FLUSH_MICROS))) {
        if (open_chunk >= 0 && open_len > 0) {
            close_open_locked();
            *closed = 1;
        }
        if (open_chunk < 0 && !open_new_locked(t)) {
            if (droppable) return NULL;
            pthread_mutex_lock(&send_lock); /* the agent is 4 MiB behind: wait for it */
            send_queued(1);
            pthread_mutex_unlock(&send_lock);
            if (socket_fd() < 0 || !open_new_locked(t)) return NULL;
        }
    }
    unsigned char *p = chunk_mem[open_chunk] + open_len;
    open_len += n;
    return p;
}

/* Caller holds lock: whether n bytes (n <= CHUNK_SIZE) can be appended without waiting. */
static int have_room_locked(size_t n) {
    if (open_chunk >= 0 && open_len + n <= CHUNK_SIZE) return 1;
    return nfree > 0 || reclaimed != __atomic_load_n(&sent, __ATOMIC_ACQUIRE);
}

/* Caller holds lock. Appends n bytes for a rare record (never dropped); a chunk it queues is
 * sent now as far as the socket takes it (a trylock: lock -> send_lock is the lock order). */
static unsigned char *reserve_sync_locked(size_t n) {
    int closed = 0;
    unsigned char *p = reserve_locked(n, last_t, 0, &closed);
    if (closed && pthread_mutex_trylock(&send_lock) == 0) {
        send_queued(0);
        pthread_mutex_unlock(&send_lock);
    }
    return p;
}

/* Releases lock; if a chunk was queued, sends what the socket takes (if no one else is). */
static void unlock_and_send(int closed) {
    int send = closed && pthread_mutex_trylock(&send_lock) == 0;
    pthread_mutex_unlock(&lock);
    if (send) {
        send_queued(0);
        pthread_mutex_unlock(&send_lock);
    }
}

/* Clamps t so the stream's timestamps never go backwards. Caller holds lock. */
static uint64_t stream_time_locked(uint64_t t) {
    if (t < last_t) t = last_t;
    last_t = t;
    return t;
}

/* Little-endian encoders into a byte pointer. */
static unsigned char *put_u8(unsigned char *p, uint8_t v) { *p = v; return p + 1; }
static unsigned char *put_u16(unsigned char *p, uint16_t v) { memcpy(p, &v, 2); return p + 2; }
static unsigned char *put_u32(unsigned char *p, uint32_t v) { memcpy(p, &v, 4); return p + 4; }
static unsigned char *put_u64(unsigned char *p, uint64_t v) { memcpy(p, &v, 8); return p + 8; }
static unsigned char *put_f64(unsigned char *p, double v) { memcpy(p, &v, 8); return p + 8; }
static unsigned char *put_bytes(unsigned char *p, const void *s, size_t n) {
    memcpy(p, s, n);
    return p + n;
}

/* ------------------------------------------------------------------------ */
/* Toggle (signal handler only flips flags)                                  */
/* ------------------------------------------------------------------------ */

static uint32_t toggle_gen;      /* bumped by the handler */
static uint64_t toggle_at;       /* time of the last toggle */
static uint32_t toggle_reported; /* generation last written as a TOGGLE record (under lock) */

static void toggle_handler(int sig) {
    (void)sig;
    int saved = errno;
    __atomic_store_n(&toggle_at, now_micros(), __ATOMIC_RELAXED);
    __atomic_xor_fetch(&recording, 1, __ATOMIC_RELAXED);
    __atomic_add_fetch(&toggle_gen, 1, __ATOMIC_RELEASE);
    errno = saved;
}

#define TOGGLE_LEN (1 + 8 + 1)
/* Caller holds lock: writes a TOGGLE record if the state changed since the last one. */
static void report_toggle_locked(void) {
    uint32_t gen = __atomic_load_n(&toggle_gen, __ATOMIC_ACQUIRE);
    if (LIKELY(gen == toggle_reported)) return;
    toggle_reported = gen;
    unsigned char *p = reserve_sync_locked(TOGGLE_LEN);
    if (!p) return;
    p = put_u8(p, 'T');
    p = put_u64(p, stream_time_locked(__atomic_load_n(&toggle_at, __ATOMIC_RELAXED)));
    put_u8(p, (uint8_t)__atomic_load_n(&recording, __ATOMIC_RELAXED));
}

/* ------------------------------------------------------------------------ */
/* Modules                                                                   */
/* ------------------------------------------------------------------------ */

static uintptr_t self_start, self_end; /* libplumb's own text, skipped in stacks */
static char exe_path[4096];
static size_t exe_len;

static size_t find_build_id(struct dl_phdr_info *info, const unsigned char **out) {
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_NOTE) continue;
        size_t align = ph->p_align == 8 ? 8 : 4;
        const unsigned char *p = (const unsigned char *)(info->dlpi_addr + ph->p_vaddr);
        const unsigned char *end = p + ph->p_memsz;
        while (p + sizeof(ElfW(Nhdr)) <= end) {
            const ElfW(Nhdr) *nh = (const ElfW(Nhdr) *)p;
            size_t namesz = (nh->n_namesz + align - 1) & ~(align - 1);
            size_t descsz = (nh->n_descsz + align - 1) & ~(align - 1);
            const unsigned char *name = p + sizeof(ElfW(Nhdr));
            const unsigned char *desc = name + namesz;
            if (desc + nh->n_descsz > end) break;
            if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 && memcmp(name, "GNU", 4) == 0) {
                *out = desc;
                return nh->n_descsz > 255 ? 255 : nh->n_descsz;
            }
            p = desc + descsz;
        }
    }
    return 0;
}

static void load_range(struct dl_phdr_info *info, uintptr_t *lo, uintptr_t *hi) {
    uintptr_t l = UINTPTR_MAX, h = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD) continue;
        uintptr_t s = info->dlpi_addr + ph->p_vaddr;
        uintptr_t e = s + ph->p_memsz;
        if (s < l) l = s;
        if (e > h) h = e;
    }
    *lo = l;
    *hi = h;
}

/* The module table is collected into a scratch area outside `lock` (dl_iterate_phdr takes the
 * loader's lock, which a thread inside a dl_iterate_phdr callback already holds when it
 * allocates), then copied into the stream under `lock`. */
#define SCRATCH_SIZE (1024 * 1024)
static unsigned char *mod_scratch; /* mmap'd */
static size_t mod_len;
static int mod_busy;                /* trylock for the scratch */
static unsigned long long last_adds, last_subs; /* loader counters at the last table */

struct modscan { unsigned long long adds, subs; int have; };

static int adds_cb(struct dl_phdr_info *info, size_t size, void *data) {
    struct modscan *m = data;
    if (size >= offsetof(struct dl_phdr_info, dlpi_subs) + sizeof(info->dlpi_subs)) {
        m->adds = info->dlpi_adds;
        m->subs = info->dlpi_subs;
        m->have = 1;
    }
    return 1; /* the counters are the same for every entry: stop after the first */
}

static int collect_cb(struct dl_phdr_info *info, size_t size, void *data) {
    (void)size;
    (void)data;
    uintptr_t lo, hi;
    load_range(info, &lo, &hi);
    if (hi == 0) return 0; /* no PT_LOAD */
    const char *path = info->dlpi_name;
    size_t path_len = path ? strlen(path) : 0;
    if (path_len == 0) { path = exe_path; path_len = exe_len; }
    if (path_len > 4096) path_len = 4096;
    const unsigned char *bid = NULL;
    size_t bid_len = find_build_id(info, &bid);
    size_t n = 1 + 8 + 8 + 8 + 2 + path_len + 1 + bid_len;
    if (mod_len + n > SCRATCH_SIZE) return 1;
    unsigned char *p = mod_scratch + mod_len;
    p = put_u8(p, 'M');
    p = put_u64(p, info->dlpi_addr);
    p = put_u64(p, lo);
    p = put_u64(p, hi);
    p = put_u16(p, (uint16_t)path_len);
    p = put_bytes(p, path, path_len);
    p = put_u8(p, (uint8_t)bid_len);
    put_bytes(p, bid, bid_len);
    mod_len += n;
    return 0;
}

/* Caller holds lock: copies the collected table into the stream. */
static void emit_scratch_locked(void) {
    size_t off = 0;
    while (off < mod_len) { /* records are < 4.5 KiB; copy record-aligned pieces of a chunk */
        size_t chunk = mod_len - off;
        if (chunk > CHUNK_SIZE) {
            /* find a record boundary: walk records */
            size_t k = off;
            while (k < mod_len) {
                const unsigned char *r = mod_scratch + k;
                uint16_t pl;
                memcpy(&pl, r + 25, 2);
                size_t rl = 1 + 8 + 8 + 8 + 2 + pl;
                rl += 1 + r[rl];
                if (k + rl - off > CHUNK_SIZE) break;
                k += rl;
            }
            chunk = k - off;
        }
        unsigned char *p = reserve_sync_locked(chunk);
        if (!p) return;
        memcpy(p, mod_scratch + off, chunk);
        off += chunk;
    }
}

/* Sends the module table if objects were loaded or unloaded since the last one. Called with
 * no lock of ours held. If another thread is collecting, it will send the table. */
static void refresh_modules(int force) {
    if (!mod_scratch) return;
    struct modscan m = {0, 0, 0};
    if (!force) {
        dl_iterate_phdr(adds_cb, &m);
        if (m.have && m.adds == __atomic_load_n(&last_adds, __ATOMIC_RELAXED) &&
            m.subs == __atomic_load_n(&last_subs, __ATOMIC_RELAXED))
            return;
    }
    if (__atomic_exchange_n(&mod_busy, 1, __ATOMIC_ACQUIRE)) return;
    m.have = 0;
    dl_iterate_phdr(adds_cb, &m);
    mod_len = 0;
    dl_iterate_phdr(collect_cb, NULL);
    pthread_mutex_lock(&lock);
    emit_scratch_locked();
    pthread_mutex_unlock(&lock);
    if (m.have) {
        __atomic_store_n(&last_adds, m.adds, __ATOMIC_RELAXED);
        __atomic_store_n(&last_subs, m.subs, __ATOMIC_RELAXED);
    }
    __atomic_store_n(&mod_busy, 0, __ATOMIC_RELEASE);
}

static int self_cb(struct dl_phdr_info *info, size_t size, void *data) {
    (void)size;
    uintptr_t me = (uintptr_t)data, lo, hi;
    load_range(info, &lo, &hi);
    if (me >= lo && me < hi) {
        self_start = lo;
        self_end = hi;
        return 1;
    }
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Stacks: dedup table in mmap'd storage, lock-free lookups                   */
/* ------------------------------------------------------------------------ */
/* Slots are filled under `lock` and published by a release store of `id`; a lookup that finds
 * a published id knows its STACK record is already in the stream ahead of anything it writes
 * later under `lock` (the record was written in the same critical section as the publish). */

struct slot {
    uint64_t hash;
    uint32_t id;    /* 0 = empty */
    uint32_t off;   /* into pool */
    uint32_t depth;
    uint32_t pad;
};

#define SLOT_BITS 18
#define NSLOTS (1u << SLOT_BITS)
#define MAX_USED (NSLOTS / 4 * 3)
#define POOL_WORDS (1u << 23) /* 64 MiB virtual, touched only as used */

static struct slot *slots;
static uint64_t *pool;
static uint32_t slots_used, pool_used;
static uint32_t next_stack_id = 1;

static uint64_t hash_stack(void *const *frames, int depth) {
    uint64_t h = 0xcbf29ce484222325ull ^ (uint64_t)depth;
    for (int i = 0; i < depth; i++) {
        h ^= (uint64_t)(uintptr_t)frames[i];
        h *= 0x9E3779B97F4A7C15ull;
        h ^= h >> 29;
    }
    return h ? h : 1;
}

static int same_frames(const struct slot *s, void *const *frames, int depth) {
    const uint64_t *a = pool + s->off;
    for (int k = 0; k < depth; k++)
        if (a[k] != (uint64_t)(uintptr_t)frames[k]) return 0;
    return 1;
}

/* Returns the published id or 0. Safe without the lock. */
static uint32_t lookup_stack(uint64_t h, void *const *frames, int depth) {
    if (!slots) return 0;
    for (uint32_t i = (uint32_t)h & (NSLOTS - 1);; i = (i + 1) & (NSLOTS - 1)) {
        struct slot *s = &slots[i];
        uint32_t id = __atomic_load_n(&s->id, __ATOMIC_ACQUIRE);
        if (id == 0) return 0;
        if (s->hash == h && s->depth == (uint32_t)depth && same_frames(s, frames, depth)) return id;
    }
}

#define STACK_LEN(d) (1 + 4 + 2 + 8 * (size_t)(d))

/* Caller holds lock. Returns the stack's id, writing its STACK record first if it is new;
 * *stable says the id is the table's (the same for these frames from now on). */
static uint32_t intern_stack_locked(uint64_t h, void *const *frames, int depth, int *stable) {
    struct slot *free_slot = NULL;
    *stable = 0;
    if (slots) {
        for (uint32_t i = (uint32_t)h & (NSLOTS - 1);; i = (i + 1) & (NSLOTS - 1)) {
            struct slot *s = &slots[i];
            if (s->id == 0) { free_slot = s; break; }
            if (s->hash == h && s->depth == (uint32_t)depth && same_frames(s, frames, depth)) {
                *stable = 1;
                return s->id;
            }
        }
    }
    uint32_t id = next_stack_id++;
    unsigned char *p = reserve_sync_locked(STACK_LEN(depth));
    if (!p) return id;
    p = put_u8(p, 'S');
    p = put_u32(p, id);
    p = put_u16(p, (uint16_t)depth);
    for (int k = 0; k < depth; k++) p = put_u64(p, (uint64_t)(uintptr_t)frames[k]);
    count(C_STACKS, 1);
    if (free_slot && slots_used < MAX_USED && pool_used + (uint32_t)depth <= POOL_WORDS) {
        free_slot->hash = h;
        free_slot->off = pool_used;
        free_slot->depth = (uint32_t)depth;
        for (int k = 0; k < depth; k++) pool[pool_used + k] = (uint64_t)(uintptr_t)frames[k];
        pool_used += (uint32_t)depth;
        slots_used++;
        __atomic_store_n(&free_slot->id, id, __ATOMIC_RELEASE);
        *stable = 1;
    } else {
        count(C_STACK_TABLE_FULL, 1); /* table full: a fresh id every time, still lossless */
    }
    return id;
}

/* ------------------------------------------------------------------------ */
/* Unwinding                                                                 */
/* ------------------------------------------------------------------------ */

struct stack {
    void *frames[LIMIT_MAX_DEPTH + SELF_FRAMES];
    int skip, depth;
    int replayed;       /* from the shape cache */
    uint32_t *known_id; /* replayed: the shape's slot for this stack's id (0 until stored) */
    uint64_t hash;      /* 0 until stack_hash computed it */
};

static uint64_t stack_hash(struct stack *st) {
    if (st->hash == 0) st->hash = hash_stack(st->frames + st->skip, st->depth); /* never 0 itself */
    return st->hash;
}

/* Parses a hexadecimal number at *p (advancing it); 0 if there is none. */
static uintptr_t parse_hex(const char **p, const char *end) {
    uintptr_t v = 0;
    int digits = 0;
    for (; *p < end; (*p)++, digits++) {
        char c = **p;
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (d < 0) break;
        v = v << 4 | (uintptr_t)d;
    }
    return digits ? v : 0;
}

/*
 * The mapping that holds `sp`, from /proc/self/maps: the calling thread's stack (its top the
 * end of the mapping: for a pthread stack that includes the thread's descriptor and TLS, all
 * readable). Read with plain syscalls into a buffer on the stack: no allocation, no lock of
 * libc's. Not pthread_getattr_np: it takes the thread's own lock and may call realloc, and a
 * hook entered from inside it (ASan's and Rust's thread start call it) would deadlock there.
 * 0 if not found.
 */
static int mapping_of(uintptr_t sp, uintptr_t *lo, uintptr_t *hi) {
    int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    char buf[4096];
    size_t have = 0;
    int found = 0;
    for (;;) {
        ssize_t n = read(fd, buf + have, sizeof buf - have);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        have += (size_t)n;
        char *line = buf, *end = buf + have, *nl;
        while ((nl = memchr(line, '\n', (size_t)(end - line))) != NULL) {
            const char *p = line;
            uintptr_t start = parse_hex(&p, nl);
            if (p < nl && *p == '-') {
                p++;
                uintptr_t stop = parse_hex(&p, nl);
                if (sp >= start && sp < stop) {
                    *lo = start;
                    *hi = stop;
                    found = 1;
                    break;
                }
            }
            line = nl + 1;
        }
        if (found) break;
        have = (size_t)(end - line); /* keep a partial line for the next read */
        if (have == sizeof buf) have = 0; /* a line longer than the buffer: its start is lost */
        memmove(buf, line, have);
    }
    close(fd);
    return found;
}

/* The calling thread's stack, looked up once per thread ([1, 1) when unknown: nothing is read
 * from it then). Later calls find sp elsewhere on a signal stack or a coroutine's: then the
 * caller does without (libunwind checks its reads itself). */
static void thread_stack(struct uc_stack *s) {
    if (UNLIKELY(stack_hi == 0)) {
        uintptr_t lo = 1, hi = 1, sp = (uintptr_t)__builtin_frame_address(0);
        if (!mapping_of(sp, &lo, &hi)) lo = hi = 1;
        stack_lo = lo;
        stack_hi = hi;
    }
    s->lo = stack_lo;
    s->hi = stack_hi;
}

/* Frame-pointer walk (PLUMB_FRAME_POINTERS=1): only for programs built with
 * -fno-omit-frame-pointer. Bounded by the thread's stack mapping: every frame pointer must be
 * above the previous one and inside it, so a missing frame pointer ends the walk early (a
 * truncated stack) instead of reading unmapped memory; on another stack (a signal's, a
 * coroutine's) nothing is walked. */
__attribute__((noinline)) static int fp_backtrace(void **out, int max) {
    struct uc_stack stack;
    thread_stack(&stack);
    uintptr_t top = stack.hi;
    uintptr_t *fp = (uintptr_t *)__builtin_frame_address(0);
    if ((uintptr_t)fp < stack.lo || (uintptr_t)fp >= stack.hi) return 0;
    int n = 0;
    while (n < max && top > 1) {
        uintptr_t f = (uintptr_t)fp;
        if ((f & 7) != 0 || f + 16 > top) break;
        uintptr_t ret = fp[1];
        uintptr_t next = fp[0];
        if (ret == 0) break;
        out[n++] = (void *)ret;
        if (next <= f) break;
        fp = (uintptr_t *)next;
    }
    return n;
}

/*
 * The registers of the first frame outside libplumb: the program's (or libc's) call into a
 * hook. Found by following our own frame pointers (this library is built with them; the
 * hooks without a frame jump to the functions that have one), each read inside the thread's
 * stack. 0 when the chain does not lead out of the library as expected.
 */
static int foreign_frame(struct uc_regs *r, const struct uc_stack *s) {
    uintptr_t f = (uintptr_t)__builtin_frame_address(0);
    for (int i = 0; i < 16; i++) {
        if ((f & 7) != 0 || f < s->lo || f + 16 > s->hi) return 0;
        const uintptr_t *fp = (const uintptr_t *)f;
        uintptr_t ra = fp[1], next = fp[0];
        if (ra < self_start || ra >= self_end) {
            r->ip = ra;
            r->sp = f + 16;
            r->bp = next;
            return 1;
        }
        if (next <= f) return 0;
        f = next;
    }
    return 0;
}

/* libunwind's stack, libplumb's own frames skipped: frames[*skip..) */
static int libunwind_stack(void **frames, int *skip, int *truncated) {
    int want = max_depth + SELF_FRAMES;
    int n = unw_backtrace(frames, want);
    if (n < 0) n = 0;
    int k = 0;
    while (k < n && (uintptr_t)frames[k] >= self_start && (uintptr_t)frames[k] < self_end) k++;
    *skip = k;
    *truncated = n - k > max_depth;
    return n - k > max_depth ? max_depth : n - k;
}

/* PLUMB_UNWIND_CHECK: does libunwind agree with a replayed stack? */
static void check_replay(void *const *frames, int depth) {
    void *theirs[LIMIT_MAX_DEPTH + SELF_FRAMES];
    int skip, truncated;
    int n = libunwind_stack(theirs, &skip, &truncated);
    if (n != depth || memcmp(theirs + skip, frames, (size_t)n * sizeof(void *)) != 0)
        count(C_UNWIND_MISMATCHES, 1);
}

static void capture(struct stack *st) {
    st->replayed = 0;
    st->known_id = NULL;
    st->hash = 0;
    if (use_frame_pointers) {
        int n = fp_backtrace(st->frames, max_depth + SELF_FRAMES);
        int skip = 0;
        while (skip < n && (uintptr_t)st->frames[skip] >= self_start && (uintptr_t)st->frames[skip] < self_end)
            skip++;
        st->skip = skip;
        st->depth = n - skip > max_depth ? max_depth : n - skip;
        return;
    }
    struct uc_stack stack;
    struct uc_regs start;
    int known = 0;
    if (fast_unwind) {
        thread_stack(&stack);
        known = foreign_frame(&start, &stack);
    }
    if (known) {
        int n = uc_replay(&start, &stack, st->frames, max_depth, &st->known_id);
        if (n > 0) {
            if (UNLIKELY(unwind_check)) check_replay(st->frames, n);
            st->skip = 0;
            st->depth = n;
            st->replayed = 1;
            return;
        }
        st->known_id = NULL;
    }
    int skip, truncated;
    st->depth = libunwind_stack(st->frames, &skip, &truncated);
    st->skip = skip;
    if (known && st->depth > 0) uc_learn(&start, &stack, st->frames + skip, st->depth, truncated);
}

/* ------------------------------------------------------------------------ */
/* Sampled mode: Poisson sampling by bytes                                    */
/* ------------------------------------------------------------------------ */

static uint64_t prng_next(void) {
    uint64_t x = prng_state;
    if (UNLIKELY(x == 0)) {
        x = (uint64_t)current_tid() * 0x9E3779B97F4A7C15ull ^ precise_micros() ^ (uint64_t)(uintptr_t)&x;
        if (x == 0) x = 1;
    }
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    prng_state = x;
    return x * 0x2545F4914F6CDD1Dull;
}

/* Exponentially distributed with mean sample_bytes (at least 1). */
static uint64_t next_sample_gap(void) {
    double u = ((double)(prng_next() >> 11) + 1.0) * (1.0 / 9007199254740993.0); /* (0, 1] */
    double gap = -log(u) * (double)sample_bytes;
    if (gap < 1.0) gap = 1.0;
    if (gap > 9e18) gap = 9e18;
    return (uint64_t)gap;
}

/*
 * Decides whether an allocation of `size` bytes is sampled: it is when the thread's remaining
 * gap does not cover it (probability 1 - exp(-size / R), the gaps being exponential). The hooks'
 * fast path makes the same comparison inline (see "Sampled mode's fast path" below); this is
 * the slow half. A sampled allocation leaves the gap at 0 while it is recorded, so whatever the
 * recording allocates itself (the unwinder) skips the fast path and passes through unrecorded
 * and uncounted; leave_hook() then draws the next gap.
 */
static int take_sample(size_t size) {
    if (UNLIKELY(prng_state == 0)) sample_left = next_sample_gap();
    if (LIKELY(size < sample_left)) {
        sample_left -= size;
        return 0;
    }
    sample_left = 0;
    return 1;
}

/* Sampled mode, recording off: the gaps keep running, so the fast path keeps working. */
static void skip_sample(size_t size) {
    if (mode == MODE_SAMPLED && take_sample(size)) sample_left = next_sample_gap();
}

/* Ends a hook that may have recorded: clears the reentrancy flag and, after a sample, draws the
 * thread's next gap. */
static inline void leave_hook(void) {
    in_hook = 0;
    if (mode == MODE_SAMPLED && UNLIKELY(sample_left == 0) && prng_state != 0) sample_left = next_sample_gap();
}

static double sample_weight(size_t size) {
    double s = (double)(size ? size : 1);
    return 1.0 / (-expm1(-s / (double)sample_bytes));
}

/*
 * Bounded set of sampled live addresses (so only their frees are sent). An address's 16-bit
 * hash index i has a bit in an 8 KiB bitmap, set while any live address with that index is in
 * the set: a free reads that bit and, in the common case of a clear bit, touches nothing else
 * and takes no lock. The addresses themselves live in two levels of 64-byte buckets of 7:
 *  - the first level has one bucket per bitmap word (1,024 buckets, 64 KiB), so a program's few
 *    hundred live samples stay in memory that is small, warm in cache, and touched in a few
 *    pages;
 *  - a full first-level bucket spills into the second level, one bucket per index (65,536
 *    buckets, 4 MiB, touched only by spills).
 * First-level bucket s's spin lock guards everything about the indices of bitmap word s (s =
 * i / 64): its own keys, their 64 second-level buckets and the word's bits. So a bit is
 * cleared only when, under that lock, no address of its index is left in either level. A
 * sample that finds both of its buckets full is not taken (counted), never a free.
 * Why two levels: the set was one 4 MiB table on transparent huge pages; hashing spread the
 * first samples over it, so both huge pages were faulted in and zeroed at once: 0.4-0.8 ms a
 * run mostly, and 3-13 ms in 6 runs of 18 on this project's VM (single-threaded rdtsc around
 * the insert). See docs/RATIONALE.md.
 */
#define SS_BITS 16
#define SS_BUCKETS (1u << SS_BITS)
#define SS_WAYS 7
#define SS_FIRST (SS_BUCKETS / 64) /* one first-level bucket per bitmap word */
struct ss_bucket { uint32_t lock; uint16_t count; uint16_t spilled; uintptr_t keys[SS_WAYS]; };
/* `spilled` counts at most the 64 full second-level buckets of one bitmap word */
_Static_assert(64 * SS_WAYS <= UINT16_MAX, "spilled must not overflow");
struct addr_set {
    uint64_t *nonempty;        /* the bitmap: bit i = an address of index i is in the set */
    struct ss_bucket *first;   /* SS_FIRST buckets, with the locks; `spilled` counts a bucket's
                                  addresses in the second level */
    struct ss_bucket *second;  /* SS_BUCKETS buckets (their lock and spilled fields unused) */
};
static struct addr_set sampled_set; /* sampled mode only */
static struct addr_set mmap_set;    /* full mode with PLUMB_TRACK_MMAP: live anonymous mappings */

static uint32_t ss_index(const void *p) {
    return (uint32_t)(((uint64_t)(uintptr_t)p * 0x9E3779B97F4A7C15ull) >> (64 - SS_BITS));
}
static void ss_lock(struct ss_bucket *b) {
    while (__atomic_exchange_n(&b->lock, 1, __ATOMIC_ACQUIRE))
        while (__atomic_load_n(&b->lock, __ATOMIC_RELAXED)) __builtin_ia32_pause();
}
static void ss_unlock(struct ss_bucket *b) { __atomic_store_n(&b->lock, 0, __ATOMIC_RELEASE); }

/* Caller holds the lock: appends p to b if there is room. */
static int ss_put(struct ss_bucket *b, const void *p) {
    if (b->count >= SS_WAYS) return 0;
    b->keys[b->count++] = (uintptr_t)p;
    return 1;
}

/* Caller holds the lock: takes p out of b if it is there. */
static int ss_take(struct ss_bucket *b, const void *p) {
    for (uint32_t k = 0; k < b->count; k++) {
        if (b->keys[k] == (uintptr_t)p) {
            b->keys[k] = b->keys[--b->count];
            return 1;
        }
    }
    return 0;
}

static int ss_insert(struct addr_set *set, const void *p) {
    if (!set->first) return 0;
    uint32_t i = ss_index(p);
    struct ss_bucket *f = &set->first[i >> 6];
    ss_lock(f);
    int ok = ss_put(f, p);
    if (!ok && ss_put(&set->second[i], p)) {
        f->spilled++;
        ok = 1;
    }
    if (ok) __atomic_fetch_or(&set->nonempty[i >> 6], 1ull << (i & 63), __ATOMIC_RELEASE);
    ss_unlock(f);
    return ok;
}

/* Cheap pre-check without the lock: can p be in the set? */
static inline int ss_maybe(const struct addr_set *set, const void *p) {
    if (!set->first) return 0;
    uint32_t i = ss_index(p);
    return (__atomic_load_n(&set->nonempty[i >> 6], __ATOMIC_ACQUIRE) >> (i & 63)) & 1;
}

static int ss_remove(struct addr_set *set, const void *p) {
    if (!ss_maybe(set, p)) return 0;
    uint32_t i = ss_index(p);
    struct ss_bucket *f = &set->first[i >> 6];
    ss_lock(f);
    int found = ss_take(f, p);
    if (!found && f->spilled > 0 && ss_take(&set->second[i], p)) {
        f->spilled--;
        found = 1;
    }
    if (found) { /* the bit stays while another address of index i is left in either level */
        int left = f->spilled > 0 && set->second[i].count > 0;
        for (uint32_t k = 0; k < f->count && !left; k++) left = ss_index((const void *)f->keys[k]) == i;
        if (!left) __atomic_fetch_and(&set->nonempty[i >> 6], ~(1ull << (i & 63)), __ATOMIC_RELEASE);
    }
    ss_unlock(f);
    return found;
}

/* ------------------------------------------------------------------------ */
/* Recording (caller has set in_hook)                                        */
/* ------------------------------------------------------------------------ */

#define ALLOC_LEN (1 + 8 + 8 + 8 + 4 + 4)
#define SAMPLE_LEN (ALLOC_LEN + 8)
#define FREE_LEN (1 + 8 + 8)

static void write_alloc(unsigned char *p, uint64_t t, const void *addr, size_t size, uint32_t id,
                        int sampled, double weight) {
    p = put_u8(p, sampled ? 'P' : 'A');
    p = put_u64(p, t);
    p = put_u64(p, (uint64_t)(uintptr_t)addr);
    p = put_u64(p, (uint64_t)size);
    p = put_u32(p, id);
    p = put_u32(p, current_tid());
    if (sampled) put_f64(p, weight);
}

static void record_alloc_with(struct stack *st, const void *addr, size_t size) {
    int sampled = mode == MODE_SAMPLED;
    double weight = 1.0;
    if (sampled) {
        if (!ss_insert(&sampled_set, addr)) { count(C_DROPPED, 1); return; }
        weight = sample_weight(size);
    }
    void *const *frames = st->frames + st->skip;
    /* a replayed stack knows its id once one sample of it was recorded: no hashing, no lookup */
    uint32_t id = st->known_id ? __atomic_load_n(st->known_id, __ATOMIC_ACQUIRE) : 0;
    if (id == 0) {
        id = lookup_stack(stack_hash(st), frames, st->depth);
        if (id != 0 && st->known_id) __atomic_store_n(st->known_id, id, __ATOMIC_RELEASE);
    }
    if (id == 0) refresh_modules(0); /* maybe a new object: the agent needs it before the stack */
    uint64_t t = now_micros();
    int closed = 0, dropped = 0;
    pthread_mutex_lock(&lock);
    if (LIKELY(socket_fd() >= 0)) {
        report_toggle_locked();
        t = stream_time_locked(t);
        /* sampled mode never waits for the agent for a sample: no room, no sample */
        if (sampled && !have_room_locked(SAMPLE_LEN + (id == 0 ? STACK_LEN(st->depth) : 0))) {
            dropped = 1;
        } else {
            if (id == 0) {
                int stable;
                id = intern_stack_locked(stack_hash(st), frames, st->depth, &stable);
                /* published with the STACK record already in the stream (see lookup_stack) */
                if (stable && st->known_id) __atomic_store_n(st->known_id, id, __ATOMIC_RELEASE);
            }
            unsigned char *p = reserve_locked(sampled ? SAMPLE_LEN : ALLOC_LEN, t, 0, &closed);
            if (p) {
                write_alloc(p, t, addr, size, id, sampled, weight);
                counters[C_EVENTS]++; /* under lock, like every update of these three */
                if (sampled) counters[C_SAMPLES]++;
                counters[C_FAST_UNWINDS] += (uint64_t)st->replayed;
            }
        }
    }
    unlock_and_send(closed);
    if (dropped) {
        ss_remove(&sampled_set, addr); /* not yet returned to the program: no free can race */
        count(C_DROPPED, 1);
    }
}

static void record_alloc(const void *addr, size_t size) {
    struct stack st;
    /* the sample's bucket may be a cache miss: start it now, the unwind hides it */
    if (mode == MODE_SAMPLED && sampled_set.first) __builtin_prefetch(&sampled_set.first[ss_index(addr) >> 6], 1, 3);
    capture(&st);
    record_alloc_with(&st, addr, size);
}

static void record_free(const void *addr) {
    if (mode == MODE_SAMPLED && !ss_remove(&sampled_set, addr)) return;
    uint64_t t = now_micros();
    int closed = 0;
    pthread_mutex_lock(&lock);
    if (LIKELY(socket_fd() >= 0)) {
        report_toggle_locked();
        t = stream_time_locked(t);
        unsigned char *p = reserve_locked(FREE_LEN, t, 0, &closed);
        if (p) {
            p = put_u8(p, 'F');
            p = put_u64(p, t);
            put_u64(p, (uint64_t)(uintptr_t)addr);
            counters[C_EVENTS]++;
        }
    }
    unlock_and_send(closed);
}

/* Should this allocation be recorded? Cheap checks first; sampled mode decides here so that
 * an unsampled allocation costs a TLS decrement and no unwinding. */
static int want_alloc(size_t size) {
    if (mode == MODE_SAMPLED) return take_sample(size);
    return 1;
}

/* ------------------------------------------------------------------------ */
/* Sampled mode's fast path                                                  */
/* ------------------------------------------------------------------------ */
/*
 * In sampled mode almost every call is neither sampled nor the free of a sample, and on an
 * allocation-bound program the hook itself is then the overhead. So malloc, calloc, realloc
 * and free first try a fast path that is a few instructions and a tail jump into the real
 * allocator: an allocation the thread's gap covers (`size < sample_left`) and a free whose
 * address's bucket in the sampled set is empty (one bit) need nothing else — no reentrancy
 * flag, no enabled check, no stack frame of ours. Everything else takes the full hook (the
 * `*_slow` functions), which re-checks all of it. This is safe because:
 *  - sample_left is 0 until a slow call in sampled mode has run init_real and seeded it (so in
 *    full mode every allocation takes the slow path), and sampled_bits is set by the
 *    constructor once the set exists and the agent is connected;
 *  - while a sample is recorded the thread's gap is 0 (take_sample), so the recording's own
 *    allocations take the slow path and pass through as before;
 *  - the sampled set's bit is set before the hook returns a sampled address to the program,
 *    and any thread that frees it got it from the program afterwards, so it sees the bit;
 *  - bootstrap-arena pointers never reach the real allocator (checked before the jump).
 * Recording off or the agent gone: gaps keep running (skip_sample), so the fast path stays on.
 */
static const uint64_t *sampled_bits; /* the sampled set's bitmap, once the fast path may use it */

/* Can p be a sampled address? (the free side of the fast path; bits != NULL) */
static inline int maybe_sampled(const uint64_t *bits, const void *p) {
    uint32_t i = ss_index(p);
    return (__atomic_load_n(&bits[i >> 6], __ATOMIC_ACQUIRE) >> (i & 63)) & 1;
}

static void *malloc_slow(size_t size);
static void *calloc_slow(size_t n, size_t size);
static void *realloc_slow(void *old, size_t size);
static void free_slow(void *p);

/* The hooks themselves: no frame of their own, so the frame-pointer walk from the slow path
 * sees the program's caller directly above it. */
#define FAST_HOOK __attribute__((optimize("omit-frame-pointer")))

EXPORT FAST_HOOK void *malloc(size_t size) {
    if (LIKELY(size < sample_left)) {
        sample_left -= size;
        return real_malloc(size);
    }
    return malloc_slow(size);
}

EXPORT FAST_HOOK void *calloc(size_t n, size_t size) {
    size_t total;
    if (!__builtin_mul_overflow(n, size, &total) && LIKELY(total < sample_left)) {
        sample_left -= total;
        return real_calloc(n, size);
    }
    return calloc_slow(n, size);
}

EXPORT FAST_HOOK void free(void *p) {
    const uint64_t *bits = sampled_bits;
    if (LIKELY(bits != NULL) && LIKELY(!maybe_sampled(bits, p)) && LIKELY(!in_arena(p))) {
        real_free(p);
        return;
    }
    free_slow(p);
}

EXPORT FAST_HOOK void *realloc(void *old, size_t size) {
    const uint64_t *bits = sampled_bits;
    if (LIKELY(size < sample_left) && LIKELY(old != NULL) && LIKELY(bits != NULL) &&
        LIKELY(!maybe_sampled(bits, old)) && LIKELY(!in_arena(old))) {
        sample_left -= size;
        return real_realloc(old, size);
    }
    return realloc_slow(old, size);
}

/* ------------------------------------------------------------------------ */
/* Hooks: C allocator                                                        */
/* ------------------------------------------------------------------------ */

__attribute__((noinline)) static void *malloc_slow(size_t size) {
    if (UNLIKELY(!init_real())) return arena_alloc(size, 16);
    if (in_hook) return real_malloc(size);
    if (!is_enabled()) { skip_sample(size); return real_malloc(size); }
    in_hook = 1;
    void *p = real_malloc(size);
    if (p && want_alloc(size)) record_alloc(p, size);
    leave_hook();
    return p;
}

__attribute__((noinline)) static void *calloc_slow(size_t n, size_t size) {
    if (UNLIKELY(!init_real())) {
        size_t total;
        if (__builtin_mul_overflow(n, size, &total)) return NULL;
        return arena_alloc(total, 16);
    }
    if (in_hook) return real_calloc(n, size);
    if (!is_enabled()) { skip_sample(n * size); return real_calloc(n, size); }
    in_hook = 1;
    void *p = real_calloc(n, size);
    if (p && want_alloc(n * size)) record_alloc(p, n * size);
    leave_hook();
    return p;
}

/* Records a free (if recording). Called *before* the memory is released: once it is, another
 * thread may get the same address back and write its ALLOC. A free made while its thread is
 * already inside a hook (the unwinder's own, or a signal handler's) passes through, counted. */
static void note_free(void *p) {
    if (!is_enabled()) return;
    if (UNLIKELY(in_hook)) { count(C_NESTED_FREES, 1); return; }
    in_hook = 1;
    record_free(p);
    in_hook = 0;
}

__attribute__((noinline)) static void free_slow(void *p) {
    if (!p || in_arena(p)) return;
    if (UNLIKELY(!init_real())) return; /* cannot happen for non-arena pointers */
    /* sampled mode: most frees are of unsampled blocks; one bit says so without the hook */
    if (mode != MODE_SAMPLED || ss_maybe(&sampled_set, p)) note_free(p);
    real_free(p);
}

/* realloc-like calls: FREE(old) is written before the real call (so another thread that gets
 * `old` back from the allocator writes its ALLOC after it), ALLOC(new) after. If the call
 * fails, the old block is still live: it is re-announced with an ALLOC of its usable size. */

__attribute__((noinline)) static void *realloc_slow(void *old, size_t size) {
    if (UNLIKELY(!init_real())) {
        void *p = arena_alloc(size, 16);
        if (p && old) memcpy(p, old, arena_size(old) < size ? arena_size(old) : size);
        return p;
    }
    if (old && in_arena(old)) { /* bootstrap block: move it to the real heap */
        void *p = malloc(size);
        if (p) memcpy(p, old, arena_size(old) < size ? arena_size(old) : size);
        return p;
    }
    if (!old) return malloc_slow(size);
    if (in_hook) return real_realloc(old, size);
    if (!is_enabled()) { skip_sample(size); return real_realloc(old, size); }
    in_hook = 1;
    struct stack st;
    int full = mode == MODE_FULL;
    if (full) capture(&st); /* unwind first: FREE(old) is then quickly followed by ALLOC */
    record_free(old);
    void *p = real_realloc(old, size);
    if (p) {
        if (full) record_alloc_with(&st, p, size);
        else if (want_alloc(size)) record_alloc(p, size);
    } else if (size != 0 && full) {
        /* failed: `old` is still live */
        record_alloc_with(&st, old, real_usable_size ? real_usable_size(old) : 0);
    } /* realloc(p, 0) returning NULL freed p: the FREE is already written */
    leave_hook();
    return p;
}

EXPORT void *reallocarray(void *old, size_t n, size_t size) {
    size_t total;
    if (__builtin_mul_overflow(n, size, &total)) {
        errno = ENOMEM;
        return NULL;
    }
    return realloc(old, total);
}

EXPORT int posix_memalign(void **out, size_t align, size_t size) {
    if (UNLIKELY(!init_real())) {
        void *p = arena_alloc(size, align);
        if (!p) return ENOMEM;
        *out = p;
        return 0;
    }
    if (in_hook || !is_enabled()) return real_posix_memalign(out, align, size);
    in_hook = 1;
    int rc = real_posix_memalign(out, align, size);
    if (rc == 0 && want_alloc(size)) record_alloc(*out, size);
    leave_hook();
    return rc;
}

static void *aligned_common(aligned_alloc_fn fn, size_t align, size_t size) {
    if (in_hook || !is_enabled()) return fn(align, size);
    in_hook = 1;
    void *p = fn(align, size);
    if (p && want_alloc(size)) record_alloc(p, size);
    leave_hook();
    return p;
}

EXPORT void *aligned_alloc(size_t align, size_t size) {
    if (UNLIKELY(!init_real())) return arena_alloc(size, align);
    return aligned_common(real_aligned_alloc, align, size);
}

EXPORT void *memalign(size_t align, size_t size) {
    if (UNLIKELY(!init_real())) return arena_alloc(size, align);
    return aligned_common(real_memalign, align, size);
}

static void *valloc_common(valloc_fn fn, size_t size) {
    if (in_hook || !is_enabled()) return fn(size);
    in_hook = 1;
    void *p = fn(size);
    if (p && want_alloc(size)) record_alloc(p, size);
    leave_hook();
    return p;
}

EXPORT void *valloc(size_t size) {
    if (UNLIKELY(!init_real())) return arena_alloc(size, 4096);
    return valloc_common(real_valloc, size);
}

EXPORT void *pvalloc(size_t size) {
    if (UNLIKELY(!init_real())) return arena_alloc((size + 4095) & ~(size_t)4095, 4096);
    return valloc_common(real_pvalloc, size);
}

EXPORT size_t malloc_usable_size(void *p) {
    if (!p) return 0;
    if (in_arena(p)) return arena_size(p);
    if (UNLIKELY(!init_real()) || !real_usable_size) return 0;
    return real_usable_size(p);
}

/* ------------------------------------------------------------------------ */
/* Hooks: jemalloc's extended API, plain and prefixed (_rjem_)               */
/* ------------------------------------------------------------------------ */
/* Resolved lazily with dlsym(RTLD_NEXT). Without jemalloc the functions still behave as
 * documented (emulated on the C allocator), so a program that merely references them does not
 * crash; nallocx/mallctl are deliberately not exported, so feature checks that need the whole
 * jemalloc API still see that jemalloc is absent. */

#define MALLOCX_LG_ALIGN_MASK 0x3f
#define MALLOCX_ZERO_FLAG 0x40

typedef void *(*mallocx_fn)(size_t, int);
typedef void *(*rallocx_fn)(void *, size_t, int);
typedef size_t (*xallocx_fn)(void *, size_t, size_t, int);
typedef size_t (*sallocx_fn)(const void *, int);
typedef void (*dallocx_fn)(void *, int);
typedef void (*sdallocx_fn)(void *, size_t, int);

struct jfamily {
    const char *prefix;
    int resolved;
    mallocx_fn mallocx;
    rallocx_fn rallocx;
    xallocx_fn xallocx;
    sallocx_fn sallocx;
    dallocx_fn dallocx;
    sdallocx_fn sdallocx;
    malloc_fn malloc;
    calloc_fn calloc;
    realloc_fn realloc;
    free_fn free;
    posix_memalign_fn posix_memalign;
    aligned_alloc_fn aligned_alloc;
    usable_fn usable_size;
};

static struct jfamily jplain = {.prefix = ""};
static struct jfamily jrjem = {.prefix = "_rjem_"};

static void *jsym(const char *prefix, const char *name) {
    char full[64];
    size_t pl = strlen(prefix), nl = strlen(name);
    if (pl + nl + 1 > sizeof full) return NULL;
    memcpy(full, prefix, pl);
    memcpy(full + pl, name, nl + 1);
    return dlsym(RTLD_NEXT, full);
}

static struct jfamily *jresolve(struct jfamily *j) {
    if (LIKELY(__atomic_load_n(&j->resolved, __ATOMIC_ACQUIRE))) return j;
    init_real();
    int saved = in_hook;
    in_hook = 1; /* dlsym may allocate */
    j->mallocx = (mallocx_fn)jsym(j->prefix, "mallocx");
    j->rallocx = (rallocx_fn)jsym(j->prefix, "rallocx");
    j->xallocx = (xallocx_fn)jsym(j->prefix, "xallocx");
    j->sallocx = (sallocx_fn)jsym(j->prefix, "sallocx");
    j->dallocx = (dallocx_fn)jsym(j->prefix, "dallocx");
    j->sdallocx = (sdallocx_fn)jsym(j->prefix, "sdallocx");
    if (j->prefix[0]) {
        j->malloc = (malloc_fn)jsym(j->prefix, "malloc");
        j->calloc = (calloc_fn)jsym(j->prefix, "calloc");
        j->realloc = (realloc_fn)jsym(j->prefix, "realloc");
        j->free = (free_fn)jsym(j->prefix, "free");
        j->posix_memalign = (posix_memalign_fn)jsym(j->prefix, "posix_memalign");
        j->aligned_alloc = (aligned_alloc_fn)jsym(j->prefix, "aligned_alloc");
        j->usable_size = (usable_fn)jsym(j->prefix, "malloc_usable_size");
    }
    /* anything missing falls back to the C allocator */
    if (!j->malloc) j->malloc = real_malloc;
    if (!j->calloc) j->calloc = real_calloc;
    if (!j->realloc) j->realloc = real_realloc;
    if (!j->free) j->free = real_free;
    if (!j->posix_memalign) j->posix_memalign = real_posix_memalign;
    if (!j->aligned_alloc) j->aligned_alloc = real_aligned_alloc;
    if (!j->usable_size) j->usable_size = real_usable_size;
    in_hook = saved;
    __atomic_store_n(&j->resolved, 1, __ATOMIC_RELEASE);
    return j;
}

static size_t jalign(int flags) {
    int lg = flags & MALLOCX_LG_ALIGN_MASK;
    return lg ? (size_t)1 << lg : 0;
}

static void *j_real_mallocx(struct jfamily *j, size_t size, int flags) {
    if (j->mallocx) return j->mallocx(size, flags);
    size_t align = jalign(flags);
    void *p = NULL;
    if (align > 16) {
        if (j->posix_memalign(&p, align, size) != 0) p = NULL;
    } else {
        p = j->malloc(size);
    }
    if (p && (flags & MALLOCX_ZERO_FLAG)) memset(p, 0, size);
    return p;
}

static void *j_real_rallocx(struct jfamily *j, void *old, size_t size, int flags) {
    if (j->rallocx) return j->rallocx(old, size, flags);
    size_t align = jalign(flags);
    size_t old_size = j->usable_size ? j->usable_size(old) : 0;
    void *p;
    if (align > 16) {
        p = j_real_mallocx(j, size, flags & ~MALLOCX_ZERO_FLAG);
        if (p) { memcpy(p, old, old_size < size ? old_size : size); j->free(old); }
    } else {
        p = j->realloc(old, size ? size : 1);
    }
    if (p && (flags & MALLOCX_ZERO_FLAG) && size > old_size) memset((char *)p + old_size, 0, size - old_size);
    return p;
}

static void *j_mallocx(struct jfamily *j, size_t size, int flags) {
    if (UNLIKELY(!init_real())) return arena_alloc(size, jalign(flags) ? jalign(flags) : 16);
    jresolve(j);
    if (in_hook || !is_enabled()) return j_real_mallocx(j, size, flags);
    in_hook = 1;
    void *p = j_real_mallocx(j, size, flags);
    if (p && want_alloc(size)) record_alloc(p, size);
    leave_hook();
    return p;
}

/* rallocx, or the family's realloc when use_realloc (prefixed builds). */
static void *j_resize(struct jfamily *j, void *old, size_t size, int flags, int use_realloc) {
    jresolve(j);
    if (in_arena(old)) { /* bootstrap block: move it */
        void *p = j_mallocx(j, size, flags);
        if (p) memcpy(p, old, arena_size(old) < size ? arena_size(old) : size);
        return p;
    }
    if (in_hook || !is_enabled())
        return use_realloc ? j->realloc(old, size) : j_real_rallocx(j, old, size, flags);
    in_hook = 1;
    struct stack st;
    int full = mode == MODE_FULL;
    if (full) capture(&st);
    record_free(old);
    void *p = use_realloc ? j->realloc(old, size) : j_real_rallocx(j, old, size, flags);
    if (p) {
        if (full) record_alloc_with(&st, p, size);
        else if (want_alloc(size)) record_alloc(p, size);
    } else if (full && !(use_realloc && size == 0)) { /* failed: `old` is still live */
        record_alloc_with(&st, old, j->sallocx ? j->sallocx(old, 0) : 0);
    }
    leave_hook();
    return p;
}

static void *j_rallocx(struct jfamily *j, void *old, size_t size, int flags) {
    return j_resize(j, old, size, flags, 0);
}

static size_t j_xallocx(struct jfamily *j, void *ptr, size_t size, size_t extra, int flags) {
    jresolve(j);
    if (!j->xallocx) return j->usable_size ? j->usable_size(ptr) : 0; /* never grows in place */
    if (in_hook || !is_enabled()) return j->xallocx(ptr, size, extra, flags);
    in_hook = 1;
    size_t r = j->xallocx(ptr, size, extra, flags);
    /* resized in place: the address cannot be reused meanwhile, so FREE+ALLOC after the call */
    if (r >= size && mode == MODE_FULL) {
        struct stack st;
        capture(&st);
        record_free(ptr);
        record_alloc_with(&st, ptr, size);
    }
    in_hook = 0;
    return r;
}

static size_t j_sallocx(struct jfamily *j, const void *ptr, int flags) {
    jresolve(j);
    if (in_arena(ptr)) return arena_size(ptr);
    if (j->sallocx) return j->sallocx(ptr, flags);
    return j->usable_size ? j->usable_size((void *)ptr) : 0;
}

/* Frees: FREE first, then the real call with in_hook set, so that a prefixed build that
 * forwards to the plain API (or the reverse) is recorded once. */
static void j_dallocx(struct jfamily *j, void *ptr, int flags) {
    if (!ptr || in_arena(ptr)) return;
    jresolve(j);
    int outer = !in_hook;
    note_free(ptr);
    in_hook = 1;
    if (j->dallocx) j->dallocx(ptr, flags);
    else j->free(ptr);
    if (outer) in_hook = 0;
}

static void j_sdallocx(struct jfamily *j, void *ptr, size_t size, int flags) {
    if (!ptr || in_arena(ptr)) return;
    jresolve(j);
    int outer = !in_hook;
    note_free(ptr);
    in_hook = 1;
    if (j->sdallocx) j->sdallocx(ptr, size, flags);
    else if (j->dallocx) j->dallocx(ptr, flags);
    else j->free(ptr);
    if (outer) in_hook = 0;
}

EXPORT void *mallocx(size_t size, int flags) { return j_mallocx(&jplain, size, flags); }
EXPORT void *rallocx(void *p, size_t size, int flags) { return j_rallocx(&jplain, p, size, flags); }
EXPORT size_t xallocx(void *p, size_t size, size_t extra, int flags) {
    return j_xallocx(&jplain, p, size, extra, flags);
}
EXPORT size_t sallocx(const void *p, int flags) { return j_sallocx(&jplain, p, flags); }
EXPORT void dallocx(void *p, int flags) { j_dallocx(&jplain, p, flags); }
EXPORT void sdallocx(void *p, size_t size, int flags) { j_sdallocx(&jplain, p, size, flags); }

EXPORT void *_rjem_mallocx(size_t size, int flags) { return j_mallocx(&jrjem, size, flags); }
EXPORT void *_rjem_rallocx(void *p, size_t size, int flags) { return j_rallocx(&jrjem, p, size, flags); }
EXPORT size_t _rjem_xallocx(void *p, size_t size, size_t extra, int flags) {
    return j_xallocx(&jrjem, p, size, extra, flags);
}
EXPORT size_t _rjem_sallocx(const void *p, int flags) { return j_sallocx(&jrjem, p, flags); }
EXPORT void _rjem_dallocx(void *p, int flags) { j_dallocx(&jrjem, p, flags); }
EXPORT void _rjem_sdallocx(void *p, size_t size, int flags) { j_sdallocx(&jrjem, p, size, flags); }
EXPORT void *_rjem_malloc(size_t size) { return j_mallocx(&jrjem, size, 0); }
EXPORT void *_rjem_calloc(size_t n, size_t size) {
    size_t total;
    if (__builtin_mul_overflow(n, size, &total)) { errno = ENOMEM; return NULL; }
    return j_mallocx(&jrjem, total, MALLOCX_ZERO_FLAG);
}
EXPORT void *_rjem_realloc(void *p, size_t size) {
    if (!p) return j_mallocx(&jrjem, size, 0);
    return j_resize(&jrjem, p, size, 0, 1);
}
EXPORT void _rjem_free(void *p) {
    if (!p || in_arena(p)) return;
    jresolve(&jrjem);
    int outer = !in_hook;
    note_free(p);
    in_hook = 1;
    jrjem.free(p);
    if (outer) in_hook = 0;
}

/* ------------------------------------------------------------------------ */
/* Hooks: mmap/munmap (PLUMB_TRACK_MMAP=1; anonymous mappings only)           */
/* ------------------------------------------------------------------------ */

EXPORT void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off) {
    mmap_fn fn = __atomic_load_n(&real_mmap, __ATOMIC_ACQUIRE);
    void *p = fn ? fn(addr, len, prot, flags, fd, off)
                 : (void *)syscall(SYS_mmap, addr, len, prot, flags, fd, off);
    if (track_mmap && p != MAP_FAILED && (flags & MAP_ANONYMOUS) && !in_hook && is_enabled()) {
        in_hook = 1;
        if (mode == MODE_SAMPLED) {
            if (want_alloc(len)) record_alloc(p, len);
        } else if (ss_insert(&mmap_set, p)) {
            record_alloc(p, len);
        } else {
            count(C_DROPPED, 1);
        }
        leave_hook();
    }
    return p;
}

/* Only a mapping recorded by mmap() above gets a FREE, when it is unmapped from its start
 * address (a partial unmap from the start ends it; unmapping its tail alone is not seen). */
EXPORT int munmap(void *addr, size_t len) {
    if (track_mmap && !in_hook && is_enabled()) {
        in_hook = 1;
        if (mode == MODE_SAMPLED || ss_remove(&mmap_set, addr)) record_free(addr);
        in_hook = 0;
    }
    munmap_fn fn = __atomic_load_n(&real_munmap, __ATOMIC_ACQUIRE);
    return fn ? fn(addr, len) : (int)syscall(SYS_munmap, addr, len);
}

/* ------------------------------------------------------------------------ */
/* Counters, END, exec and exit                                              */
/* ------------------------------------------------------------------------ */

/* Caller holds lock. */
static void emit_counters_locked(void) {
    unsigned char *p = reserve_sync_locked(1 + 8 + 2 + 8 * C_COUNT);
    if (!p) return;
    p = put_u8(p, 'K');
    p = put_u64(p, stream_time_locked(now_micros()));
    p = put_u16(p, C_COUNT);
    for (int i = 0; i < C_COUNT; i++) p = put_u64(p, __atomic_load_n(&counters[i], __ATOMIC_RELAXED));
}

/* Sends COUNTERS and END and closes the socket (the agent sees EOF right after END). */
static void finish_session(void) {
    if (getpid() != session_pid) return; /* a vfork child must not end its parent's stream */
    int saved = in_hook;
    in_hook = 1;
    pthread_mutex_lock(&lock);
    if (socket_fd() >= 0) {
        report_toggle_locked();
        emit_counters_locked();
        unsigned char *p = reserve_sync_locked(1 + 8);
        if (p) {
            p = put_u8(p, 'E');
            put_u64(p, stream_time_locked(now_micros()));
        }
        flush_sync_locked();
        pthread_mutex_lock(&send_lock);
        disconnect_send_locked();
        pthread_mutex_unlock(&send_lock);
    }
    pthread_mutex_unlock(&lock);
    in_hook = saved;
}

/* Before exec: everything recorded so far reaches the agent. The socket is close-on-exec, so
 * a successful exec ends the stream at a record boundary (EOF without END); a failed exec
 * just continues recording. */
static void flush_before_exec(void) {
    if (getpid() != session_pid || !__atomic_load_n(&connected, __ATOMIC_RELAXED)) return;
    int saved = in_hook;
    in_hook = 1;
    pthread_mutex_lock(&lock);
    if (socket_fd() >= 0) {
        report_toggle_locked();
        emit_counters_locked();
        flush_sync_locked();
    }
    pthread_mutex_unlock(&lock);
    in_hook = saved;
}

/* This library's path, for finding its entry in LD_PRELOAD (set by the constructor). */
static char self_path[4096];

/* Writes the LD_PRELOAD value `pre` without this library's entry into out (cap bytes);
 * returns its length, or -1 when it does not fit (then the caller leaves it alone). */
static long preload_without_self(const char *pre, char *out, size_t cap) {
    size_t self_len = strlen(self_path);
    const char *sbase = strrchr(self_path, '/');
    sbase = sbase ? sbase + 1 : self_path;
    size_t o = 0;
    const char *s = pre;
    while (*s) {
        while (*s == ':' || *s == ' ') s++;
        const char *e = s;
        while (*e && *e != ':' && *e != ' ') e++;
        size_t n = (size_t)(e - s);
        int is_self = n == self_len && memcmp(s, self_path, n) == 0;
        if (!is_self && n > 0) {
            /* also match by file name, for a relative or symlinked entry */
            const char *base = memrchr(s, '/', n);
            base = base ? base + 1 : s;
            is_self = (size_t)(e - base) == strlen(sbase) && memcmp(base, sbase, strlen(sbase)) == 0;
        }
        if (!is_self && n > 0) {
            if (o + n + 2 > cap) return -1;
            if (o) out[o++] = ':';
            memcpy(out + o, s, n);
            o += n;
        }
        s = e;
    }
    out[o] = 0;
    return (long)o;
}

/* Unless PLUMB_FOLLOW_EXEC=1, exec'd children must not load the library again: drop our entry
 * from LD_PRELOAD and PLUMB_SOCKET from the environment (we are in_hook: setenv may allocate).
 * Programs that keep their own copy of the environment (shells) pass it to execve explicitly:
 * the exec hooks filter that too (exec_env). */
static int detach_children;

static void detach_exec_children(void) {
    Dl_info info;
    if (dladdr((void *)&detach_exec_children, &info) && info.dli_fname &&
        strlen(info.dli_fname) < sizeof self_path)
        memcpy(self_path, info.dli_fname, strlen(info.dli_fname) + 1);
    detach_children = self_path[0] != 0;
    unsetenv("PLUMB_SOCKET");
    const char *pre = getenv("LD_PRELOAD");
    if (!pre || !detach_children) return;
    static char out[8192];
    long n = preload_without_self(pre, out, sizeof out);
    if (n < 0) return; /* too long: leave it alone */
    if (n == 0) unsetenv("LD_PRELOAD");
    else setenv("LD_PRELOAD", out, 1);
}

static int starts_with(const char *s, const char *prefix) { return strncmp(s, prefix, strlen(prefix)) == 0; }

/*
 * An explicit exec environment without PLUMB_SOCKET and our LD_PRELOAD entry, or envp itself
 * when there is nothing to take out (or no memory for the copy). The copy is mmap'd, not
 * malloc'd: this runs in vfork children too, which share their parent's heap. The caller
 * passes it to the real exec and unmaps it with exec_env_done if that returns (it failed).
 */
struct exec_env { char **env; size_t bytes; };

static char *const *exec_env(char *const envp[], struct exec_env *copy) {
    copy->env = NULL;
    if (!detach_children || !envp) return envp;
    size_t n = 0, hits = 0, preload_len = 0;
    for (; envp[n]; n++) {
        if (starts_with(envp[n], "PLUMB_SOCKET=")) hits++;
        if (starts_with(envp[n], "LD_PRELOAD=")) { hits++; preload_len += strlen(envp[n]); }
    }
    if (hits == 0) return envp;
    size_t pointers = (n + 1) * sizeof(char *);
    copy->bytes = pointers + preload_len + 1;
    void *mem = mmap(NULL, copy->bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) return envp; /* the child is then profiled: better than no exec */
    copy->env = mem;
    char *strings = (char *)mem + pointers;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (starts_with(envp[i], "PLUMB_SOCKET=")) continue;
        if (starts_with(envp[i], "LD_PRELOAD=")) {
            size_t cap = strlen(envp[i]) + 1; /* never longer than it was */
            memcpy(strings, "LD_PRELOAD=", 11);
            long len = preload_without_self(envp[i] + 11, strings + 11, cap - 11);
            if (len < 0) copy->env[k++] = envp[i];
            else if (len > 0) { copy->env[k++] = strings; strings += 11 + (size_t)len + 1; }
            continue;
        }
        copy->env[k++] = envp[i];
    }
    copy->env[k] = NULL;
    return copy->env;
}

static void exec_env_done(struct exec_env *copy) {
    if (copy->env) munmap(copy->env, copy->bytes);
}

#define RESOLVE(type, name) ((type)dlsym(RTLD_NEXT, name))

EXPORT int execve(const char *path, char *const argv[], char *const envp[]) {
    execve_fn real = RESOLVE(execve_fn, "execve");
    flush_before_exec();
    struct exec_env copy;
    int rc = real(path, argv, exec_env(envp, &copy));
    exec_env_done(&copy);
    return rc;
}
EXPORT int execv(const char *path, char *const argv[]) {
    execvp_fn real = RESOLVE(execvp_fn, "execv");
    flush_before_exec();
    return real(path, argv);
}
EXPORT int execvp(const char *file, char *const argv[]) {
    execvp_fn real = RESOLVE(execvp_fn, "execvp");
    flush_before_exec();
    return real(file, argv);
}
EXPORT int execvpe(const char *file, char *const argv[], char *const envp[]) {
    execvpe_fn real = RESOLVE(execvpe_fn, "execvpe");
    flush_before_exec();
    struct exec_env copy;
    int rc = real(file, argv, exec_env(envp, &copy));
    exec_env_done(&copy);
    return rc;
}
EXPORT int fexecve(int fd, char *const argv[], char *const envp[]) {
    fexecve_fn real = RESOLVE(fexecve_fn, "fexecve");
    flush_before_exec();
    struct exec_env copy;
    int rc = real(fd, argv, exec_env(envp, &copy));
    exec_env_done(&copy);
    return rc;
}

#define MAX_EXECL_ARGS 4096
/* execl*: collect the variadic arguments into an argv on the stack (bounded). */
#define COLLECT_ARGS(arg0, ap, argv, n, ok)                  \
    do {                                                      \
        char *a0_ = (char *)(arg0);                           \
        __asm__("" : "+r"(a0_)); /* glibc marks it nonnull */ \
        (argv)[0] = a0_;                                      \
        (n) = 1;                                              \
        (ok) = 1;                                             \
        if (a0_) {                                            \
            for (;;) {                                        \
                char *a_ = va_arg(ap, char *);                \
                if ((n) >= MAX_EXECL_ARGS - 1) { (ok) = 0; break; } \
                (argv)[(n)++] = a_;                           \
                if (!a_) break;                               \
            }                                                 \
        }                                                     \
        (argv)[(n)] = NULL;                                   \
    } while (0)

EXPORT int execl(const char *path, const char *arg, ...) {
    char *argv[MAX_EXECL_ARGS + 1];
    int n, ok;
    va_list ap;
    va_start(ap, arg);
    COLLECT_ARGS(arg, ap, argv, n, ok);
    va_end(ap);
    if (!ok) { errno = E2BIG; return -1; }
    return execv(path, argv);
}
EXPORT int execlp(const char *file, const char *arg, ...) {
    char *argv[MAX_EXECL_ARGS + 1];
    int n, ok;
    va_list ap;
    va_start(ap, arg);
    COLLECT_ARGS(arg, ap, argv, n, ok);
    va_end(ap);
    if (!ok) { errno = E2BIG; return -1; }
    return execvp(file, argv);
}
EXPORT int execle(const char *path, const char *arg, ...) {
    char *argv[MAX_EXECL_ARGS + 1];
    int n, ok;
    va_list ap;
    va_start(ap, arg);
    COLLECT_ARGS(arg, ap, argv, n, ok);
    char *const *envp = va_arg(ap, char *const *);
    va_end(ap);
    if (!ok) { errno = E2BIG; return -1; }
    return execve(path, argv, envp);
}

/* Unloaded code's addresses may hold other code later: the stack shapes learned so far are
 * retired (and new modules are announced with the next new stack, as after any dlclose). */
typedef int (*dlclose_fn)(void *);
EXPORT int dlclose(void *handle) {
    dlclose_fn real = RESOLVE(dlclose_fn, "dlclose");
    int rc = real ? real(handle) : -1;
    uc_forget();
    unw_flush_cache(unw_local_addr_space, 0, 0); /* libunwind's own caches are keyed by address too */
    return rc;
}

/* _exit skips destructors: end the stream here so a program that leaves with _exit still
 * delivers its last buffer. */
EXPORT void _exit(int status) {
    exit_fn real = RESOLVE(exit_fn, "_exit");
    finish_session();
    if (real) real(status);
    syscall(SYS_exit_group, status);
    __builtin_unreachable();
}
EXPORT void _Exit(int status) { _exit(status); }

/* ------------------------------------------------------------------------ */
/* Fork                                                                      */
/* ------------------------------------------------------------------------ */

static void atfork_prepare(void) {
    pthread_mutex_lock(&lock);
    pthread_mutex_lock(&send_lock);
}
static void atfork_parent(void) {
    pthread_mutex_unlock(&send_lock);
    pthread_mutex_unlock(&lock);
}
static void atfork_child(void) {
    /* The child is detached: it shares the parent's socket, so it must never write to it.
     * Close its copy and pass through from now on. */
    disconnect_send_locked(); /* both locks are held (atfork_prepare) */
    open_len = 0;
    thread_id = 0;
    __atomic_store_n(&mod_busy, 0, __ATOMIC_RELAXED);
    pthread_mutex_unlock(&send_lock);
    pthread_mutex_unlock(&lock);
}

/* ------------------------------------------------------------------------ */
/* Lifecycle                                                                 */
/* ------------------------------------------------------------------------ */

static int connect_agent(const char *path) {
    struct sockaddr_un addr;
    size_t len = strlen(path);
    if (len == 0 || len >= sizeof addr.sun_path) return -1;
    memset(&addr, 0, sizeof addr);
    addr.sun_family = AF_UNIX;
    memcpy(addr.sun_path, path, len);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    for (;;) {
        if (connect(fd, (struct sockaddr *)&addr, sizeof addr) == 0) break;
        if (errno == EINTR) continue;
        close(fd);
        return -1;
    }
    return fd;
}

static long env_long(const char *name, long def, long lo, long hi) {
    const char *v = getenv(name);
    if (!v || !*v) return def;
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (errno || *end || x < lo || x > hi) return def;
    return x;
}

static int env_flag(const char *name) { return env_long(name, 0, 0, 1) == 1; }

static void read_config(void) {
    const char *m = getenv("PLUMB_MODE");
    mode = (m && strcmp(m, "sampled") == 0) ? MODE_SAMPLED : MODE_FULL;
    sample_bytes = (uint64_t)env_long("PLUMB_SAMPLE_BYTES", 524288, 1, 1L << 40);
    max_depth = (int)env_long("PLUMB_MAX_DEPTH", DEFAULT_MAX_DEPTH, 1, LIMIT_MAX_DEPTH);
    use_frame_pointers = env_flag("PLUMB_FRAME_POINTERS");
    fast_unwind = env_long("PLUMB_FAST_UNWIND", 1, 0, 1) == 1;
    unwind_check = env_flag("PLUMB_UNWIND_CHECK");
    track_mmap = env_flag("PLUMB_TRACK_MMAP");
    follow_exec = env_flag("PLUMB_FOLLOW_EXEC");
    start_disabled = env_flag("PLUMB_START_DISABLED");
    toggle_signal = (int)env_long("PLUMB_TOGGLE_SIGNAL", SIGUSR1, 0, 64);
}

static void install_toggle_handler(void) {
    if (toggle_signal <= 0) return;
    struct sigaction old;
    if (sigaction(toggle_signal, NULL, &old) != 0) return;
    /* never replace a handler the program already has (or an inherited "ignore") */
    if ((old.sa_flags & SA_SIGINFO) || old.sa_handler != SIG_DFL) return;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = toggle_handler;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(toggle_signal, &sa, NULL);
}

static void *map_anon(size_t bytes) {
    void *p = real_mmap ? real_mmap(NULL, bytes, PROT_READ | PROT_WRITE,
                                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0)
                        : MAP_FAILED;
    return p == MAP_FAILED ? NULL : p;
}

static void init_set(struct addr_set *set) {
    set->nonempty = map_anon(SS_BUCKETS / 8);
    set->first = map_anon(SS_FIRST * sizeof(struct ss_bucket));
    set->second = map_anon(SS_BUCKETS * sizeof(struct ss_bucket));
    if (!set->nonempty || !set->first || !set->second) set->first = NULL; /* no set: nothing sampled */
}

__attribute__((constructor)) static void plumb_init(void) {
    init_real();
    const char *path = getenv("PLUMB_SOCKET");
    if (!path || !*path) return; /* passive */

    in_hook = 1; /* everything below uses the real allocator, unrecorded */
    read_config();
    char sock_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
    size_t plen = strlen(path);
    if (plen >= sizeof sock_path) { in_hook = 0; return; }
    memcpy(sock_path, path, plen + 1);
    if (!follow_exec) detach_exec_children();

    dl_iterate_phdr(self_cb, (void *)(uintptr_t)&plumb_init);
    unw_set_caching_policy(unw_local_addr_space, UNW_CACHE_PER_THREAD);
    {   /* warm the unwinder: its first use may allocate and read unwind tables */
        void *frames[16];
        unw_backtrace(frames, 16);
    }
    ssize_t n = readlink("/proc/self/exe", exe_path, sizeof exe_path - 1);
    exe_len = n > 0 ? (size_t)n : 0;
    exe_path[exe_len] = 0;

    if (fast_unwind && !use_frame_pointers && !uc_init(map_anon)) fast_unwind = 0;
    slots = map_anon(NSLOTS * sizeof(struct slot));
    pool = map_anon(POOL_WORDS * sizeof(uint64_t));
    if (!slots || !pool) slots = NULL; /* no dedup: every allocation sends its stack */
    mod_scratch = map_anon(SCRATCH_SIZE);
    if (mode == MODE_SAMPLED) init_set(&sampled_set);
    else if (track_mmap) init_set(&mmap_set);
    init_chunks();

    int fd = connect_agent(sock_path);
    if (fd < 0) { in_hook = 0; return; }
    session_pid = getpid();
    if (start_disabled) __atomic_store_n(&recording, 0, __ATOMIC_RELAXED);

    pthread_mutex_lock(&lock);
    __atomic_store_n(&sock_fd, fd, __ATOMIC_RELAXED);
    uint64_t started = stream_time_locked(now_micros());
    unsigned char *p = reserve_sync_locked(1 + 4 + 8 + 2 + exe_len);
    if (p) {
        p = put_u8(p, 'H');
        p = put_u32(p, (uint32_t)getpid());
        p = put_u64(p, started);
        p = put_u16(p, (uint16_t)exe_len);
        put_bytes(p, exe_path, exe_len);
    }
    p = reserve_sync_locked(1 + 1 + 8 + 2 + 4);
    if (p) {
        uint32_t flags = (use_frame_pointers ? 1u : 0u) | (track_mmap ? 2u : 0u) |
                         (follow_exec ? 4u : 0u) | (start_disabled ? 8u : 0u);
        p = put_u8(p, 'O');
        p = put_u8(p, (uint8_t)mode);
        p = put_u64(p, mode == MODE_SAMPLED ? sample_bytes : 0);
        p = put_u16(p, (uint16_t)max_depth);
        put_u32(p, flags);
    }
    if (start_disabled) {
        p = reserve_sync_locked(TOGGLE_LEN);
        if (p) {
            p = put_u8(p, 'T');
            p = put_u64(p, started);
            put_u8(p, 0);
        }
    }
    pthread_mutex_unlock(&lock);
    refresh_modules(1);
    pthread_mutex_lock(&lock);
    if (socket_fd() >= 0) flush_sync_locked();
    if (socket_fd() >= 0) __atomic_store_n(&connected, 1, __ATOMIC_RELEASE);
    pthread_mutex_unlock(&lock);
    if (mode == MODE_SAMPLED && sampled_set.first && __atomic_load_n(&connected, __ATOMIC_RELAXED))
        __atomic_store_n(&sampled_bits, sampled_set.nonempty, __ATOMIC_RELEASE);

    pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
    install_toggle_handler();
    in_hook = 0;
}

__attribute__((destructor)) static void plumb_fini(void) { finish_session(); }

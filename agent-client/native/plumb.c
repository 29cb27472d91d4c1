/*
 * libplumb.so - Plumb's allocation capture library.
 *
 * Preloaded into a target process (LD_PRELOAD). Interposes the C allocator,
 * records every allocation/free with its call stack and streams binary records
 * to the Plumb agent over a Unix-domain stream socket named by $PLUMB_SOCKET.
 * See README.md next to this file for the record format and the fork/exec rules.
 *
 * Rules this file lives by (it runs inside someone else's process):
 *  - never allocate through the hooked allocator from inside a hook: all buffers
 *    are static or mmap'd;
 *  - a per-thread reentrancy flag (initial-exec TLS, which never allocates) sends
 *    everything the hook itself triggers (unwinder, loader) to the real allocator;
 *  - any failure talking to the agent turns recording off for good; the target
 *    keeps running with plain pass-through.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <execinfo.h>
#include <fcntl.h>
#include <link.h>
#include <pthread.h>
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

#define EXPORT __attribute__((visibility("default")))
#define LIKELY(x) __builtin_expect(!!(x), 1)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)

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

static malloc_fn real_malloc;
static calloc_fn real_calloc;
static realloc_fn real_realloc;
static free_fn real_free;
static posix_memalign_fn real_posix_memalign;
static aligned_alloc_fn real_aligned_alloc;
static aligned_alloc_fn real_memalign;
static valloc_fn real_valloc;
static valloc_fn real_pvalloc;

static int resolving; /* set while dlsym bootstrap runs */

/* Bootstrap arena: serves allocations made while dlsym resolves the real
 * functions. Bump-only, never returned to the real allocator. Each block is
 * preceded by its size (for realloc of an arena pointer). */
#define ARENA_SIZE (64 * 1024)
static unsigned char arena[ARENA_SIZE] __attribute__((aligned(64)));
static size_t arena_used;

static int in_arena(const void *p) {
    return (const unsigned char *)p >= arena && (const unsigned char *)p < arena + ARENA_SIZE;
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

/* Returns nonzero when the real functions are available. */
static int init_real(void) {
    if (LIKELY(__atomic_load_n(&real_free, __ATOMIC_ACQUIRE) != NULL)) return 1;
    if (__atomic_exchange_n(&resolving, 1, __ATOMIC_ACQ_REL)) return 0; /* in progress */
    real_malloc = (malloc_fn)dlsym(RTLD_NEXT, "malloc");
    real_calloc = (calloc_fn)dlsym(RTLD_NEXT, "calloc");
    real_realloc = (realloc_fn)dlsym(RTLD_NEXT, "realloc");
    real_posix_memalign = (posix_memalign_fn)dlsym(RTLD_NEXT, "posix_memalign");
    real_aligned_alloc = (aligned_alloc_fn)dlsym(RTLD_NEXT, "aligned_alloc");
    real_memalign = (aligned_alloc_fn)dlsym(RTLD_NEXT, "memalign");
    real_valloc = (valloc_fn)dlsym(RTLD_NEXT, "valloc");
    real_pvalloc = (valloc_fn)dlsym(RTLD_NEXT, "pvalloc");
    free_fn f = (free_fn)dlsym(RTLD_NEXT, "free");
    __atomic_store_n(&real_free, f, __ATOMIC_RELEASE);
    if (!real_malloc || !real_calloc || !real_realloc || !f) {
        static const char msg[] = "plumb: cannot resolve the real allocator\n";
        ssize_t ignored = write(2, msg, sizeof msg - 1);
        (void)ignored;
        abort();
    }
    __atomic_store_n(&resolving, 0, __ATOMIC_RELEASE);
    return 1;
}

/* ------------------------------------------------------------------------ */
/* State                                                                     */
/* ------------------------------------------------------------------------ */

static __thread int in_hook __attribute__((tls_model("initial-exec")));
/* Kernel thread id, cached: gettid is a syscall and allocation is hot. 0 = not looked up yet. */
static __thread uint32_t thread_id __attribute__((tls_model("initial-exec")));

static uint32_t current_tid(void) {
    if (thread_id == 0) thread_id = (uint32_t)syscall(SYS_gettid);
    return thread_id;
}

static int enabled;  /* recording on; read racily outside the lock, rechecked inside */
static int sock_fd = -1;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

#define BUF_SIZE (64 * 1024)
static unsigned char buf[BUF_SIZE];
static size_t buf_len;

static uintptr_t self_start, self_end; /* libplumb's own text, skipped in stacks */
static unsigned long long last_adds;  /* dl_iterate_phdr's dlpi_adds at last module dump */
static char exe_path[4096];
static size_t exe_len;

#define MAX_FRAMES 128

static int is_enabled(void) { return __atomic_load_n(&enabled, __ATOMIC_RELAXED); }

static uint64_t now_micros(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* ------------------------------------------------------------------------ */
/* Output buffer (caller holds lock)                                         */
/* ------------------------------------------------------------------------ */

static void disable_locked(void) {
    __atomic_store_n(&enabled, 0, __ATOMIC_RELAXED);
    if (sock_fd >= 0) close(sock_fd);
    sock_fd = -1;
    buf_len = 0;
}

static int flush_locked(void) {
    int oldstate;
    size_t off = 0;
    if (sock_fd < 0) { buf_len = 0; return -1; }
    /* send() is a cancellation point; never leave the lock held by a cancelled thread */
    pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &oldstate);
    while (off < buf_len) {
        ssize_t n = send(sock_fd, buf + off, buf_len - off, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) continue;
            break;
        }
        off += (size_t)n;
    }
    pthread_setcancelstate(oldstate, NULL);
    if (off < buf_len) {
        disable_locked(); /* agent gone: stop recording for good */
        return -1;
    }
    buf_len = 0;
    return 0;
}

/* Makes room for n bytes; returns 0 if recording is (still) on. */
static int reserve(size_t n) {
    if (sock_fd < 0) return -1;
    if (buf_len + n > BUF_SIZE) return flush_locked();
    return 0;
}

static void put_u8(uint8_t v) { buf[buf_len++] = v; }
static void put_u16(uint16_t v) { memcpy(buf + buf_len, &v, 2); buf_len += 2; } /* x86-64/aarch64: LE */
static void put_u32(uint32_t v) { memcpy(buf + buf_len, &v, 4); buf_len += 4; }
static void put_u64(uint64_t v) { memcpy(buf + buf_len, &v, 8); buf_len += 8; }
static void put_bytes(const void *p, size_t n) { memcpy(buf + buf_len, p, n); buf_len += n; }

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the record format is little-endian; add byte swapping for this target"
#endif

/* ------------------------------------------------------------------------ */
/* Modules                                                                   */
/* ------------------------------------------------------------------------ */

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

static int emit_module_cb(struct dl_phdr_info *info, size_t size, void *data) {
    (void)data;
    if (size >= offsetof(struct dl_phdr_info, dlpi_adds) + sizeof(info->dlpi_adds))
        last_adds = info->dlpi_adds;
    uintptr_t lo, hi;
    load_range(info, &lo, &hi);
    if (hi == 0) return 0; /* no PT_LOAD */
    const char *path = info->dlpi_name;
    size_t path_len = path ? strlen(path) : 0;
    if (path_len == 0) { path = exe_path; path_len = exe_len; }
    if (path_len > 4096) path_len = 4096;
    const unsigned char *bid = NULL;
    size_t bid_len = find_build_id(info, &bid);
    if (reserve(1 + 8 + 8 + 8 + 2 + path_len + 1 + bid_len) != 0) return 1;
    put_u8('M');
    put_u64(info->dlpi_addr);
    put_u64(lo);
    put_u64(hi);
    put_u16((uint16_t)path_len);
    put_bytes(path, path_len);
    put_u8((uint8_t)bid_len);
    put_bytes(bid, bid_len);
    return 0;
}

static void emit_modules_locked(void) { dl_iterate_phdr(emit_module_cb, NULL); }

static int adds_cb(struct dl_phdr_info *info, size_t size, void *data) {
    if (size >= offsetof(struct dl_phdr_info, dlpi_adds) + sizeof(info->dlpi_adds))
        *(unsigned long long *)data = info->dlpi_adds;
    return 1; /* the counter is the same for every entry: stop after the first */
}

static void refresh_modules_locked(void) {
    unsigned long long adds = last_adds;
    dl_iterate_phdr(adds_cb, &adds);
    if (adds != last_adds) emit_modules_locked();
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
/* Stacks: dedup table in mmap'd storage (caller holds lock)                 */
/* ------------------------------------------------------------------------ */

struct slot {
    uint64_t hash;
    uint32_t id;    /* 0 = empty */
    uint32_t off;   /* into pool */
    uint32_t depth;
};

#define SLOT_BITS 16
#define NSLOTS (1u << SLOT_BITS)
#define MAX_USED (NSLOTS / 4 * 3)
#define POOL_WORDS (1u << 21) /* 16 MiB virtual, touched only as used */

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

static uint32_t intern_stack_locked(void *const *frames, int depth) {
    uint64_t h = hash_stack(frames, depth);
    struct slot *free_slot = NULL;
    if (slots) {
        for (uint32_t i = (uint32_t)h & (NSLOTS - 1);; i = (i + 1) & (NSLOTS - 1)) {
            struct slot *s = &slots[i];
            if (s->id == 0) { free_slot = s; break; }
            if (s->hash == h && s->depth == (uint32_t)depth) {
                uint64_t *a = pool + s->off;
                int same = 1;
                for (int k = 0; k < depth; k++)
                    if (a[k] != (uint64_t)(uintptr_t)frames[k]) { same = 0; break; }
                if (same) return s->id;
            }
        }
    }
    /* new stack: make sure the agent knows every loaded object first */
    refresh_modules_locked();
    uint32_t id = next_stack_id++;
    if (free_slot && slots_used < MAX_USED && pool_used + (uint32_t)depth <= POOL_WORDS) {
        free_slot->hash = h;
        free_slot->id = id;
        free_slot->off = pool_used;
        free_slot->depth = (uint32_t)depth;
        for (int k = 0; k < depth; k++) pool[pool_used + k] = (uint64_t)(uintptr_t)frames[k];
        pool_used += (uint32_t)depth;
        slots_used++;
    } /* else: table full; this stack gets a fresh id every time, still lossless */
    if (reserve(1 + 4 + 2 + 8 * (size_t)depth) == 0) {
        put_u8('S');
        put_u32(id);
        put_u16((uint16_t)depth);
        for (int k = 0; k < depth; k++) put_u64((uint64_t)(uintptr_t)frames[k]);
    }
    return id;
}

/* ------------------------------------------------------------------------ */
/* Recording (caller has set in_hook)                                        */
/* ------------------------------------------------------------------------ */

struct stack { void *frames[MAX_FRAMES + 16]; int skip, depth; };

static void capture(struct stack *st) {
    int n = backtrace(st->frames, MAX_FRAMES + 16);
    int skip = 0;
    while (skip < n && (uintptr_t)st->frames[skip] >= self_start &&
           (uintptr_t)st->frames[skip] < self_end)
        skip++;
    st->skip = skip;
    st->depth = n - skip > MAX_FRAMES ? MAX_FRAMES : n - skip;
}

static void emit_alloc_locked(const struct stack *st, void *p, size_t size) {
    uint32_t id = intern_stack_locked(st->frames + st->skip, st->depth);
    if (reserve(1 + 8 + 8 + 8 + 4 + 4) != 0) return;
    put_u8('A');
    put_u64(now_micros());
    put_u64((uint64_t)(uintptr_t)p);
    put_u64((uint64_t)size);
    put_u32(id);
    put_u32(current_tid());
}

static void emit_free_locked(void *p) {
    if (reserve(1 + 8 + 8) != 0) return;
    put_u8('F');
    put_u64(now_micros());
    put_u64((uint64_t)(uintptr_t)p);
}

static void record_alloc(void *p, size_t size) {
    struct stack st;
    capture(&st);
    pthread_mutex_lock(&lock);
    if (is_enabled()) emit_alloc_locked(&st, p, size);
    pthread_mutex_unlock(&lock);
}

/* ------------------------------------------------------------------------ */
/* Hooks                                                                     */
/* ------------------------------------------------------------------------ */

EXPORT void *malloc(size_t size) {
    if (UNLIKELY(!init_real())) return arena_alloc(size, 16);
    if (in_hook || !is_enabled()) return real_malloc(size);
    in_hook = 1;
    void *p = real_malloc(size);
    if (p) record_alloc(p, size);
    in_hook = 0;
    return p;
}

EXPORT void *calloc(size_t n, size_t size) {
    if (UNLIKELY(!init_real())) {
        size_t total;
        if (__builtin_mul_overflow(n, size, &total)) return NULL;
        return arena_alloc(total, 16);
    }
    if (in_hook || !is_enabled()) return real_calloc(n, size);
    in_hook = 1;
    void *p = real_calloc(n, size);
    if (p) record_alloc(p, n * size);
    in_hook = 0;
    return p;
}

EXPORT void free(void *p) {
    if (!p || in_arena(p)) return;
    if (UNLIKELY(!init_real())) return; /* cannot happen for non-arena pointers */
    if (in_hook || !is_enabled()) { real_free(p); return; }
    in_hook = 1;
    /* record before releasing: once freed, another thread may get the same address */
    pthread_mutex_lock(&lock);
    if (is_enabled()) emit_free_locked(p);
    pthread_mutex_unlock(&lock);
    real_free(p);
    in_hook = 0;
}

EXPORT void *realloc(void *old, size_t size) {
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
    if (!old) return malloc(size);
    if (in_hook || !is_enabled()) return real_realloc(old, size);
    in_hook = 1;
    struct stack st;
    capture(&st);
    /* The real call runs under the lock so FREE(old)/ALLOC(new) cannot be reordered
     * against another thread that gets `old` back from the allocator. */
    pthread_mutex_lock(&lock);
    void *p = real_realloc(old, size);
    if (is_enabled()) {
        if (p) {
            emit_free_locked(old);
            emit_alloc_locked(&st, p, size);
        } else if (size == 0) {
            emit_free_locked(old); /* glibc: realloc(p, 0) frees p and returns NULL */
        }
    }
    pthread_mutex_unlock(&lock);
    in_hook = 0;
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
    if (rc == 0) record_alloc(*out, size);
    in_hook = 0;
    return rc;
}

static void *aligned_common(aligned_alloc_fn fn, size_t align, size_t size) {
    if (in_hook || !is_enabled()) return fn(align, size);
    in_hook = 1;
    void *p = fn(align, size);
    if (p) record_alloc(p, size);
    in_hook = 0;
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
    if (p) record_alloc(p, size);
    in_hook = 0;
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

/* ------------------------------------------------------------------------ */
/* Fork                                                                      */
/* ------------------------------------------------------------------------ */

static void atfork_prepare(void) { pthread_mutex_lock(&lock); }
static void atfork_parent(void) { pthread_mutex_unlock(&lock); }
static void atfork_child(void) {
    /* The child is detached: it shares the parent's socket, so it must never write
     * to it. Close its copy and pass through from now on. */
    __atomic_store_n(&enabled, 0, __ATOMIC_RELAXED);
    if (sock_fd >= 0) close(sock_fd);
    sock_fd = -1;
    buf_len = 0;
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
    fcntl(fd, F_SETFD, FD_CLOEXEC); /* already set via SOCK_CLOEXEC; be explicit */
    return fd;
}

__attribute__((constructor)) static void plumb_init(void) {
    init_real();
    const char *path = getenv("PLUMB_SOCKET");
    if (!path || !*path) return; /* passive */

    in_hook = 1; /* everything below uses the real allocator, unrecorded */
    dl_iterate_phdr(self_cb, (void *)(uintptr_t)&plumb_init);
    {   /* pre-warm the unwinder: the first call dlopens libgcc_s and allocates */
        void *frames[8];
        backtrace(frames, 8);
    }
    ssize_t n = readlink("/proc/self/exe", exe_path, sizeof exe_path - 1);
    exe_len = n > 0 ? (size_t)n : 0;
    exe_path[exe_len] = 0;

    slots = mmap(NULL, NSLOTS * sizeof(struct slot), PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    pool = mmap(NULL, POOL_WORDS * sizeof(uint64_t), PROT_READ | PROT_WRITE,
                MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (slots == MAP_FAILED || pool == MAP_FAILED) {
        /* no dedup table: every allocation sends its stack with a fresh id */
        if (slots != MAP_FAILED) munmap(slots, NSLOTS * sizeof(struct slot));
        if (pool != MAP_FAILED) munmap(pool, POOL_WORDS * sizeof(uint64_t));
        slots = NULL;
        pool = NULL;
    }

    int fd = connect_agent(path);
    if (fd < 0) { in_hook = 0; return; }

    pthread_mutex_lock(&lock);
    sock_fd = fd;
    uint64_t started = now_micros();
    if (reserve(1 + 4 + 8 + 2 + exe_len) == 0) {
        put_u8('H');
        put_u32((uint32_t)getpid());
        put_u64(started);
        put_u16((uint16_t)exe_len);
        put_bytes(exe_path, exe_len);
    }
    emit_modules_locked();
    if (sock_fd >= 0 && flush_locked() == 0) __atomic_store_n(&enabled, 1, __ATOMIC_RELAXED);
    pthread_mutex_unlock(&lock);

    pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
    in_hook = 0;
}

__attribute__((destructor)) static void plumb_fini(void) {
    int saved = in_hook;
    in_hook = 1;
    pthread_mutex_lock(&lock);
    if (is_enabled() && reserve(1 + 8) == 0) {
        put_u8('E');
        put_u64(now_micros());
        if (flush_locked() == 0) disable_locked(); /* closes the socket: agent sees EOF */
    }
    __atomic_store_n(&enabled, 0, __ATOMIC_RELAXED);
    pthread_mutex_unlock(&lock);
    in_hook = saved;
}

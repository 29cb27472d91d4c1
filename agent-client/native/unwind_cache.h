/*
 * Cached stack shapes: replaying a stack seen before without asking libunwind again.
 * See unwind_cache.c for how a shape is learned, why a replay that matches is the real stack,
 * and what falls back to libunwind.
 */
#ifndef PLUMB_UNWIND_CACHE_H
#define PLUMB_UNWIND_CACHE_H

#include <stddef.h>
#include <stdint.h>

/* The registers that matter for x86-64 unwinding when every frame's CFA is rsp- or rbp-based. */
struct uc_regs {
    uintptr_t ip; /* a return address (the caller's call site + 1) */
    uintptr_t sp; /* the caller's rsp right after that call returns */
    uintptr_t bp; /* the caller's rbp */
};

/* The calling thread's stack; reads outside [lo, hi) are never made. */
struct uc_stack {
    uintptr_t lo, hi;
};

/* Allocates the tables with `map` (anonymous, zeroed, never the hooked allocator); 0 on failure. */
int uc_init(void *(*map)(size_t));

/*
 * Fills out[0..n) with the return addresses of the stack starting at `start` if a shape learned
 * before replays exactly; returns n, or -1 (not known, or it did not match: ask libunwind).
 * On success *stack_id points at the shape's slot for the caller's id of this stack (0 until
 * the caller stores one there with a release store; the frames never change, so neither does
 * the id).
 */
int uc_replay(const struct uc_regs *start, const struct uc_stack *stack, void **out, int max,
              uint32_t **stack_id);

/*
 * After libunwind found frames[0..n) starting at `start` (frames[0] == start->ip; `truncated`
 * when the stack went on past max): stores the shape if every frame's unwind rule is one this
 * cache knows and replaying it from `start` gives these frames. Takes the loader's lock
 * (dl_iterate_phdr): never call it holding a lock the loader may wait for. Returns 1 if stored.
 */
int uc_learn(const struct uc_regs *start, const struct uc_stack *stack, void *const *frames, int n,
             int truncated);

/* Code was unloaded (dlclose): what was learned before is not used any more. */
void uc_forget(void);

#endif

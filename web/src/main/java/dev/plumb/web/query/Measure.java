package dev.plumb.web.query;

/**
 * What a query adds up over usage rows ({@link UsageSource}): SQL expressions over the columns
 * both sources share — allocs, alloc_bytes (counted when the allocation was made), frees,
 * free_bytes (when the free happened) and released, released_bytes (frees counted back at
 * the time their allocation was made). All of them are sample-weighted.
 */
enum Measure {
    /** Everything allocated in the window. */
    ALLOCATED("u.alloc_bytes", "u.allocs", false),
    /** Allocated in the window and never freed (a leak stays alive, so also its retained bytes over time). */
    LEAKED("u.alloc_bytes - u.released_bytes", "u.allocs - u.released", false),
    /** Allocated in the window and freed at some time (within the session): temporary. */
    FREED_LATER("u.released_bytes", "u.released", false),
    /** Alive: allocated minus freed up to the window's end (the heap). */
    RETAINED("u.alloc_bytes - u.free_bytes", "u.allocs - u.frees", true),
    /** Alive and freed later: retained bytes of the temporary allocations. */
    RETAINED_TEMPORARY("u.released_bytes - u.free_bytes", "u.released - u.frees", true),
    /** Nothing: a selection that is both only leaked and only temporary. */
    NONE("0", "0", false);

    private final String bytes;
    private final String count;
    private final boolean countsFrees;

    Measure(String bytes, String count, boolean countsFrees) {
        this.bytes = bytes;
        this.count = count;
        this.countsFrees = countsFrees;
    }

    /** SQL: the row's weighted bytes. */
    String bytes() {
        return bytes;
    }

    /** SQL: the row's weighted allocation count. */
    String count() {
        return count;
    }

    /** Whether it needs the free events themselves (at the time of the free), not only the allocations. */
    boolean countsFrees() {
        return countsFrees;
    }

    /**
     * SQL condition for "the group holds at least one allocation": every weight is at least 1
     * (1 in full mode, 1/p in sampled mode, a count for imports), so a real group sums to ≥ 1
     * while a group whose allocations all cancel out sums to 0 give or take floating-point
     * rounding.
     */
    String nonEmpty() {
        return "sum(" + count + ") >= 0.5";
    }
}

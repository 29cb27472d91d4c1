package dev.plumb.web.query;

/**
 * Conditions on single allocations that the per-second rollup cannot answer, because it keeps
 * no per-allocation size, lifetime or allocation time of a free: a request carrying any of
 * them reads raw rows ({@link UsageSource}). Times in µs since the epoch; null = no condition.
 *
 * @param fromUs        allocated at or after
 * @param untilUs       allocated at or before
 * @param largerThan    size strictly greater than (bytes)
 * @param smallerThan   size strictly smaller than (bytes)
 * @param aliveAtUs     allocated at or before and not freed by then
 * @param minLifetimeUs lived at least this long (an allocation never freed lives until the session's end)
 * @param maxLifetimeUs lived at most this long
 */
record AllocationConditions(Long fromUs, Long untilUs, Long largerThan, Long smallerThan, Long aliveAtUs,
        Long minLifetimeUs, Long maxLifetimeUs) {

    static AllocationConditions none() {
        return new AllocationConditions(null, null, null, null, null, null, null);
    }

    /** Size at least min (0 = any) and at most max (null = any), as the leak table's filter says it. */
    static AllocationConditions sizeBetween(long min, Long max) {
        Long larger = min > 0 ? min - 1 : null;
        Long smaller = max == null || max == Long.MAX_VALUE ? null : max + 1;
        return new AllocationConditions(null, null, larger, smaller, null, null, null);
    }

    boolean isNone() {
        return equals(none());
    }
}

package dev.plumb.web.query;

import java.util.List;

/**
 * What a query reads: the usage of some sessions' backtraces in a window of event time,
 * narrowed by conditions on single allocations if any. {@link UsageSource} turns it into rows
 * of the rollup, raw rows, or both.
 *
 * @param sessionIds    the sessions
 * @param fromUs        events at or after (µs since the epoch), or null. An allocation's event is
 *                      its allocation (allocs, alloc_bytes, released, released_bytes); a free's
 *                      is the free (frees, free_bytes).
 * @param toUs          events at or before, or null
 * @param grid          NONE for totals; for a graph, how its time column is placed ({@link Buckets})
 * @param grainUs       on the GRAINS grid, the grain its points sit on (µs); else 0
 * @param gridPoints    on the GRAINS grid, the graph's sample points (whole grains, µs); else empty
 * @param perAllocation conditions on single allocations (raw rows only)
 * @param session       the session's time range, for lifetime conditions (null when there are none)
 * @param freeEvents    whether the query's measures count free events ({@link Measure#countsFrees()})
 * @param byStack       whether the query needs u.stack_id (groups by or filters on the backtrace)
 */
record UsageRequest(List<Long> sessionIds, Long fromUs, Long toUs, Grid grid, long grainUs, List<Long> gridPoints,
        AllocationConditions perAllocation, TimeRange session, boolean freeEvents, boolean byStack) {

    /**
     * The time column {@code u.t}: unused (totals), the event's time (points closer than a
     * second), or for points on whole grains the time that places the event at the first point
     * at or after it ({@link Buckets}).
     */
    enum Grid { NONE, MICROS, GRAINS }

    UsageRequest {
        sessionIds = List.copyOf(sessionIds);
        gridPoints = List.copyOf(gridPoints);
        if (sessionIds.isEmpty()) {
            throw new IllegalArgumentException("no sessions");
        }
    }

    /** All of a session's allocations, over its whole time, for totals (per backtrace or not). */
    static UsageRequest whole(long sessionId, Measure... measures) {
        return wholeSessions(List.of(sessionId), measures);
    }

    /** The sessions' allocations over their whole time, for totals. */
    static UsageRequest wholeSessions(List<Long> sessionIds, Measure... measures) {
        return new UsageRequest(sessionIds, null, null, Grid.NONE, 0, List.of(), AllocationConditions.none(), null,
                countsFrees(measures), true);
    }

    /** Per-backtrace totals over events in [fromUs, toUs] (either null = unbounded). */
    static UsageRequest totals(long sessionId, Long fromUs, Long toUs, AllocationConditions perAllocation,
            TimeRange session, Measure... measures) {
        return new UsageRequest(List.of(sessionId), fromUs, toUs, Grid.NONE, 0, List.of(), perAllocation, session,
                countsFrees(measures), true);
    }

    /**
     * A graph's rows over range with the given points: every event up to its last point.
     *
     * @param byStack whether the graph is per backtrace or filters on backtraces
     */
    static UsageRequest graph(long sessionId, TimeRange range, int points, boolean byStack,
            AllocationConditions perAllocation, TimeRange session, Measure... measures) {
        long grain = range.grainUs(points);
        return new UsageRequest(List.of(sessionId), null, range.pointUs(points - 1, points),
                grain == 0 ? Grid.MICROS : Grid.GRAINS, grain, grain == 0 ? List.of() : Buckets.points(range, points),
                perAllocation, session, countsFrees(measures), byStack);
    }

    UsageRequest withWindow(Long newFromUs, Long newToUs) {
        return new UsageRequest(sessionIds, newFromUs, newToUs, grid, grainUs, gridPoints, perAllocation, session,
                freeEvents, byStack);
    }

    private static boolean countsFrees(Measure... measures) {
        for (Measure m : measures) {
            if (m.countsFrees()) {
                return true;
            }
        }
        return false;
    }
}

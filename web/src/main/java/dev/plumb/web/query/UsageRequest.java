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
 * @param gridPoints    on the SECONDS grid, the graph's sample points (whole seconds, µs); else empty
 * @param perAllocation conditions on single allocations (raw rows only)
 * @param session       the session's time range, for lifetime conditions (null when there are none)
 * @param freeEvents    whether the query's measures count free events ({@link Measure#countsFrees()})
 */
record UsageRequest(List<Long> sessionIds, Long fromUs, Long toUs, Grid grid, List<Long> gridPoints,
        AllocationConditions perAllocation, TimeRange session, boolean freeEvents) {

    /**
     * The time column {@code u.t}: unused (totals), the event's time (points closer than a
     * second), or for points on whole seconds the time that places the event at the first whole
     * second at or after it ({@link Buckets}).
     */
    enum Grid { NONE, MICROS, SECONDS }

    UsageRequest {
        sessionIds = List.copyOf(sessionIds);
        gridPoints = List.copyOf(gridPoints);
        if (sessionIds.isEmpty()) {
            throw new IllegalArgumentException("no sessions");
        }
    }

    /** All of a session's allocations, over its whole time, for totals. */
    static UsageRequest whole(long sessionId, Measure... measures) {
        return wholeSessions(List.of(sessionId), measures);
    }

    /** Totals over allocations made in [fromUs, toUs] (either null = unbounded). */
    static UsageRequest totals(long sessionId, Long fromUs, Long toUs, AllocationConditions perAllocation,
            TimeRange session, Measure... measures) {
        return new UsageRequest(List.of(sessionId), fromUs, toUs, Grid.NONE, List.of(), perAllocation, session,
                countsFrees(measures));
    }

    /** A graph's rows over range with the given points: every event up to its last point. */
    static UsageRequest graph(long sessionId, TimeRange range, int points, AllocationConditions perAllocation,
            TimeRange session, Measure... measures) {
        Grid grid = Buckets.grid(range, points);
        return new UsageRequest(List.of(sessionId), null, range.pointUs(points - 1, points), grid,
                grid == Grid.SECONDS ? Buckets.points(range, points) : List.of(), perAllocation, session,
                countsFrees(measures));
    }

    /** The sessions' allocations over their whole time, for totals. */
    static UsageRequest wholeSessions(List<Long> sessionIds, Measure... measures) {
        return new UsageRequest(sessionIds, null, null, Grid.NONE, List.of(), AllocationConditions.none(), null,
                countsFrees(measures));
    }

    UsageRequest withWindow(Long newFromUs, Long newToUs) {
        return new UsageRequest(sessionIds, newFromUs, newToUs, grid, gridPoints, perAllocation, session,
                freeEvents);
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

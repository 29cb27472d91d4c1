package dev.plumb.web.query;

import java.util.List;
import org.springframework.jdbc.core.namedparam.MapSqlParameterSource;

/**
 * An {@link AllocationSelection} (the script console's and the flamegraph's sets) taken apart
 * into what the rollup can answer and what it cannot: only leaked / only temporary / alive at
 * become a {@link Measure} and a window of event time, function conditions become conditions on
 * the backtrace, and size, lifetime and — where frees are counted — allocation-time conditions
 * stay conditions on single allocations, which send the request to raw rows.
 */
record SelectionRequest(Measure measure, UsageRequest usage, List<String> throughFunctions,
        List<String> notThroughFunctions) {

    /**
     * Per-backtrace totals of the selection. Without alive-at, what its allocations weigh
     * (allocated, leaked, or freed later); with alive-at T, what of them is alive at T: the
     * events up to T, allocations minus frees.
     */
    static SelectionRequest totals(long sessionId, AllocationSelection s, TimeRange session) {
        boolean at = s.aliveAtUs() != null;
        Measure measure = kind(s, at ? Measure.RETAINED : Measure.ALLOCATED,
                at ? Measure.RETAINED_TEMPORARY : Measure.FREED_LATER);
        Window w = new Window(s.fromUs(), s.untilUs());
        AllocationConditions perAllocation = sizeAndLifetime(s, null, null, null);
        if (at) {
            if (measure.countsFrees()) {
                // "made in [from, until] and alive at T": frees are counted at their own time,
                // so only single allocations know when theirs was made
                perAllocation = sizeAndLifetime(s, s.fromUs(), s.untilUs(), null);
                w = new Window(null, s.aliveAtUs());
            } else {
                w = w.intersect(null, s.aliveAtUs());
            }
        }
        UsageRequest usage = UsageRequest.totals(sessionId, w.from(), w.to(), perAllocation, session, measure);
        return new SelectionRequest(measure, usage, s.throughFunctions(), s.notThroughFunctions());
    }

    /**
     * The selection's retained bytes over a graph: its allocations counted when made, minus
     * their frees when freed. Alive-at picks single allocations (raw rows); an allocation-time
     * range does too unless only leaked allocations (never freed) are graphed.
     */
    static SelectionRequest series(long sessionId, AllocationSelection s, TimeRange session, TimeRange range,
            int points) {
        Measure measure = kind(s, Measure.RETAINED, Measure.RETAINED_TEMPORARY);
        boolean allocationTimeIsWindow = !measure.countsFrees();
        AllocationConditions perAllocation = allocationTimeIsWindow
                ? sizeAndLifetime(s, null, null, s.aliveAtUs())
                : sizeAndLifetime(s, s.fromUs(), s.untilUs(), s.aliveAtUs());
        boolean byStack = !s.throughFunctions().isEmpty() || !s.notThroughFunctions().isEmpty();
        UsageRequest usage = UsageRequest.graph(sessionId, range, points, byStack, perAllocation, session, measure);
        if (allocationTimeIsWindow) {
            Window w = new Window(s.fromUs(), s.untilUs()).intersect(usage.fromUs(), usage.toUs());
            usage = usage.withWindow(w.from(), w.to());
        }
        return new SelectionRequest(measure, usage, s.throughFunctions(), s.notThroughFunctions());
    }

    /** " AND …" conditions on u.stack_id for the function regexes. */
    String stackConditions(MapSqlParameterSource params) {
        return StackPredicates.where("u.stack_id", throughFunctions, notThroughFunctions, params);
    }

    private static Measure kind(AllocationSelection s, Measure all, Measure temporary) {
        if (s.onlyLeaked() && s.onlyTemporary()) {
            return Measure.NONE;
        }
        return s.onlyLeaked() ? Measure.LEAKED : s.onlyTemporary() ? temporary : all;
    }

    private static AllocationConditions sizeAndLifetime(AllocationSelection s, Long fromUs, Long untilUs,
            Long aliveAtUs) {
        return new AllocationConditions(fromUs, untilUs, s.largerThan(), s.smallerThan(), aliveAtUs,
                s.minLifetimeUs(), s.maxLifetimeUs());
    }

    /** [from, to] in µs, null = unbounded. */
    private record Window(Long from, Long to) {
        Window intersect(Long otherFrom, Long otherTo) {
            return new Window(bound(from, otherFrom, true), bound(to, otherTo, false));
        }

        private static Long bound(Long a, Long b, boolean later) {
            if (a == null || b == null) {
                return a == null ? b : a;
            }
            return later ? Long.valueOf(Math.max(a, b)) : Long.valueOf(Math.min(a, b));
        }
    }
}

package dev.plumb.web.query;

import java.util.ArrayList;
import java.util.List;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.jdbc.core.namedparam.MapSqlParameterSource;
import org.springframework.stereotype.Component;

/**
 * Where the rows a query adds up come from — the one place that decides. Every session query
 * (leak table, flamegraph, memory graph, series, totals) is written once, over a derived table
 * {@code u(session_id, stack_id, t, allocs, alloc_bytes, frees, free_bytes, released,
 * released_bytes)} with the meaning of the rollup stack_usage (db/migrations V4), and this class
 * supplies {@code u} from one of two sources:
 * <ul>
 *   <li><b>rollup</b>: stack_usage, one row per backtrace and second, maintained at ingest —
 *       its size grows with backtraces × seconds, not with events;</li>
 *   <li><b>raw</b>: allocations and frees, one row per event (an allocation, with released =
 *       its weight if it was ever freed; a free, with its allocation's stack, size and weight).</li>
 * </ul>
 * The rule ({@link #path}): the rollup answers unless the request has a condition on single
 * allocations (size, lifetime, or an allocation-time range that must also govern frees) or is a
 * graph with points closer than one second. The rollup's answers are exact to the microsecond:
 * <ul>
 *   <li>a window that starts or ends inside a second takes its whole seconds from the rollup and
 *       the partial ones at either end from raw rows (at most two seconds of events);</li>
 *   <li>a graph whose points are at least a second apart samples at whole seconds
 *       ({@link TimeRange#pointUs}); a rollup row then counts at the first point after its second
 *       starts, and the events that happened exactly at a point's microsecond — which belong to
 *       that point — are moved there from raw rows (an index lookup per point).</li>
 * </ul>
 */
@Component
public class UsageSource {
    static final long US_PER_SECOND = 1_000_000L;

    /** Which rows answer a request. */
    public enum Path { ROLLUP, RAW }

    private static final String COLUMNS = "session_id, stack_id, t, allocs, alloc_bytes, frees, free_bytes, released,"
            + " released_bytes";
    private static final String ROLLUP = """
            SELECT session_id, stack_id, %1$s AS t, allocs, alloc_bytes, frees, free_bytes, released, released_bytes
              FROM stack_usage
             WHERE session_id IN (:uSessions)""";
    private static final String RAW_ALLOCATIONS = """
            SELECT a.session_id, a.stack_id, %1$s AS t, a.weight AS allocs, a.size * a.weight AS alloc_bytes,
                   0::float8 AS frees, 0::float8 AS free_bytes,
                   CASE WHEN f.alloc_id IS NULL THEN 0::float8 ELSE a.weight END AS released,
                   CASE WHEN f.alloc_id IS NULL THEN 0::float8 ELSE a.size * a.weight END AS released_bytes
              FROM allocations a
              LEFT JOIN frees f ON f.session_id = a.session_id AND f.alloc_id = a.alloc_id
             WHERE a.session_id IN (:uSessions)""";
    private static final String RAW_FREES = """
            SELECT a.session_id, a.stack_id, %1$s AS t, 0::float8 AS allocs, 0::float8 AS alloc_bytes,
                   a.weight AS frees, a.size * a.weight AS free_bytes, 0::float8 AS released,
                   0::float8 AS released_bytes
              FROM frees f
              JOIN allocations a ON a.session_id = f.session_id AND a.alloc_id = f.alloc_id
             WHERE f.session_id IN (:uSessions)""";
    /**
     * Events exactly at a sample point inside the rollup's seconds: counted at that point (+) and
     * taken back from the rollup row's point, the next one (−).
     */
    private static final String AT_POINTS = """
            SELECT e.session_id, e.stack_id, m.t, e.allocs * m.sign, e.alloc_bytes * m.sign, e.frees * m.sign,
                   e.free_bytes * m.sign, e.released * m.sign, e.released_bytes * m.sign
              FROM (%1$s) e
             CROSS JOIN LATERAL (VALUES (1, e.t - 999999), (-1, e.t + 1)) m(sign, t)""";

    private final boolean rollupEnabled;

    /** @param rollupEnabled false reads raw rows for everything (to compare, or to rule the rollup out) */
    public UsageSource(@Value("${plumb.query.rollup:true}") boolean rollupEnabled) {
        this.rollupEnabled = rollupEnabled;
    }

    /** The rollup wherever it answers exactly (the default). */
    public static UsageSource rollupWhereExact() {
        return new UsageSource(true);
    }

    /** Raw rows for every request. */
    public static UsageSource rawOnly() {
        return new UsageSource(false);
    }

    /** The rule: see the class comment. */
    public Path path(UsageRequest request) {
        if (!rollupEnabled || !request.perAllocation().isNone() || request.grid() == UsageRequest.Grid.MICROS) {
            return Path.RAW;
        }
        return Path.ROLLUP;
    }

    /** SQL for the derived table {@code u} answering request; adds its parameters. */
    String from(UsageRequest request, MapSqlParameterSource params) {
        params.addValue("uSessions", request.sessionIds());
        List<String> parts = new ArrayList<>();
        if (path(request) == Path.RAW) {
            raw(request, request.fromUs(), request.toUs(), "", params, parts);
            return derived(parts);
        }
        Long from = request.fromUs();
        Long to = request.toUs();
        // the whole seconds of [from, to]: the first second starting at or after from to the last
        // one ending at or before to
        Long firstSecond = from == null ? null : Math.floorDiv(from + US_PER_SECOND - 1, US_PER_SECOND);
        Long lastSecond = to == null ? null : Math.floorDiv(to + 1, US_PER_SECOND) - 1;
        if (firstSecond != null && lastSecond != null && firstSecond > lastSecond) {
            raw(request, from, to, "", params, parts); // the window lies within a second or two
            return derived(parts);
        }
        StringBuilder rollup = new StringBuilder(ROLLUP.formatted(
                request.grid() == UsageRequest.Grid.SECONDS ? "second * 1000000 + 1" : "second * 1000000"));
        if (firstSecond != null) {
            rollup.append(" AND second >= :uFirstSecond");
            params.addValue("uFirstSecond", firstSecond);
            if (from < firstSecond * US_PER_SECOND) {
                raw(request, from, firstSecond * US_PER_SECOND - 1, "Head", params, parts);
            }
        }
        if (lastSecond != null) {
            rollup.append(" AND second <= :uLastSecond");
            params.addValue("uLastSecond", lastSecond);
            if (to >= (lastSecond + 1) * US_PER_SECOND) {
                raw(request, (lastSecond + 1) * US_PER_SECOND, to, "Tail", params, parts);
            }
        }
        parts.add(rollup.toString());
        List<Long> pointsInRollup = request.gridPoints().stream()
                .filter(p -> (firstSecond == null || p >= firstSecond * US_PER_SECOND)
                        && (lastSecond == null || p < (lastSecond + 1) * US_PER_SECOND))
                .toList();
        if (!pointsInRollup.isEmpty()) {
            params.addValue("uPoints", pointsInRollup);
            List<String> atPoints = new ArrayList<>();
            rawEvents(request, "a.allocated_us", "f.freed_us", " AND %s IN (:uPoints)", false, params, atPoints);
            parts.add(AT_POINTS.formatted(String.join("\nUNION ALL\n", atPoints)));
        }
        return derived(parts);
    }

    private static String derived(List<String> parts) {
        return "(" + String.join("\nUNION ALL\n", parts) + ") u (" + COLUMNS + ")";
    }

    /** Raw rows of the events in [from, to] (nulls unbounded), placed on the request's grid. */
    private static void raw(UsageRequest request, Long from, Long to, String suffix, MapSqlParameterSource params,
            List<String> parts) {
        String lo = "uFrom" + suffix;
        String hi = "uTo" + suffix;
        StringBuilder window = new StringBuilder();
        if (from != null) {
            window.append(" AND %1$s >= :").append(lo);
            params.addValue(lo, from);
        }
        if (to != null) {
            window.append(" AND %1$s <= :").append(hi);
            params.addValue(hi, to);
        }
        rawEvents(request, "a.allocated_us", "f.freed_us", window.toString(), true, params, parts);
    }

    /**
     * Allocation rows, and free rows if the request counts frees, whose event time satisfies
     * eventCondition (a format with %1$s for the time column); onGrid places u.t on the request's
     * grid, else u.t is the event's time.
     */
    private static void rawEvents(UsageRequest request, String allocatedAt, String freedAt, String eventCondition,
            boolean onGrid, MapSqlParameterSource params, List<String> parts) {
        String conditions = AllocationPredicates.where(request.perAllocation(), request.session(), params);
        UsageRequest.Grid grid = onGrid ? request.grid() : UsageRequest.Grid.MICROS;
        parts.add(RAW_ALLOCATIONS.formatted(time(allocatedAt, grid)) + eventCondition.formatted(allocatedAt)
                + conditions);
        if (request.freeEvents()) {
            parts.add(RAW_FREES.formatted(time(freedAt, grid)) + eventCondition.formatted(freedAt) + conditions);
        }
    }

    /** u.t of a raw row: on the whole-seconds grid, ceil(t) − 999 999 µs ({@link Buckets}). */
    private static String time(String column, UsageRequest.Grid grid) {
        return grid == UsageRequest.Grid.SECONDS ? "((" + column + " + 999999) / 1000000 * 1000000 - 999999)" : column;
    }
}

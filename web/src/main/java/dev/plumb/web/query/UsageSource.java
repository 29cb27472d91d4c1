package dev.plumb.web.query;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.jdbc.core.namedparam.MapSqlParameterSource;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * Where the rows a query adds up come from — the one place that decides. Every session query
 * (leak table, flamegraph, memory graph, series, totals) is written once, over a derived table
 * {@code u(session_id, stack_id, t, allocs, alloc_bytes, frees, free_bytes, released,
 * released_bytes)} with the meaning of the rollup stack_usage (db/migrations V4, V5), and this
 * class supplies {@code u} from the coarsest source that answers the request exactly:
 * <ul>
 *   <li>{@link Path#STACK_TOTALS stack_totals}, one row per backtrace of the session: totals over
 *       the whole session (leak groups, flamegraph, exports, session totals);</li>
 *   <li>{@link Path#STACK_SLOTS stack_usage_coarse}, one row per backtrace and slot of a grain
 *       (10 s … 1 h): per-backtrace graphs whose points sit on that grain (leak series);</li>
 *   <li>{@link Path#SESSION_SECONDS session_usage}, one row per second of the session: windows and
 *       graphs that do not need the backtrace (memory graph, verdicts, script series without a
 *       function condition);</li>
 *   <li>{@link Path#STACK_SECONDS stack_usage}, one row per backtrace and second: the other windows
 *       and graphs per backtrace (leak groups of a time range, live at T);</li>
 *   <li>{@link Path#RAW raw rows}: allocations and frees, one row per event (an allocation, with
 *       released = its weight if it was ever freed; a free, with its allocation's stack, size and
 *       weight), for conditions on single allocations (size, lifetime, or an allocation-time range
 *       that must also govern frees) and for graphs with points closer than one second.</li>
 * </ul>
 * The rollups' answers are exact to the microsecond:
 * <ul>
 *   <li>a window that starts or ends inside a second takes its whole seconds from the rollup and
 *       the partial ones at either end from raw rows (at most two seconds of events);</li>
 *   <li>a graph whose points are at least a second apart samples at whole grains
 *       ({@link TimeRange#pointUs}); a rollup row then counts at the first point after its
 *       second or slot starts, and the events that happened exactly at a point's microsecond —
 *       which belong to that point — are moved there from raw rows (an index lookup per point).</li>
 * </ul>
 */
@Component
public class UsageSource {
    static final long US_PER_SECOND = 1_000_000L;
    static final long FINEST_COARSE_GRAIN_US = 10 * US_PER_SECOND;

    /** Which rows answer a request. */
    public enum Path {
        STACK_TOTALS, STACK_SLOTS, SESSION_SECONDS, STACK_SECONDS, RAW;

        public boolean isRollup() {
            return this != RAW;
        }
    }

    private static final String COLUMNS = "session_id, stack_id, t, allocs, alloc_bytes, frees, free_bytes, released,"
            + " released_bytes";
    /** %1$s: stack_id or NULL; %2$s: u.t; %3$s: table and conditions. */
    private static final String ROLLUP = """
            SELECT session_id, %1$s AS stack_id, %2$s AS t, allocs, alloc_bytes, frees, free_bytes, released,
                   released_bytes
              FROM %3$s""";
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
     * Events exactly at a sample point inside the rollup's rows: counted at that point (+, at
     * t = point − grain + 1) and taken back from the rollup row's point, the next one (−, at
     * t = point + 1).
     */
    private static final String AT_POINTS = """
            SELECT e.session_id, e.stack_id, m.t, e.allocs * m.sign, e.alloc_bytes * m.sign, e.frees * m.sign,
                   e.free_bytes * m.sign, e.released * m.sign, e.released_bytes * m.sign
              FROM (%1$s) e
             CROSS JOIN LATERAL (VALUES (1, e.t - :uGrain + 1), (-1, e.t + 1)) m(sign, t)""";

    /** Sessions' partition days, which never change; a bound on how many are remembered. */
    private static final int MAX_REMEMBERED_DAYS = 100_000;

    private final NamedParameterJdbcTemplate jdbc;
    private final boolean rollupEnabled;
    private final Map<Long, Integer> days = new ConcurrentHashMap<>();

    /** @param rollupEnabled false reads raw rows for everything (to compare, or to rule the rollups out) */
    public UsageSource(NamedParameterJdbcTemplate jdbc, @Value("${plumb.query.rollup:true}") boolean rollupEnabled) {
        this.jdbc = jdbc;
        this.rollupEnabled = rollupEnabled;
    }

    /** The rollups wherever they answer exactly (the default). */
    public static UsageSource rollupWhereExact(NamedParameterJdbcTemplate jdbc) {
        return new UsageSource(jdbc, true);
    }

    /** Raw rows for every request. */
    public static UsageSource rawOnly(NamedParameterJdbcTemplate jdbc) {
        return new UsageSource(jdbc, false);
    }

    /** The partition days of the sessions that exist; [-1] (no partition) when none does. */
    private List<Integer> daysOf(List<Long> sessionIds) {
        List<Long> unknown = sessionIds.stream().filter(id -> !days.containsKey(id)).toList();
        if (!unknown.isEmpty()) {
            if (days.size() > MAX_REMEMBERED_DAYS) {
                days.clear();
            }
            jdbc.query("SELECT id, day FROM sessions WHERE id IN (:ids)", Map.of("ids", unknown),
                    rs -> {
                        days.put(rs.getLong("id"), rs.getInt("day"));
                    });
        }
        List<Integer> found = sessionIds.stream().map(days::get).filter(d -> d != null).distinct().toList();
        return found.isEmpty() ? List.of(-1) : found;
    }

    /** The rule: see the class comment. */
    public Path path(UsageRequest r) {
        if (!rollupEnabled || !r.perAllocation().isNone() || r.grid() == UsageRequest.Grid.MICROS) {
            return Path.RAW;
        }
        if (r.grid() == UsageRequest.Grid.NONE && r.fromUs() == null && r.toUs() == null) {
            return Path.STACK_TOTALS;
        }
        if (!r.byStack()) {
            return Path.SESSION_SECONDS;
        }
        // a graph up to its last point (a whole grain): whole slots, nothing partial
        boolean wholeSlots = r.grid() == UsageRequest.Grid.GRAINS && r.grainUs() >= FINEST_COARSE_GRAIN_US
                && r.fromUs() == null && r.toUs() != null && Math.floorMod(r.toUs(), r.grainUs()) == 0;
        return wholeSlots ? Path.STACK_SLOTS : Path.STACK_SECONDS;
    }

    /** SQL for the derived table {@code u} answering request; adds its parameters. */
    String from(UsageRequest request, MapSqlParameterSource params) {
        params.addValue("uSessions", request.sessionIds());
        if (request.grid() == UsageRequest.Grid.GRAINS) {
            params.addValue("uGrain", request.grainUs()).addValue("uGrainSeconds", request.grainUs() / US_PER_SECOND);
        }
        List<String> parts = new ArrayList<>();
        Path path = path(request);
        if (path == Path.RAW) {
            raw(request, request.fromUs(), request.toUs(), "", params, parts);
            return derived(parts);
        }
        params.addValue("uDays", daysOf(request.sessionIds())); // the rollup parts' partitions
        if (path == Path.STACK_TOTALS) {
            parts.add(ROLLUP.formatted("stack_id", "NULL::bigint",
                    "stack_totals WHERE session_id IN (:uSessions) AND day IN (:uDays)"));
            return derived(parts);
        }
        // rows of `unit` µs: slots of the graph's grain, or seconds
        long unit = path == Path.STACK_SLOTS ? request.grainUs() : US_PER_SECOND;
        Long from = request.fromUs();
        Long to = request.toUs();
        // the whole rows of [from, to]: from the first starting at or after from to the last one
        // ending at or before to
        Long first = from == null ? null : Math.floorDiv(from + unit - 1, unit);
        Long last = to == null ? null : Math.floorDiv(to + 1, unit) - 1;
        if (first != null && last != null && first > last) {
            raw(request, from, to, "", params, parts); // the window lies within a row or two
            return derived(parts);
        }
        String rowIndex = path == Path.STACK_SLOTS ? "slot" : "second";
        StringBuilder rollup = new StringBuilder(rollupRows(path, request));
        if (first != null) {
            rollup.append(" AND ").append(rowIndex).append(" >= :uFirstRow");
            params.addValue("uFirstRow", first);
            if (from < first * unit) {
                raw(request, from, first * unit - 1, "Head", params, parts);
            }
        }
        if (last != null) {
            rollup.append(" AND ").append(rowIndex).append(" <= :uLastRow");
            params.addValue("uLastRow", last);
            if (to >= (last + 1) * unit) {
                raw(request, (last + 1) * unit, to, "Tail", params, parts);
            }
        }
        parts.add(rollup.toString());
        List<Long> pointsInRollup = request.gridPoints().stream()
                .filter(p -> (first == null || p >= first * unit) && (last == null || p < (last + 1) * unit))
                .toList();
        if (!pointsInRollup.isEmpty()) {
            params.addValue("uPoints", pointsInRollup);
            List<String> atPoints = new ArrayList<>();
            rawEvents(request, " AND %s IN (:uPoints)", false, params, atPoints);
            parts.add(AT_POINTS.formatted(String.join("\nUNION ALL\n", atPoints)));
        }
        return derived(parts);
    }

    /** SELECT of a per-second or per-slot rollup table, u.t placed on the request's grid. */
    private static String rollupRows(Path path, UsageRequest request) {
        boolean grains = request.grid() == UsageRequest.Grid.GRAINS;
        return switch (path) {
            case STACK_SLOTS -> ROLLUP.formatted("stack_id", "slot * :uGrain + 1",
                    "stack_usage_coarse WHERE session_id IN (:uSessions) AND day IN (:uDays)"
                            + " AND grain = :uGrainSeconds");
            case SESSION_SECONDS -> ROLLUP.formatted("NULL::bigint", secondTime(grains),
                    "session_usage WHERE session_id IN (:uSessions) AND day IN (:uDays)");
            case STACK_SECONDS -> ROLLUP.formatted("stack_id", secondTime(grains),
                    "stack_usage WHERE session_id IN (:uSessions) AND day IN (:uDays)");
            default -> throw new IllegalArgumentException(path + " has no per-second or per-slot rows");
        };
    }

    /** u.t of a rollup row of one second: on a grid of grain G, ceil_G(start + 1 µs) − G + 1 ({@link Buckets}). */
    private static String secondTime(boolean grains) {
        return grains ? "((second * 1000000 + :uGrain) / :uGrain * :uGrain - :uGrain + 1)" : "second * 1000000";
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
        rawEvents(request, window.toString(), true, params, parts);
    }

    /**
     * Allocation rows, and free rows if the request counts frees, whose event time satisfies
     * eventCondition (a format with %1$s for the time column); onGrid places u.t on the request's
     * grid, else u.t is the event's time.
     */
    private static void rawEvents(UsageRequest request, String eventCondition, boolean onGrid,
            MapSqlParameterSource params, List<String> parts) {
        String conditions = AllocationPredicates.where(request.perAllocation(), request.session(), params);
        boolean grains = onGrid && request.grid() == UsageRequest.Grid.GRAINS;
        parts.add(RAW_ALLOCATIONS.formatted(time("a.allocated_us", grains))
                + eventCondition.formatted("a.allocated_us") + conditions);
        if (request.freeEvents()) {
            parts.add(RAW_FREES.formatted(time("f.freed_us", grains)) + eventCondition.formatted("f.freed_us")
                    + conditions);
        }
    }

    /** u.t of a raw row: on a grid of grain G, ceil_G(t) − G + 1 ({@link Buckets}). */
    private static String time(String column, boolean grains) {
        return grains ? "((" + column + " + :uGrain - 1) / :uGrain * :uGrain - :uGrain + 1)" : column;
    }
}

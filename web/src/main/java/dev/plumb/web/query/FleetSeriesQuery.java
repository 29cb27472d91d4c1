package dev.plumb.web.query;

import java.sql.Timestamp;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.springframework.jdbc.core.namedparam.MapSqlParameterSource;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * The fleet dashboard's time series: for a {@link FleetScope}, a time range and a number of
 * points, the heap and leaked bytes of every matching session at each point. This class holds
 * all the SQL behind those series (which sessions are in scope, and their bucketed events), so
 * that pre-aggregated rollups can replace the scan of raw events here and nowhere else.
 *
 * <p>Heap at a point = bytes allocated at or before it minus bytes freed at or before it (sample
 * weighted); leaked = bytes allocated at or before it and never freed — the same definitions as
 * a session's memory graph ({@link MemoryQuery}). Events are bucketed in SQL ({@link Buckets}),
 * one row per (session, point), and summed in Java.
 */
@Component
public class FleetSeriesQuery {
    /** The most sessions one series covers: the newest in the range. */
    public static final int MAX_SESSIONS = 500;

    private static final String LAST_SEEN = "coalesce(s.ended_at, s.last_seen_at)";
    private static final String SESSIONS = "SELECT " + SessionRows.COLUMNS + ", " + LAST_SEEN + " AS last_seen"
            + " FROM sessions s WHERE s.started_at <= :to AND " + LAST_SEEN + " >= :from%s"
            + " ORDER BY s.started_at DESC, s.id DESC LIMIT :limit";
    private static final String EXTENT = "SELECT min(s.started_at) AS first, max(" + LAST_SEEN + ") AS last"
            + " FROM sessions s WHERE true%s";
    private static final String ANY = "SELECT EXISTS (SELECT 1 FROM sessions)";
    private static final String SERIES = """
            SELECT session_id, bucket, round(sum(heap))::bigint AS heap, round(sum(leaked))::bigint AS leaked FROM (
                SELECT a.session_id, %1$s AS bucket, a.size * a.weight AS heap,
                       CASE WHEN f.alloc_id IS NULL THEN a.size * a.weight ELSE 0 END AS leaked
                  FROM allocations a
                  LEFT JOIN frees f ON f.session_id = a.session_id AND f.alloc_id = a.alloc_id
                 WHERE a.session_id IN (:ids) AND a.allocated_us <= :bEnd
                UNION ALL
                SELECT f.session_id, %2$s AS bucket, -a.size * a.weight AS heap, 0 AS leaked
                  FROM frees f
                  JOIN allocations a ON a.session_id = f.session_id AND a.alloc_id = f.alloc_id
                 WHERE f.session_id IN (:ids) AND f.freed_us <= :bEnd
            ) e
            GROUP BY session_id, bucket
            """.formatted(Buckets.of(onGrain("a.allocated_us")), Buckets.of(onGrain("f.freed_us")));

    /**
     * The time Buckets places: when the points sit on whole grains G, an event at t belongs to the
     * first point whose grained time is at or after t, found through ceil_G(t) − G + 1 (see Buckets).
     */
    private static String onGrain(String column) {
        return "(CASE WHEN :bGrain = 0 THEN " + column + " ELSE ((" + column + " + :bGrain - 1) / :bGrain) * :bGrain"
                + " - :bGrain + 1 END)";
    }

    private final NamedParameterJdbcTemplate jdbc;

    public FleetSeriesQuery(NamedParameterJdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    /** Whether any session was ever recorded (to tell an empty fleet from an empty filter). */
    public boolean anySessions() {
        return Boolean.TRUE.equals(jdbc.getJdbcTemplate().queryForObject(ANY, Boolean.class));
    }

    /** From the first start to the last sign of life of the scope's sessions; empty when none match. */
    public Optional<TimeRange> extent(FleetScope scope) {
        MapSqlParameterSource params = new MapSqlParameterSource();
        return jdbc.query(EXTENT.formatted(scopeConditions(scope, params)), params, (rs, i) -> {
            OffsetDateTime first = rs.getObject("first", OffsetDateTime.class);
            OffsetDateTime last = rs.getObject("last", OffsetDateTime.class);
            if (first == null || last == null) {
                return null;
            }
            long start = micros(first.toInstant());
            return new TimeRange(start, Math.max(start, micros(last.toInstant())));
        }).stream().filter(r -> r != null).findFirst();
    }

    /** The scope's sessions alive at some time in range (newest {@link #MAX_SESSIONS}), each with points values. */
    public FleetSeries series(FleetScope scope, TimeRange range, int points) {
        if (points < 2) {
            throw new IllegalArgumentException("points must be at least 2");
        }
        List<FleetSession> sessions = sessions(scope, range);
        boolean truncated = sessions.size() > MAX_SESSIONS;
        if (truncated) {
            sessions = sessions.subList(0, MAX_SESSIONS);
        }
        long[] times = new long[points];
        for (int i = 0; i < points; i++) {
            times[i] = range.pointUs(i, points) / 1000;
        }
        Map<Long, long[][]> deltas = new HashMap<>();
        sessions.forEach(s -> deltas.put(s.row().id(), new long[2][points]));
        if (!sessions.isEmpty()) {
            MapSqlParameterSource params = Buckets.bind(new MapSqlParameterSource("ids", deltas.keySet()), range, points)
                    .addValue("bEnd", range.endUs()) // events after the range are not counted
                    .addValue("bGrain", range.grainUs(points));
            jdbc.query(SERIES, params, rs -> {
                long[][] d = deltas.get(rs.getLong("session_id"));
                int b = rs.getInt("bucket");
                d[0][b] += rs.getLong("heap");
                d[1][b] += rs.getLong("leaked");
            });
        }
        List<FleetSeries.SessionSeries> result = new ArrayList<>(sessions.size());
        for (FleetSession s : sessions) {
            result.add(cumulate(s, deltas.get(s.row().id()), range, points));
        }
        return new FleetSeries(range, times, List.copyOf(result), truncated);
    }

    /**
     * Running sums of the bucket deltas, kept only where the process was alive: point i stands
     * for (point i−1, point i], point 0 for its own instant.
     */
    private static FleetSeries.SessionSeries cumulate(FleetSession s, long[][] d, TimeRange range, int points) {
        long[] heap = new long[points];
        long[] leaked = new long[points];
        boolean[] alive = new boolean[points];
        long h = 0;
        long l = 0;
        long start = s.startUs();
        long end = s.lastSeenUs();
        for (int i = 0; i < points; i++) {
            h += d[0][i];
            l += d[1][i];
            long t = range.pointUs(i, points);
            long previous = i == 0 ? t - 1 : range.pointUs(i - 1, points);
            alive[i] = start <= t && end > previous;
            heap[i] = alive[i] ? h : 0;
            leaked[i] = alive[i] ? l : 0;
        }
        return new FleetSeries.SessionSeries(s, heap, leaked, alive);
    }

    private List<FleetSession> sessions(FleetScope scope, TimeRange range) {
        MapSqlParameterSource params = new MapSqlParameterSource()
                .addValue("from", Timestamp.from(instant(range.startUs())))
                .addValue("to", Timestamp.from(instant(range.endUs())))
                .addValue("limit", MAX_SESSIONS + 1);
        String sql = SESSIONS.formatted(scopeConditions(scope, params));
        return jdbc.query(sql, params, (rs, i) -> new FleetSession(SessionRows.MAPPER.mapRow(rs, i),
                rs.getObject("last_seen", OffsetDateTime.class).toInstant()));
    }

    /** " AND …" from fixed fragments; every value a bind parameter. */
    private static String scopeConditions(FleetScope scope, MapSqlParameterSource params) {
        StringBuilder sql = new StringBuilder();
        equal(sql, params, "service", scope.service());
        equal(sql, params, "deployment", scope.deployment());
        equal(sql, params, "host", scope.host());
        if (scope.search() != null) {
            sql.append(" AND (strpos(lower(s.service), :search) > 0 OR strpos(lower(s.deployment), :search) > 0"
                    + " OR strpos(lower(s.host), :search) > 0)");
            params.addValue("search", scope.search());
        }
        return sql.toString();
    }

    private static void equal(StringBuilder sql, MapSqlParameterSource params, String column, String value) {
        if (value != null) {
            sql.append(" AND s.").append(column).append(" = :").append(column);
            params.addValue(column, value);
        }
    }

    static long micros(Instant t) {
        return Math.addExact(Math.multiplyExact(t.getEpochSecond(), 1_000_000L), t.getNano() / 1000);
    }

    static Instant instant(long us) {
        return Instant.ofEpochSecond(Math.floorDiv(us, 1_000_000L), Math.floorMod(us, 1_000_000L) * 1000);
    }
}

package dev.plumb.web.query;

import org.springframework.jdbc.core.namedparam.MapSqlParameterSource;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * Retained bytes of a selection of allocations over time — what bytehound's {@code graph()}
 * draws for a set: at each sample point t, the sample-weighted bytes of the selected
 * allocations made at or before t minus those of them freed at or before t.
 */
@Component
public class SelectionSeriesQuery {
    private static final String SQL = """
            SELECT bucket, round(sum(delta))::bigint AS delta FROM (
                SELECT %1$s AS bucket, a.size * a.weight AS delta
                  FROM %3$s
                 WHERE a.session_id = :session AND a.allocated_us <= :bEnd %4$s
                UNION ALL
                SELECT %2$s AS bucket, -a.size * a.weight AS delta
                  FROM %3$s
                 WHERE a.session_id = :session AND f.freed_us <= :bEnd %4$s
            ) e
            GROUP BY bucket
            """;

    private final NamedParameterJdbcTemplate jdbc;

    public SelectionSeriesQuery(NamedParameterJdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    /** Retained bytes at each of points (≥ 2) sample points over range; session is the session's whole range. */
    public long[] retained(long sessionId, AllocationSelection selection, TimeRange session, TimeRange range,
            int points) {
        if (points < 2) {
            throw new IllegalArgumentException("points must be at least 2");
        }
        MapSqlParameterSource params = Buckets.bind(new MapSqlParameterSource("session", sessionId), range, points);
        String where = AllocationPredicates.where(selection, session, params);
        String sql = SQL.formatted(Buckets.of("a.allocated_us"), Buckets.of("f.freed_us"), AllocationPredicates.FROM,
                where);
        long[] values = new long[points];
        jdbc.query(sql, params, rs -> {
            values[rs.getInt("bucket")] += rs.getLong("delta");
        });
        for (int i = 1; i < points; i++) {
            values[i] += values[i - 1];
        }
        return values;
    }
}

package dev.plumb.web.query;

import org.springframework.jdbc.core.namedparam.MapSqlParameterSource;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * Retained bytes of a selection of allocations over time — what bytehound's {@code graph()}
 * draws for a set: at each sample point t, the sample-weighted bytes of the selected
 * allocations made at or before t minus those of them freed at or before t. Which rows answer is
 * {@link SelectionRequest#series}'s and {@link UsageSource}'s business.
 */
@Component
public class SelectionSeriesQuery {
    private static final String SQL = """
            SELECT %1$s AS bucket, round(sum(%2$s))::bigint AS delta
              FROM %3$s
             WHERE true%4$s
             GROUP BY bucket
            """;

    private final NamedParameterJdbcTemplate jdbc;
    private final UsageSource usage;

    public SelectionSeriesQuery(NamedParameterJdbcTemplate jdbc, UsageSource usage) {
        this.jdbc = jdbc;
        this.usage = usage;
    }

    /** Retained bytes at each of points (≥ 2) sample points over range; session is the session's whole range. */
    public long[] retained(long sessionId, AllocationSelection selection, TimeRange session, TimeRange range,
            int points) {
        if (points < 2) {
            throw new IllegalArgumentException("points must be at least 2");
        }
        SelectionRequest s = SelectionRequest.series(sessionId, selection, session, range, points);
        MapSqlParameterSource params = Buckets.bind(new MapSqlParameterSource(), range, points);
        String sql = SQL.formatted(Buckets.of("u.t"), s.measure().bytes(), usage.from(s.usage(), params),
                s.stackConditions(params));
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

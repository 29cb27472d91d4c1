package dev.plumb.web.query;

import java.util.ArrayList;
import java.util.List;
import org.springframework.jdbc.core.namedparam.MapSqlParameterSource;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * The memory usage graph of a session: heap and leaked bytes at evenly spaced times
 * (sample-weighted). From the per-second session rollup (session_usage) when the points are at
 * least a second apart ({@link Buckets}), else from raw rows.
 */
@Component
public class MemoryQuery {
    private static final String SQL = """
            SELECT %1$s AS bucket, round(sum(%2$s))::bigint AS heap, round(sum(%3$s))::bigint AS leaked
              FROM %4$s
             GROUP BY bucket
            """;

    private final NamedParameterJdbcTemplate jdbc;
    private final UsageSource usage;

    public MemoryQuery(NamedParameterJdbcTemplate jdbc, UsageSource usage) {
        this.jdbc = jdbc;
        this.usage = usage;
    }

    static UsageRequest request(long sessionId, TimeRange range, int points) {
        return UsageRequest.graph(sessionId, range, points, false, AllocationConditions.none(), null,
                Measure.RETAINED, Measure.LEAKED);
    }

    /** points (≥ 2) samples from range start to range end, times in epoch milliseconds. */
    public List<MemoryPoint> memory(long sessionId, TimeRange range, int points) {
        if (points < 2) {
            throw new IllegalArgumentException("points must be at least 2");
        }
        MapSqlParameterSource params = Buckets.bind(new MapSqlParameterSource(), range, points);
        String sql = SQL.formatted(Buckets.of("u.t"), Measure.RETAINED.bytes(), Measure.LEAKED.bytes(),
                usage.from(request(sessionId, range, points), params));
        long[] heap = new long[points];
        long[] leaked = new long[points];
        jdbc.query(sql, params, rs -> {
            int b = rs.getInt("bucket");
            heap[b] += rs.getLong("heap");
            leaked[b] += rs.getLong("leaked");
        });
        List<MemoryPoint> result = new ArrayList<>(points);
        long h = 0;
        long l = 0;
        for (int i = 0; i < points; i++) {
            h += heap[i];
            l += leaked[i];
            result.add(new MemoryPoint(range.pointUs(i, points) / 1000, h, l));
        }
        return result;
    }
}

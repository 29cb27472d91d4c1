package dev.plumb.web.query;

import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import org.springframework.jdbc.core.namedparam.MapSqlParameterSource;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * Retained bytes of each given backtrace over time: at each sample point t, the bytes of its
 * allocations made at or before t minus those freed at or before t. All of the backtrace's
 * allocations count, freed or not — that is what tells a queue that fills and drains (bounded)
 * from a leak that only grows (linear). From the rollup unless a size filter or points closer
 * than a second need raw rows ({@link UsageSource}).
 */
@Component
public class StackSeriesQuery {
    private static final String SQL = """
            SELECT u.stack_id, %1$s AS bucket, round(sum(%2$s))::bigint AS delta
              FROM %3$s
             WHERE u.stack_id IN (:ids)
             GROUP BY u.stack_id, bucket
            """;

    private final NamedParameterJdbcTemplate jdbc;
    private final UsageSource usage;

    public StackSeriesQuery(NamedParameterJdbcTemplate jdbc, UsageSource usage) {
        this.jdbc = jdbc;
        this.usage = usage;
    }

    static UsageRequest request(long sessionId, long minSize, Long maxSize, TimeRange range, int points) {
        return UsageRequest.graph(sessionId, range, points, true, AllocationConditions.sizeBetween(minSize, maxSize),
                null, Measure.RETAINED);
    }

    /**
     * @param minSize only allocations of at least this size (the same filter as the leak table)
     * @param points  number of sample points, at least 2, spread over range
     * @return stack id → retained bytes at each point (array of length points)
     */
    public Map<Long, long[]> retained(long sessionId, Collection<Long> stackIds, long minSize,
            TimeRange range, int points) {
        return retained(sessionId, stackIds, minSize, Long.MAX_VALUE, range, points);
    }

    /** @param maxSize only allocations of at most this size */
    public Map<Long, long[]> retained(long sessionId, Collection<Long> stackIds, long minSize, long maxSize,
            TimeRange range, int points) {
        if (points < 2) {
            throw new IllegalArgumentException("points must be at least 2");
        }
        Map<Long, long[]> result = new HashMap<>();
        if (stackIds.isEmpty()) {
            return result;
        }
        stackIds.forEach(id -> result.put(id, new long[points]));
        MapSqlParameterSource params = Buckets.bind(new MapSqlParameterSource("ids", stackIds), range, points);
        String sql = SQL.formatted(Buckets.of("u.t"), Measure.RETAINED.bytes(),
                usage.from(request(sessionId, minSize, maxSize, range, points), params));
        jdbc.query(sql, params, rs -> {
            result.get(rs.getLong("stack_id"))[rs.getInt("bucket")] += rs.getLong("delta");
        });
        for (long[] values : result.values()) {
            for (int i = 1; i < points; i++) {
                values[i] += values[i - 1];
            }
        }
        return result;
    }
}

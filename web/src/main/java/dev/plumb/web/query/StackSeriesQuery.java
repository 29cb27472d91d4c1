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
 * from a leak that only grows (linear).
 */
@Component
public class StackSeriesQuery {
    private static final String SQL = """
            SELECT stack_id, bucket, round(sum(delta))::bigint AS delta FROM (
                SELECT a.stack_id, %1$s AS bucket, a.size * a.weight AS delta
                  FROM allocations a
                 WHERE a.session_id = :session AND a.stack_id IN (:ids)
                   AND a.size BETWEEN :minSize AND :maxSize AND a.allocated_us <= :bEnd
                UNION ALL
                SELECT a.stack_id, %2$s AS bucket, -a.size * a.weight AS delta
                  FROM frees f
                  JOIN allocations a ON a.session_id = f.session_id AND a.alloc_id = f.alloc_id
                 WHERE f.session_id = :session AND a.stack_id IN (:ids)
                   AND a.size BETWEEN :minSize AND :maxSize AND f.freed_us <= :bEnd
            ) e
            GROUP BY stack_id, bucket
            """.formatted(Buckets.of("a.allocated_us"), Buckets.of("f.freed_us"));

    private final NamedParameterJdbcTemplate jdbc;

    public StackSeriesQuery(NamedParameterJdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    /**
     * @param minSize only allocations of at least this size (the same filter as the leak table)
     * @param maxSize only allocations of at most this size
     * @param points  number of sample points, at least 2, spread over range
     * @return stack id → retained bytes at each point (array of length points)
     */
    public Map<Long, long[]> retained(long sessionId, Collection<Long> stackIds, long minSize,
            TimeRange range, int points) {
        return retained(sessionId, stackIds, minSize, Long.MAX_VALUE, range, points);
    }

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
        MapSqlParameterSource params = Buckets.bind(new MapSqlParameterSource()
                .addValue("session", sessionId)
                .addValue("ids", stackIds)
                .addValue("minSize", minSize)
                .addValue("maxSize", maxSize), range, points);
        jdbc.query(SQL, params, rs -> {
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

package dev.plumb.web.query;

import java.util.ArrayList;
import java.util.List;
import org.springframework.jdbc.core.namedparam.MapSqlParameterSource;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;
import org.springframework.stereotype.Component;

/** The memory usage graph of a session: heap and leaked bytes at evenly spaced times (sample-weighted). */
@Component
public class MemoryQuery {
    private static final String SQL = """
            SELECT bucket, round(sum(heap))::bigint AS heap, round(sum(leaked))::bigint AS leaked FROM (
                SELECT %1$s AS bucket, a.size * a.weight AS heap,
                       CASE WHEN f.alloc_id IS NULL THEN a.size * a.weight ELSE 0 END AS leaked
                  FROM allocations a
                  LEFT JOIN frees f ON f.session_id = a.session_id AND f.alloc_id = a.alloc_id
                 WHERE a.session_id = :session AND a.allocated_us <= :bEnd
                UNION ALL
                SELECT %2$s AS bucket, -a.size * a.weight AS heap, 0 AS leaked
                  FROM frees f
                  JOIN allocations a ON a.session_id = f.session_id AND a.alloc_id = f.alloc_id
                 WHERE f.session_id = :session AND f.freed_us <= :bEnd
            ) e
            GROUP BY bucket
            """.formatted(Buckets.of("a.allocated_us"), Buckets.of("f.freed_us"));

    private final NamedParameterJdbcTemplate jdbc;

    public MemoryQuery(NamedParameterJdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    /** points (≥ 2) samples from range start to range end, times in epoch milliseconds. */
    public List<MemoryPoint> memory(long sessionId, TimeRange range, int points) {
        if (points < 2) {
            throw new IllegalArgumentException("points must be at least 2");
        }
        long[] heap = new long[points];
        long[] leaked = new long[points];
        jdbc.query(SQL, Buckets.bind(new MapSqlParameterSource("session", sessionId), range, points), rs -> {
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

package dev.plumb.web.query;

import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;
import org.springframework.stereotype.Component;

/** Leaked bytes (allocations never freed) of several sessions at once, for the leak gauges. */
@Component
public class SessionLeakedBytesQuery {
    private static final String SQL = """
            SELECT a.session_id, round(sum(a.size * a.weight))::bigint AS leaked
              FROM allocations a
             WHERE a.session_id IN (:ids)
               AND NOT EXISTS (SELECT 1 FROM frees f
                                WHERE f.session_id = a.session_id AND f.alloc_id = a.alloc_id)
             GROUP BY a.session_id
            """;

    private final NamedParameterJdbcTemplate jdbc;

    public SessionLeakedBytesQuery(NamedParameterJdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    /** Session id → leaked bytes; sessions without leaks map to 0. */
    public Map<Long, Long> leakedBytes(Collection<Long> sessionIds) {
        Map<Long, Long> result = new HashMap<>();
        if (sessionIds.isEmpty()) {
            return result;
        }
        sessionIds.forEach(id -> result.put(id, 0L));
        jdbc.query(SQL, Map.of("ids", sessionIds),
                rs -> {
                    result.put(rs.getLong("session_id"), rs.getLong("leaked"));
                });
        return result;
    }
}

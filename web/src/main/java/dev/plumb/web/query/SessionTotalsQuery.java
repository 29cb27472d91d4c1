package dev.plumb.web.query;

import java.util.Map;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;
import org.springframework.stereotype.Component;

/** Allocation and free counts and bytes of one session, sample-weighted (exact in full mode). */
@Component
public class SessionTotalsQuery {
    private static final String SQL = """
            SELECT coalesce(round(sum(a.weight)), 0)::bigint AS allocations,
                   coalesce(round(sum(a.weight) FILTER (WHERE f.alloc_id IS NOT NULL)), 0)::bigint AS frees,
                   coalesce(round(sum(a.size * a.weight)), 0)::bigint AS bytes_allocated,
                   coalesce(round(sum(a.size * a.weight) FILTER (WHERE f.alloc_id IS NOT NULL)), 0)::bigint AS bytes_freed
              FROM allocations a
              LEFT JOIN frees f ON f.session_id = a.session_id AND f.alloc_id = a.alloc_id
             WHERE a.session_id = :id
            """;

    private final NamedParameterJdbcTemplate jdbc;

    public SessionTotalsQuery(NamedParameterJdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    public SessionTotals totals(long sessionId) {
        return jdbc.queryForObject(SQL, Map.of("id", sessionId), (rs, i) -> new SessionTotals(
                rs.getLong("allocations"), rs.getLong("frees"),
                rs.getLong("bytes_allocated"), rs.getLong("bytes_freed")));
    }
}

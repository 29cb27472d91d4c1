package dev.plumb.web.query;

import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.jdbc.core.namedparam.MapSqlParameterSource;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;
import org.springframework.stereotype.Component;

/** Sample-weighted bytes and count of a selection of a session's allocations, per backtrace: flamegraph input. */
@Component
public class StackTotalsQuery {
    private static final String SQL = """
            SELECT a.stack_id, round(sum(a.size * a.weight))::bigint AS bytes, round(sum(a.weight))::bigint AS n
              FROM %s
             WHERE a.session_id = :session %s
             GROUP BY a.stack_id
             ORDER BY bytes DESC, a.stack_id
            """;

    /** Bytes and count of one backtrace. */
    public record Total(long bytes, long count) {
    }

    private final NamedParameterJdbcTemplate jdbc;

    public StackTotalsQuery(NamedParameterJdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    /** stack id → totals, largest first; session is the session's whole time range. */
    public Map<Long, Total> totals(long sessionId, AllocationSelection selection, TimeRange session) {
        MapSqlParameterSource params = new MapSqlParameterSource("session", sessionId);
        String sql = SQL.formatted(AllocationPredicates.FROM, AllocationPredicates.where(selection, session, params));
        Map<Long, Total> result = new LinkedHashMap<>();
        jdbc.query(sql, params, rs -> {
            result.put(rs.getLong("stack_id"), new Total(rs.getLong("bytes"), rs.getLong("n")));
        });
        return result;
    }
}

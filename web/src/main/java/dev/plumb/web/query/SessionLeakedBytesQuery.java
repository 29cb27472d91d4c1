package dev.plumb.web.query;

import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.springframework.jdbc.core.namedparam.MapSqlParameterSource;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;
import org.springframework.stereotype.Component;

/** Leaked bytes (allocations never freed) of several sessions at once, for the leak gauges: from the rollup. */
@Component
public class SessionLeakedBytesQuery {
    private static final String SQL = """
            SELECT u.session_id, round(sum(%1$s))::bigint AS leaked
              FROM %2$s
             GROUP BY u.session_id
            """;

    private final NamedParameterJdbcTemplate jdbc;
    private final UsageSource usage;

    public SessionLeakedBytesQuery(NamedParameterJdbcTemplate jdbc, UsageSource usage) {
        this.jdbc = jdbc;
        this.usage = usage;
    }

    static UsageRequest request(Collection<Long> sessionIds) {
        return UsageRequest.wholeSessions(List.copyOf(sessionIds), Measure.LEAKED);
    }

    /** Session id → leaked bytes; sessions without leaks map to 0. */
    public Map<Long, Long> leakedBytes(Collection<Long> sessionIds) {
        Map<Long, Long> result = new HashMap<>();
        if (sessionIds.isEmpty()) {
            return result;
        }
        sessionIds.forEach(id -> result.put(id, 0L));
        MapSqlParameterSource params = new MapSqlParameterSource();
        String sql = SQL.formatted(Measure.LEAKED.bytes(), usage.from(request(sessionIds), params));
        jdbc.query(sql, params, rs -> {
            result.put(rs.getLong("session_id"), rs.getLong("leaked"));
        });
        return result;
    }
}

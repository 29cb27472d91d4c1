package dev.plumb.web.query;

import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.jdbc.core.namedparam.MapSqlParameterSource;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * Sample-weighted bytes and count of a selection of a session's allocations, per backtrace:
 * flamegraph input. All, only leaked, only temporary and alive at T come from the rollup
 * ({@link SelectionRequest}); size and lifetime conditions read raw rows.
 */
@Component
public class StackTotalsQuery {
    private static final String SQL = """
            SELECT u.stack_id, round(sum(%1$s))::bigint AS bytes, round(sum(%2$s))::bigint AS n
              FROM %3$s
             WHERE true%4$s
             GROUP BY u.stack_id
            HAVING %5$s
             ORDER BY bytes DESC, u.stack_id
            """;

    /** Bytes and count of one backtrace. */
    public record Total(long bytes, long count) {
    }

    private final NamedParameterJdbcTemplate jdbc;
    private final UsageSource usage;

    public StackTotalsQuery(NamedParameterJdbcTemplate jdbc, UsageSource usage) {
        this.jdbc = jdbc;
        this.usage = usage;
    }

    /** stack id → totals, largest first; session is the session's whole time range. */
    public Map<Long, Total> totals(long sessionId, AllocationSelection selection, TimeRange session) {
        SelectionRequest s = SelectionRequest.totals(sessionId, selection, session);
        MapSqlParameterSource params = new MapSqlParameterSource();
        String sql = SQL.formatted(s.measure().bytes(), s.measure().count(), usage.from(s.usage(), params),
                s.stackConditions(params), s.measure().nonEmpty());
        Map<Long, Total> result = new LinkedHashMap<>();
        jdbc.query(sql, params, rs -> {
            result.put(rs.getLong("stack_id"), new Total(rs.getLong("bytes"), rs.getLong("n")));
        });
        return result;
    }
}

package dev.plumb.web.query;

import org.springframework.jdbc.core.namedparam.MapSqlParameterSource;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * Allocation and free counts and bytes of one session, sample-weighted (exact in full mode):
 * from the rollup. Frees are the frees of allocations the session recorded (released).
 */
@Component
public class SessionTotalsQuery {
    private static final String SQL = """
            SELECT coalesce(round(sum(%1$s)), 0)::bigint AS allocations,
                   coalesce(round(sum(%2$s)), 0)::bigint AS frees,
                   coalesce(round(sum(%3$s)), 0)::bigint AS bytes_allocated,
                   coalesce(round(sum(%4$s)), 0)::bigint AS bytes_freed
              FROM %5$s
            """;

    private final NamedParameterJdbcTemplate jdbc;
    private final UsageSource usage;

    public SessionTotalsQuery(NamedParameterJdbcTemplate jdbc, UsageSource usage) {
        this.jdbc = jdbc;
        this.usage = usage;
    }

    static UsageRequest request(long sessionId) {
        return UsageRequest.whole(sessionId, Measure.ALLOCATED, Measure.FREED_LATER);
    }

    public SessionTotals totals(long sessionId) {
        MapSqlParameterSource params = new MapSqlParameterSource();
        String sql = SQL.formatted(Measure.ALLOCATED.count(), Measure.FREED_LATER.count(), Measure.ALLOCATED.bytes(),
                Measure.FREED_LATER.bytes(), usage.from(request(sessionId), params));
        return jdbc.queryForObject(sql, params, (rs, i) -> new SessionTotals(
                rs.getLong("allocations"), rs.getLong("frees"),
                rs.getLong("bytes_allocated"), rs.getLong("bytes_freed")));
    }
}

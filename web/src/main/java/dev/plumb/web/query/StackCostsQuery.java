package dev.plumb.web.query;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.springframework.jdbc.core.namedparam.MapSqlParameterSource;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;
import org.springframework.stereotype.Component;

/** Allocated and leaked totals of every backtrace of a session, for the exports: from the rollup. */
@Component
public class StackCostsQuery {
    private static final String SQL = """
            SELECT u.stack_id,
                   round(sum(%1$s))::bigint AS allocations,
                   round(sum(%2$s))::bigint AS bytes_allocated,
                   round(sum(%3$s))::bigint AS leaked,
                   round(sum(%4$s))::bigint AS bytes_leaked
              FROM %5$s
             GROUP BY u.stack_id
            HAVING %6$s
             ORDER BY bytes_leaked DESC, bytes_allocated DESC, u.stack_id
            """;

    private final NamedParameterJdbcTemplate jdbc;
    private final StackFramesQuery frames;
    private final UsageSource usage;

    public StackCostsQuery(NamedParameterJdbcTemplate jdbc, StackFramesQuery frames, UsageSource usage) {
        this.jdbc = jdbc;
        this.frames = frames;
        this.usage = usage;
    }

    static UsageRequest request(long sessionId) {
        return UsageRequest.whole(sessionId, Measure.ALLOCATED, Measure.LEAKED);
    }

    public List<StackCost> costs(long sessionId) {
        record Row(long stackId, long allocations, long bytesAllocated, long leaked, long bytesLeaked) {
        }
        MapSqlParameterSource params = new MapSqlParameterSource();
        String sql = SQL.formatted(Measure.ALLOCATED.count(), Measure.ALLOCATED.bytes(), Measure.LEAKED.count(),
                Measure.LEAKED.bytes(), usage.from(request(sessionId), params), Measure.ALLOCATED.nonEmpty());
        List<Row> rows = jdbc.query(sql, params, (rs, i) -> new Row(rs.getLong("stack_id"),
                rs.getLong("allocations"), rs.getLong("bytes_allocated"), rs.getLong("leaked"),
                rs.getLong("bytes_leaked")));
        Map<Long, List<Frame>> framesByStack = frames.framesOf(rows.stream().map(Row::stackId).toList());
        List<StackCost> costs = new ArrayList<>(rows.size());
        for (Row r : rows) {
            costs.add(new StackCost(r.stackId(), framesByStack.getOrDefault(r.stackId(), List.of()),
                    r.allocations(), r.bytesAllocated(), r.leaked(), r.bytesLeaked()));
        }
        return costs;
    }
}

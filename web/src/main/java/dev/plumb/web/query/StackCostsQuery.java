package dev.plumb.web.query;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;
import org.springframework.stereotype.Component;

/** Allocated and leaked totals of every backtrace of a session, for the exports. */
@Component
public class StackCostsQuery {
    private static final String SQL = """
            SELECT a.stack_id,
                   round(sum(a.weight))::bigint AS allocations,
                   round(sum(a.size * a.weight))::bigint AS bytes_allocated,
                   coalesce(round(sum(a.weight) FILTER (WHERE f.alloc_id IS NULL)), 0)::bigint AS leaked,
                   coalesce(round(sum(a.size * a.weight) FILTER (WHERE f.alloc_id IS NULL)), 0)::bigint AS bytes_leaked
              FROM allocations a
              LEFT JOIN frees f ON f.session_id = a.session_id AND f.alloc_id = a.alloc_id
             WHERE a.session_id = :id
             GROUP BY a.stack_id
             ORDER BY bytes_leaked DESC, bytes_allocated DESC, a.stack_id
            """;

    private final NamedParameterJdbcTemplate jdbc;
    private final StackFramesQuery frames;

    public StackCostsQuery(NamedParameterJdbcTemplate jdbc, StackFramesQuery frames) {
        this.jdbc = jdbc;
        this.frames = frames;
    }

    public List<StackCost> costs(long sessionId) {
        record Row(long stackId, long allocations, long bytesAllocated, long leaked, long bytesLeaked) {
        }
        List<Row> rows = jdbc.query(SQL, Map.of("id", sessionId), (rs, i) -> new Row(rs.getLong("stack_id"),
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

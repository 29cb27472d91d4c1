package dev.plumb.web.query;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.springframework.jdbc.core.namedparam.MapSqlParameterSource;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * Leaked allocations (never freed) of a session grouped by backtrace, largest leaked bytes
 * first — bytehound's "only leaked, grouped by backtrace". Read from the rollup unless a size
 * filter needs raw rows ({@link UsageSource}). The function filter is a bind parameter used with
 * PostgreSQL's {@code ~}; an invalid pattern surfaces as SQLState 2201B
 * (invalid_regular_expression), which the API maps to 400.
 */
@Component
public class LeakGroupsQuery {
    private static final String GROUPS = """
            SELECT u.stack_id, round(sum(%1$s))::bigint AS bytes, round(sum(%2$s))::bigint AS n
              FROM %3$s
             GROUP BY u.stack_id
            HAVING %4$s%5$s
            """;
    private static final String BY_BYTES = " ORDER BY bytes DESC, stack_id LIMIT :limit";
    private static final String BY_COUNT = " ORDER BY n DESC, bytes DESC, stack_id LIMIT :limit";

    private final NamedParameterJdbcTemplate jdbc;
    private final StackFramesQuery frames;
    private final UsageSource usage;

    public LeakGroupsQuery(NamedParameterJdbcTemplate jdbc, StackFramesQuery frames, UsageSource usage) {
        this.jdbc = jdbc;
        this.frames = frames;
        this.usage = usage;
    }

    /** The request this filter makes of the usage rows (which path answers it is {@link UsageSource#path}). */
    static UsageRequest request(long sessionId, LeakFilter filter) {
        return UsageRequest.totals(sessionId, filter.fromUs(), filter.toUs(),
                AllocationConditions.sizeBetween(filter.minSize(), filter.maxSize()), null, Measure.LEAKED);
    }

    public List<LeakGroup> find(long sessionId, LeakFilter filter) {
        MapSqlParameterSource params = new MapSqlParameterSource().addValue("limit", filter.limit());
        List<String> function = filter.functionRegex() == null || filter.functionRegex().isEmpty() ? List.of()
                : List.of(filter.functionRegex());
        String sql = GROUPS.formatted(Measure.LEAKED.bytes(), Measure.LEAKED.count(),
                usage.from(request(sessionId, filter), params), Measure.LEAKED.nonEmpty(),
                StackPredicates.where("u.stack_id", function, List.of(), params));
        // growth is ranked by the caller from the series of the largest groups
        sql += filter.sort() == LeakFilter.Sort.COUNT ? BY_COUNT : BY_BYTES;
        record Row(long stackId, long bytes, long count) {
        }
        List<Row> rows = jdbc.query(sql, params,
                (rs, i) -> new Row(rs.getLong("stack_id"), rs.getLong("bytes"), rs.getLong("n")));
        Map<Long, List<Frame>> framesByStack = frames.framesOf(rows.stream().map(Row::stackId).toList());
        List<LeakGroup> groups = new ArrayList<>(rows.size());
        for (Row r : rows) {
            groups.add(new LeakGroup(r.stackId(), r.bytes(), r.count(),
                    List.copyOf(framesByStack.getOrDefault(r.stackId(), List.of()))));
        }
        return groups;
    }

    /** The backtrace that leaked the most bytes in the session, if anything leaked. */
    public Optional<LeakGroup> top(long sessionId) {
        return find(sessionId, LeakFilter.all().withLimit(1)).stream().findFirst();
    }
}

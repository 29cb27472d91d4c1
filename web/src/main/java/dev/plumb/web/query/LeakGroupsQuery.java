package dev.plumb.web.query;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.springframework.jdbc.core.namedparam.MapSqlParameterSource;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * Leaked allocations (no row in frees) of a session grouped by backtrace, largest leaked
 * bytes first — bytehound's "only leaked, grouped by backtrace". The function filter is a
 * bind parameter used with PostgreSQL's {@code ~}; an invalid pattern surfaces as SQLState
 * 2201B (invalid_regular_expression), which the API maps to 400.
 */
@Component
public class LeakGroupsQuery {
    private static final String GROUPS = """
            SELECT a.stack_id, round(sum(a.size * a.weight))::bigint AS bytes, round(sum(a.weight))::bigint AS n
              FROM allocations a
             WHERE a.session_id = :session
               AND a.allocated_us BETWEEN :fromUs AND :toUs
               AND a.size >= :minSize AND a.size <= :maxSize
               AND NOT EXISTS (SELECT 1 FROM frees f
                                WHERE f.session_id = a.session_id AND f.alloc_id = a.alloc_id)
             GROUP BY a.stack_id
            """;
    private static final String BY_BYTES = " ORDER BY bytes DESC, stack_id LIMIT :limit";
    private static final String BY_COUNT = " ORDER BY n DESC, bytes DESC, stack_id LIMIT :limit";
    private static final String MATCHING_FUNCTION = "SELECT g.* FROM (" + GROUPS + ") g"
            + " WHERE EXISTS (SELECT 1 FROM stack_frames sf"
            + " WHERE sf.stack_id = g.stack_id AND sf.function ~ :function)";

    private final NamedParameterJdbcTemplate jdbc;
    private final StackFramesQuery frames;

    public LeakGroupsQuery(NamedParameterJdbcTemplate jdbc, StackFramesQuery frames) {
        this.jdbc = jdbc;
        this.frames = frames;
    }

    public List<LeakGroup> find(long sessionId, LeakFilter filter) {
        MapSqlParameterSource params = new MapSqlParameterSource()
                .addValue("session", sessionId)
                .addValue("fromUs", filter.fromUs() == null ? Long.MIN_VALUE : filter.fromUs())
                .addValue("toUs", filter.toUs() == null ? Long.MAX_VALUE : filter.toUs())
                .addValue("minSize", filter.minSize())
                .addValue("maxSize", filter.maxSizeOrUnbounded())
                .addValue("limit", filter.limit());
        String sql = GROUPS;
        if (filter.functionRegex() != null && !filter.functionRegex().isEmpty()) {
            params.addValue("function", filter.functionRegex());
            sql = MATCHING_FUNCTION;
        }
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

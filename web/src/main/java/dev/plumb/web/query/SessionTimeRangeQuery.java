package dev.plumb.web.query;

import java.util.Map;
import java.util.Optional;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * The time a session covers: from its start (or its first event, if an agent's clock put one
 * earlier) to its end, or to its last event while it is still running.
 */
@Component
public class SessionTimeRangeQuery {
    private static final String SQL = """
            SELECT (extract(epoch FROM s.started_at) * 1000000)::bigint AS started_us,
                   (extract(epoch FROM s.ended_at) * 1000000)::bigint AS ended_us,
                   (SELECT min(allocated_us) FROM allocations WHERE session_id = s.id) AS first_alloc_us,
                   (SELECT max(allocated_us) FROM allocations WHERE session_id = s.id) AS last_alloc_us,
                   (SELECT max(freed_us) FROM frees WHERE session_id = s.id) AS last_free_us
              FROM sessions s
             WHERE s.id = :id
            """;

    private final NamedParameterJdbcTemplate jdbc;

    public SessionTimeRangeQuery(NamedParameterJdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    public Optional<TimeRange> find(long sessionId) {
        return jdbc.query(SQL, Map.of("id", sessionId), (rs, i) -> {
            long started = rs.getLong("started_us");
            long firstAlloc = rs.getLong("first_alloc_us");
            long start = rs.wasNull() ? started : Math.min(started, firstAlloc);
            long ended = rs.getLong("ended_us");
            boolean running = rs.wasNull();
            long lastEvent = Math.max(rs.getLong("last_alloc_us"), rs.getLong("last_free_us"));
            long end = Math.max(start, running ? lastEvent : Math.max(ended, lastEvent));
            return new TimeRange(start, end);
        }).stream().findFirst();
    }
}

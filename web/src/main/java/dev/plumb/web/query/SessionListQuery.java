package dev.plumb.web.query;

import java.util.List;
import java.util.Map;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;
import org.springframework.stereotype.Component;

/** Sessions, newest first, one page at a time; and how many there are in all. */
@Component
public class SessionListQuery {
    private static final String LIST = "SELECT " + SessionRows.COLUMNS
            + " FROM sessions ORDER BY started_at DESC, id DESC LIMIT :limit OFFSET :offset";

    private final NamedParameterJdbcTemplate jdbc;

    public SessionListQuery(NamedParameterJdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    public List<SessionRow> list(int limit, long offset) {
        return jdbc.query(LIST, Map.of("limit", limit, "offset", offset), SessionRows.MAPPER);
    }

    public long count() {
        Long n = jdbc.getJdbcTemplate().queryForObject("SELECT count(*) FROM sessions", Long.class);
        return n == null ? 0 : n;
    }
}

package dev.plumb.web.query;

import java.util.Map;
import java.util.Optional;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;
import org.springframework.stereotype.Component;

/** One session by id. */
@Component
public class SessionByIdQuery {
    private static final String SQL = "SELECT " + SessionRows.COLUMNS + " FROM sessions WHERE id = :id";

    private final NamedParameterJdbcTemplate jdbc;

    public SessionByIdQuery(NamedParameterJdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    public Optional<SessionRow> find(long id) {
        return jdbc.query(SQL, Map.of("id", id), SessionRows.MAPPER).stream().findFirst();
    }
}

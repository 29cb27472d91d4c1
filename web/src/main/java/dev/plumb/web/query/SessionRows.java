package dev.plumb.web.query;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import org.springframework.jdbc.core.RowMapper;

/** The columns and the row mapper shared by the queries that read {@code sessions}. */
final class SessionRows {
    static final String COLUMNS =
            "id, host, service, deployment, pid, exe, started_at, ended_at, dropped_events";

    static final RowMapper<SessionRow> MAPPER = SessionRows::map;

    private SessionRows() {
    }

    private static SessionRow map(ResultSet rs, int row) throws SQLException {
        OffsetDateTime ended = rs.getObject("ended_at", OffsetDateTime.class);
        return new SessionRow(rs.getLong("id"), rs.getString("host"), rs.getString("service"),
                rs.getString("deployment"), rs.getInt("pid"), rs.getString("exe"),
                rs.getObject("started_at", OffsetDateTime.class).toInstant(),
                ended == null ? null : ended.toInstant(), rs.getLong("dropped_events"));
    }
}

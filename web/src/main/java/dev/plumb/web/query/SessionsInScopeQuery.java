package dev.plumb.web.query;

import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import org.springframework.jdbc.core.namedparam.MapSqlParameterSource;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * Sessions the alert evaluator and the deployment views look at: those still running or
 * ended recently (for alerts), or the newest of one deployment (for its verdict and for deploy
 * comparison). Scope values are bind parameters; null means any.
 */
@Component
public class SessionsInScopeQuery {
    private static final String ACTIVE = "SELECT " + SessionRows.COLUMNS + " FROM sessions"
            + " WHERE (ended_at IS NULL OR ended_at >= :endedSince) ORDER BY id LIMIT :limit";
    private static final String OF_DEPLOYMENT = "SELECT " + SessionRows.COLUMNS + " FROM sessions"
            + " WHERE service = :service AND deployment = :deployment"
            + " ORDER BY started_at DESC, id DESC LIMIT :limit";

    private final NamedParameterJdbcTemplate jdbc;

    public SessionsInScopeQuery(NamedParameterJdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    /** Running sessions and those that ended at or after endedSince, at most limit. */
    public List<SessionRow> active(Instant endedSince, int limit) {
        MapSqlParameterSource params = new MapSqlParameterSource()
                .addValue("endedSince", Timestamp.from(endedSince))
                .addValue("limit", limit);
        return jdbc.query(ACTIVE, params, SessionRows.MAPPER);
    }

    /** The newest sessions of one deployment of a service, at most limit. */
    public List<SessionRow> ofDeployment(String service, String deployment, int limit) {
        MapSqlParameterSource params = new MapSqlParameterSource()
                .addValue("service", service)
                .addValue("deployment", deployment)
                .addValue("limit", limit);
        return jdbc.query(OF_DEPLOYMENT, params, SessionRows.MAPPER);
    }
}

package dev.plumb.web.query;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.jdbc.core.namedparam.MapSqlParameterSource;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * The deployments of each service, newest first (by their newest process's start): what the
 * compare page offers and which two the fleet dashboard's "compare deploys" link picks.
 */
@Component
public class ServiceDeploymentsQuery {
    private static final String SQL = """
            SELECT service, deployment, count(*) AS sessions, count(DISTINCT host) AS hosts,
                   min(started_at) AS first_started, max(started_at) AS last_started,
                   max(coalesce(ended_at, last_seen_at)) AS last_seen
              FROM sessions
             WHERE %s
             GROUP BY service, deployment
             ORDER BY service, last_started DESC, deployment
            """;

    /** One deployment of a service. */
    public record Deployment(String service, String deployment, long sessions, long hosts, Instant firstStarted,
            Instant lastStarted, Instant lastSeen) {
    }

    private final NamedParameterJdbcTemplate jdbc;

    public ServiceDeploymentsQuery(NamedParameterJdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    /** Every service's deployments: service → deployments, newest first; services by name. */
    public Map<String, List<Deployment>> all() {
        return query("true", new MapSqlParameterSource());
    }

    /** The same for the given services only. */
    public Map<String, List<Deployment>> of(Collection<String> services) {
        if (services.isEmpty()) {
            return Map.of();
        }
        return query("service IN (:services)", new MapSqlParameterSource("services", services));
    }

    private Map<String, List<Deployment>> query(String condition, MapSqlParameterSource params) {
        Map<String, List<Deployment>> result = new LinkedHashMap<>();
        jdbc.query(SQL.formatted(condition), params, rs -> {
            Deployment d = new Deployment(rs.getString("service"), rs.getString("deployment"), rs.getLong("sessions"),
                    rs.getLong("hosts"), instant(rs.getObject("first_started", OffsetDateTime.class)),
                    instant(rs.getObject("last_started", OffsetDateTime.class)),
                    instant(rs.getObject("last_seen", OffsetDateTime.class)));
            result.computeIfAbsent(d.service(), k -> new ArrayList<>()).add(d);
        });
        result.replaceAll((k, v) -> List.copyOf(v));
        return result;
    }

    private static Instant instant(OffsetDateTime t) {
        return t == null ? null : t.toInstant();
    }
}

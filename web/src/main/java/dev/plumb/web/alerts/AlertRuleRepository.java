package dev.plumb.web.alerts;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.springframework.jdbc.core.namedparam.MapSqlParameterSource;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;
import org.springframework.stereotype.Component;

/** The user's alert rules in {@code alert_rules}; every value is a bind parameter. */
@Component
public class AlertRuleRepository {
    private static final String COLUMNS = "id, name, service, deployment, host, min_slope_bytes_per_second, min_r2,"
            + " memory_limit_bytes, max_time_to_limit_seconds, for_seconds, enabled";
    private static final String VALUES = ":name, :service, :deployment, :host, :minSlope, :minR2, :limit, :maxTtl,"
            + " :forSeconds, :enabled";

    private final NamedParameterJdbcTemplate jdbc;

    public AlertRuleRepository(NamedParameterJdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    public List<AlertRule> list() {
        return jdbc.query("SELECT " + COLUMNS + " FROM alert_rules ORDER BY id", AlertRuleRepository::map);
    }

    public Optional<AlertRule> find(long id) {
        return jdbc.query("SELECT " + COLUMNS + " FROM alert_rules WHERE id = :id", Map.of("id", id),
                AlertRuleRepository::map).stream().findFirst();
    }

    /** @return the rule as stored, with its new id */
    public AlertRule create(AlertRule rule) {
        Long id = jdbc.queryForObject("INSERT INTO alert_rules (" + COLUMNS.substring(4) + ") VALUES (" + VALUES
                + ") RETURNING id", params(rule), Long.class);
        return find(id).orElseThrow();
    }

    /** @return the updated rule, or empty if there is no rule with that id */
    public Optional<AlertRule> update(long id, AlertRule rule) {
        int n = jdbc.update("UPDATE alert_rules SET (" + COLUMNS.substring(4) + ", updated_at) = (" + VALUES
                + ", now()) WHERE id = :id", params(rule).addValue("id", id));
        return n == 0 ? Optional.empty() : find(id);
    }

    public boolean delete(long id) {
        return jdbc.update("DELETE FROM alert_rules WHERE id = :id", Map.of("id", id)) > 0;
    }

    private static MapSqlParameterSource params(AlertRule r) {
        return new MapSqlParameterSource()
                .addValue("name", r.name())
                .addValue("service", r.service(), Types.VARCHAR)
                .addValue("deployment", r.deployment(), Types.VARCHAR)
                .addValue("host", r.host(), Types.VARCHAR)
                .addValue("minSlope", r.minSlopeBytesPerSecond())
                .addValue("minR2", r.minR2())
                .addValue("limit", r.memoryLimitBytes(), Types.BIGINT)
                .addValue("maxTtl", r.maxTimeToLimitSeconds(), Types.BIGINT)
                .addValue("forSeconds", r.forSeconds())
                .addValue("enabled", r.enabled());
    }

    private static AlertRule map(ResultSet rs, int row) throws SQLException {
        return new AlertRule(rs.getLong("id"), rs.getString("name"), rs.getString("service"),
                rs.getString("deployment"), rs.getString("host"), rs.getDouble("min_slope_bytes_per_second"),
                rs.getDouble("min_r2"), rs.getObject("memory_limit_bytes", Long.class),
                rs.getObject("max_time_to_limit_seconds", Long.class), rs.getLong("for_seconds"),
                rs.getBoolean("enabled"), false);
    }
}

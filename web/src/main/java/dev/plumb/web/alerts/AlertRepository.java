package dev.plumb.web.alerts;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.jdbc.core.namedparam.MapSqlParameterSource;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;
import org.springframework.stereotype.Component;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.ObjectMapper;

/**
 * Alert state in {@code alerts}, kept in PostgreSQL so that a restart neither forgets a firing
 * alert (and its resolution) nor fires it again.
 */
@Component
public class AlertRepository {
    private static final TypeReference<Map<String, String>> STRING_MAP = new TypeReference<>() {
    };
    private static final String COLUMNS = "fingerprint, rule_key, labels::text AS labels, annotations::text AS annotations,"
            + " status, pending_since, started_at, resolved_at, last_notified_at";

    private final NamedParameterJdbcTemplate jdbc;
    private final ObjectMapper json;

    public AlertRepository(NamedParameterJdbcTemplate jdbc, ObjectMapper json) {
        this.jdbc = jdbc;
        this.json = json;
    }

    /** Pending and firing alerts by fingerprint. */
    public Map<String, AlertState> open() {
        Map<String, AlertState> result = new LinkedHashMap<>();
        for (AlertState s : jdbc.query("SELECT " + COLUMNS + " FROM alerts WHERE status IN ('pending', 'firing')"
                + " ORDER BY pending_since, fingerprint", this::map)) {
            result.put(s.fingerprint(), s);
        }
        return result;
    }

    /** Every alert with one of these statuses, newest first. */
    public List<AlertState> withStatus(List<String> statuses) {
        return jdbc.query("SELECT " + COLUMNS + " FROM alerts WHERE status IN (:statuses)"
                + " ORDER BY coalesce(started_at, pending_since) DESC, fingerprint", Map.of("statuses", statuses), this::map);
    }

    /** A new alert, or one that had resolved and whose condition returned, starts pending. */
    public void pending(String fingerprint, String ruleKey, Map<String, String> labels,
            Map<String, String> annotations, Instant now) {
        jdbc.update("""
                INSERT INTO alerts (fingerprint, rule_key, labels, annotations, status, pending_since, last_evaluated_at)
                VALUES (:fp, :rule, :labels::jsonb, :annotations::jsonb, 'pending', :now, :now)
                ON CONFLICT (fingerprint) DO UPDATE SET rule_key = excluded.rule_key, labels = excluded.labels,
                    annotations = excluded.annotations, status = 'pending', pending_since = excluded.pending_since,
                    started_at = NULL, resolved_at = NULL, last_evaluated_at = excluded.last_evaluated_at
                """, params(fingerprint, now).addValue("rule", ruleKey).addValue("labels", write(labels))
                .addValue("annotations", write(annotations)));
    }

    public void fire(String fingerprint, Map<String, String> annotations, Instant now) {
        jdbc.update("UPDATE alerts SET status = 'firing', started_at = :now, annotations = :annotations::jsonb,"
                + " last_evaluated_at = :now WHERE fingerprint = :fp",
                params(fingerprint, now).addValue("annotations", write(annotations)));
    }

    /** Still firing: keep the evidence current. */
    public void refresh(String fingerprint, Map<String, String> annotations, Instant now) {
        jdbc.update("UPDATE alerts SET annotations = :annotations::jsonb, last_evaluated_at = :now"
                + " WHERE fingerprint = :fp", params(fingerprint, now).addValue("annotations", write(annotations)));
    }

    public void resolve(String fingerprint, Instant now) {
        jdbc.update("UPDATE alerts SET status = 'resolved', resolved_at = :now, last_evaluated_at = :now"
                + " WHERE fingerprint = :fp", params(fingerprint, now));
    }

    /** A pending alert whose condition went away before it fired leaves no trace. */
    public void delete(String fingerprint) {
        jdbc.update("DELETE FROM alerts WHERE fingerprint = :fp AND status = 'pending'", Map.of("fp", fingerprint));
    }

    public void notified(String fingerprint, Instant at) {
        jdbc.update("UPDATE alerts SET last_notified_at = :now WHERE fingerprint = :fp", params(fingerprint, at));
    }

    private static MapSqlParameterSource params(String fingerprint, Instant now) {
        return new MapSqlParameterSource().addValue("fp", fingerprint).addValue("now", Timestamp.from(now));
    }

    private String write(Map<String, String> map) {
        return json.writeValueAsString(map);
    }

    private AlertState map(ResultSet rs, int row) throws SQLException {
        return new AlertState(rs.getString("fingerprint"), rs.getString("rule_key"),
                json.readValue(rs.getString("labels"), STRING_MAP), json.readValue(rs.getString("annotations"), STRING_MAP),
                rs.getString("status"), instant(rs, "pending_since"), instant(rs, "started_at"),
                instant(rs, "resolved_at"), instant(rs, "last_notified_at"));
    }

    private static Instant instant(ResultSet rs, String column) throws SQLException {
        OffsetDateTime t = rs.getObject(column, OffsetDateTime.class);
        return t == null ? null : t.toInstant();
    }
}

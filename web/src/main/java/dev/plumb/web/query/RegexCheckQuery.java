package dev.plumb.web.query;

import java.sql.SQLException;
import java.util.Map;
import java.util.Optional;
import org.springframework.dao.DataAccessException;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * Asks PostgreSQL whether it accepts a regular expression (its dialect differs from Java's in
 * places), so that a bad one can be reported where the user wrote it instead of failing the
 * whole query.
 */
@Component
public class RegexCheckQuery {
    private static final String INVALID_REGEX_SQLSTATE = "2201B";

    private final NamedParameterJdbcTemplate jdbc;

    public RegexCheckQuery(NamedParameterJdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    /** PostgreSQL's complaint, or empty if the pattern is valid. */
    public Optional<String> problem(String regex) {
        try {
            jdbc.queryForObject("SELECT '' ~ :re", Map.of("re", regex), Boolean.class);
            return Optional.empty();
        } catch (DataAccessException e) {
            for (Throwable t = e; t != null; t = t.getCause()) {
                if (t instanceof SQLException sql && INVALID_REGEX_SQLSTATE.equals(sql.getSQLState())) {
                    String m = sql.getMessage() == null ? "invalid" : sql.getMessage().lines().findFirst().orElse("");
                    return Optional.of(m.startsWith("ERROR: ") ? m.substring(7) : m);
                }
            }
            throw e;
        }
    }
}

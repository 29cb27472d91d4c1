package dev.plumb.web.query;

import java.util.List;
import org.springframework.jdbc.core.namedparam.MapSqlParameterSource;

/**
 * Conditions on a backtrace's frames — "passes through a function matching this regex" and its
 * negation — as SQL on a stack id column. They hold for all of a backtrace's allocations alike,
 * so both the rollup and raw rows answer them. Regexes go to PostgreSQL's {@code ~} as bind
 * parameters; parameter names are counters, never user text.
 */
final class StackPredicates {
    private StackPredicates() {
    }

    /** " AND …" conditions (possibly empty) on stackColumn. */
    static String where(String stackColumn, List<String> through, List<String> notThrough,
            MapSqlParameterSource params) {
        StringBuilder sql = new StringBuilder();
        conditions(sql, stackColumn, params, through, "stackFn", "EXISTS");
        conditions(sql, stackColumn, params, notThrough, "stackNotFn", "NOT EXISTS");
        return sql.toString();
    }

    private static void conditions(StringBuilder sql, String stackColumn, MapSqlParameterSource params,
            List<String> regexes, String prefix, String exists) {
        for (int i = 0; i < regexes.size(); i++) {
            String name = prefix + i;
            sql.append(" AND ").append(exists).append(" (SELECT 1 FROM stack_frames sf WHERE sf.stack_id = ")
                    .append(stackColumn).append(" AND sf.function ~ :").append(name).append(')');
            params.addValue(name, regexes.get(i));
        }
    }
}

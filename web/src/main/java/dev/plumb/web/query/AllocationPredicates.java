package dev.plumb.web.query;

import org.springframework.jdbc.core.namedparam.MapSqlParameterSource;

/**
 * The SQL of {@link AllocationConditions}, over {@code allocations a} and {@code frees f} (the
 * allocation's free, or none). Every fragment is a constant of this class and every value a bind
 * parameter, so no user text ever becomes SQL. {@code :selEnd} is the session's end, the
 * lifetime's end of an allocation that was never freed.
 */
final class AllocationPredicates {
    private static final String LIFETIME = "(coalesce(f.freed_us, :selEnd) - a.allocated_us)";

    private AllocationPredicates() {
    }

    /** " AND …" conditions (empty for none); session is the session's whole time range. */
    static String where(AllocationConditions c, TimeRange session, MapSqlParameterSource params) {
        StringBuilder sql = new StringBuilder();
        condition(sql, params, "a.allocated_us >= :selFrom", "selFrom", c.fromUs());
        condition(sql, params, "a.allocated_us <= :selUntil", "selUntil", c.untilUs());
        condition(sql, params, "a.size > :selLarger", "selLarger", c.largerThan());
        condition(sql, params, "a.size < :selSmaller", "selSmaller", c.smallerThan());
        condition(sql, params, "a.allocated_us <= :selAt AND (f.alloc_id IS NULL OR f.freed_us > :selAt)",
                "selAt", c.aliveAtUs());
        if (c.minLifetimeUs() != null || c.maxLifetimeUs() != null) {
            params.addValue("selEnd", session.endUs());
        }
        condition(sql, params, LIFETIME + " >= :selMinLife", "selMinLife", c.minLifetimeUs());
        condition(sql, params, LIFETIME + " <= :selMaxLife", "selMaxLife", c.maxLifetimeUs());
        return sql.toString();
    }

    private static void condition(StringBuilder sql, MapSqlParameterSource params, String fragment, String name,
            Long value) {
        if (value != null) {
            sql.append(" AND ").append(fragment);
            params.addValue(name, value);
        }
    }
}

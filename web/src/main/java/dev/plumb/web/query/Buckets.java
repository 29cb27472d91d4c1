package dev.plumb.web.query;

import org.springframework.jdbc.core.namedparam.MapSqlParameterSource;

/**
 * Maps event times to the sample points of a {@link TimeRange} in SQL, so the database
 * returns one row per (point, key) instead of every event. An event at time t belongs to the
 * first point at or after t: ceil((t − start)·(points−1)/span), 0 for events before the
 * start. Summing the deltas of buckets 0..i gives the value at point i exactly.
 */
final class Buckets {
    private Buckets() {
    }

    /** SQL for the bucket of a µs column; uses :bStart, :bSpan, :bN1. */
    static String of(String column) {
        return "(CASE WHEN " + column + " <= :bStart THEN 0 ELSE ((" + column
                + " - :bStart) * :bN1 + :bSpan - 1) / :bSpan END)";
    }

    /** Adds :bStart, :bSpan, :bN1 and :bEnd (events after it are excluded by the caller). */
    static MapSqlParameterSource bind(MapSqlParameterSource params, TimeRange range, int points) {
        return params.addValue("bStart", range.startUs())
                .addValue("bSpan", range.spanUs())
                .addValue("bN1", (long) points - 1)
                .addValue("bEnd", range.endUs());
    }
}

package dev.plumb.web.query;

import java.util.ArrayList;
import java.util.List;
import org.springframework.jdbc.core.namedparam.MapSqlParameterSource;

/**
 * Maps event times to the sample points of a {@link TimeRange} in SQL, so the database
 * returns one row per (point, key) instead of every event. An event at time t belongs to the
 * first point at or after t; summing the deltas of buckets 0..i gives the value at point i
 * exactly.
 *
 * <p>The SQL formula is that of evenly spaced points: ceil((x − start)·(points−1)/span), 0 for x
 * at or before the start. When the points sit on whole grains G ({@link TimeRange#grainUs}: each
 * evenly spaced point p moved up to ceil_G(p)), "the first point at or after t" is the first p
 * with ceil_G(p) ≥ t, i.e. with p ≥ ceil_G(t) − G + 1 µs: the usage rows then carry that time,
 * {@code u.t = ceil_G(t) − G + 1} ({@link UsageSource} computes it for raw rows and rollup rows),
 * and the same formula places them.
 */
final class Buckets {
    private Buckets() {
    }


    /** SQL for the bucket of a µs column; uses :bStart, :bSpan, :bN1. */
    static String of(String column) {
        return "(CASE WHEN " + column + " <= :bStart THEN 0 ELSE ((" + column
                + " - :bStart) * :bN1 + :bSpan - 1) / :bSpan END)";
    }

    /** Adds :bStart, :bSpan and :bN1. */
    static MapSqlParameterSource bind(MapSqlParameterSource params, TimeRange range, int points) {
        return params.addValue("bStart", range.startUs())
                .addValue("bSpan", range.spanUs())
                .addValue("bN1", (long) points - 1);
    }

    /** The sample points' times, µs. */
    static List<Long> points(TimeRange range, int points) {
        List<Long> times = new ArrayList<>(points);
        for (int i = 0; i < points; i++) {
            times.add(range.pointUs(i, points));
        }
        return times;
    }
}

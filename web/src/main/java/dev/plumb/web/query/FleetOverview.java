package dev.plumb.web.query;

/**
 * The fleet dashboard for one scope and time range: the whole scope as one row with its
 * services, deployments and hosts below it ({@link FleetNode}).
 *
 * @param range        the time range, null when nothing matched and none was given
 * @param timesMs      the times of the series' points, epoch milliseconds
 * @param root         the whole scope; its children are the services
 * @param truncated    more processes matched than {@link FleetSeriesQuery#MAX_SESSIONS} (the newest are shown)
 * @param anySessions  whether any session was ever recorded, to tell an empty fleet from an empty filter
 */
public record FleetOverview(TimeRange range, long[] timesMs, FleetNode root, boolean truncated,
        boolean anySessions) {
}

package dev.plumb.web.query;

import java.util.List;

/**
 * The heap and leaked bytes of every session of a fleet scope at the same evenly spaced points
 * of a time range ({@link FleetSeriesQuery}). A session's value at a point is what the process
 * held at that time — at the last moment before it that the process was alive, if it ended in
 * between — and 0 where the process was not alive, so summing sessions gives a host's,
 * deployment's or service's memory.
 *
 * @param range     the time range the points divide
 * @param timesMs   the points' times, epoch milliseconds
 * @param sessions  newest first
 * @param truncated whether more sessions matched than were fetched
 */
public record FleetSeries(TimeRange range, long[] timesMs, List<SessionSeries> sessions, boolean truncated) {

    /** One session's values at {@link FleetSeries#timesMs()}; alive[i] says whether it was alive at point i. */
    public record SessionSeries(FleetSession session, long[] heap, long[] leaked, boolean[] alive) {
        /** Index of the last point at which the process was alive, -1 if none. */
        public int lastAlive() {
            for (int i = alive.length - 1; i >= 0; i--) {
                if (alive[i]) {
                    return i;
                }
            }
            return -1;
        }
    }
}

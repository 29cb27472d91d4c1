package dev.plumb.web.query;

import java.time.Instant;

/**
 * A session as the fleet views see it: its row, and when it was last alive — its end, or for a
 * running process the last time its agent delivered anything (so a process whose agent vanished
 * without an end does not count as alive for ever).
 */
public record FleetSession(SessionRow row, Instant lastSeen) {
    public long startUs() {
        return FleetSeriesQuery.micros(row.startedAt());
    }

    public long lastSeenUs() {
        return Math.max(startUs(), FleetSeriesQuery.micros(lastSeen));
    }
}

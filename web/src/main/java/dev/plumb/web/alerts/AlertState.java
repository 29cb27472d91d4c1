package dev.plumb.web.alerts;

import java.time.Instant;
import java.util.Map;

/**
 * A row of {@code alerts}: one alert instance and where it is in its life
 * (pending → firing → resolved).
 */
public record AlertState(String fingerprint, String ruleKey, Map<String, String> labels,
        Map<String, String> annotations, String status, Instant pendingSince, Instant startedAt,
        Instant resolvedAt, Instant lastNotifiedAt) {
    public static final String PENDING = "pending";
    public static final String FIRING = "firing";
    public static final String RESOLVED = "resolved";
}

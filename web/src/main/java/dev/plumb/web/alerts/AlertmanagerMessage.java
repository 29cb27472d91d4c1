package dev.plumb.web.alerts;

import java.util.List;
import java.util.Map;

/**
 * The body Alertmanager POSTs to a webhook receiver (version "4"), so anything that consumes
 * Alertmanager webhooks consumes Plumb's. Plumb sends one message per alert state change.
 */
public record AlertmanagerMessage(String version, String groupKey, int truncatedAlerts, String status,
        String receiver, Map<String, String> groupLabels, Map<String, String> commonLabels,
        Map<String, String> commonAnnotations, String externalURL, List<Alert> alerts) {
    public static final String VERSION = "4";
    public static final String RECEIVER = "plumb";
    /** Alertmanager's "no end yet" for endsAt of a firing alert. */
    public static final String NO_END = "0001-01-01T00:00:00Z";

    public record Alert(String status, Map<String, String> labels, Map<String, String> annotations, String startsAt,
            String endsAt, String generatorURL, String fingerprint) {
    }
}

package dev.plumb.web.alerts;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Builds the webhook message for one alert's state change. */
final class AlertmanagerMessages {
    private AlertmanagerMessages() {
    }

    /** @param endsAt null while firing */
    static AlertmanagerMessage of(AlertState state, String status, Instant startsAt, Instant endsAt, String externalUrl) {
        Map<String, String> labels = state.labels();
        Map<String, String> group = new TreeMap<>();
        for (String key : List.of("alertname", "service", "deployment")) {
            if (labels.containsKey(key)) {
                group.put(key, labels.get(key));
            }
        }
        StringBuilder groupKey = new StringBuilder("{}:{");
        group.forEach((k, v) -> groupKey.append(groupKey.length() > 4 ? ", " : "").append(k).append("=\"")
                .append(v.replace("\"", "\\\"")).append('"'));
        groupKey.append('}');
        String generator = state.annotations().getOrDefault("view_url", externalUrl + "/alerts");
        AlertmanagerMessage.Alert alert = new AlertmanagerMessage.Alert(status, labels, state.annotations(),
                startsAt.toString(), endsAt == null ? AlertmanagerMessage.NO_END : endsAt.toString(), generator,
                state.fingerprint());
        return new AlertmanagerMessage(AlertmanagerMessage.VERSION, groupKey.toString(), 0, status,
                AlertmanagerMessage.RECEIVER, group, labels, state.annotations(), externalUrl, List.of(alert));
    }
}

package dev.plumb.web.api;

import dev.plumb.web.alerts.AlertState;
import java.time.Instant;
import java.util.Map;

/** An alert in /api/alerts: its labels, evidence and life so far (ISO-8601 instants). */
public record AlertJson(String fingerprint, String status, Map<String, String> labels,
        Map<String, String> annotations, String pendingSince, String startsAt, String endsAt,
        String lastNotifiedAt) {

    static AlertJson of(AlertState s) {
        return new AlertJson(s.fingerprint(), s.status(), s.labels(), s.annotations(), iso(s.pendingSince()),
                iso(s.startedAt()), iso(s.resolvedAt()), iso(s.lastNotifiedAt()));
    }

    private static String iso(Instant t) {
        return t == null ? null : t.toString();
    }
}

package dev.plumb.agent.ship;

import java.util.Map;

/** What the gatherer files a session under; process identity comes from the capture stream. */
public record SessionLabels(String host, String service, String deployment, String token, Map<String, String> extra) {
    public SessionLabels {
        extra = Map.copyOf(extra);
    }
}

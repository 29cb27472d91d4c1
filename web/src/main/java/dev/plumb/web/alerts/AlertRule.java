package dev.plumb.web.alerts;

import dev.plumb.web.analysis.LeakVerdict;
import dev.plumb.web.query.SessionRow;
import java.util.OptionalDouble;

/**
 * An alert rule: for every (service, deployment, host) in its scope whose process's retained
 * memory is a linear leak over the evaluation window with at least minSlope and minR2 — and,
 * with a memory limit and maxTimeToLimit, would reach the limit within that time — an alert
 * goes pending, and fires once the condition has held for forSeconds.
 *
 * @param id      database id; null for the built-in rule
 * @param service scope; null = any (same for deployment and host)
 */
public record AlertRule(Long id, String name, String service, String deployment, String host,
        double minSlopeBytesPerSecond, double minR2, Long memoryLimitBytes, Long maxTimeToLimitSeconds,
        long forSeconds, boolean enabled, boolean builtIn) {
    public static final String BUILT_IN_KEY = "builtin";

    /** Identifies the rule in alert state: "builtin" or "rule:{id}". */
    public String key() {
        return builtIn ? BUILT_IN_KEY : "rule:" + id;
    }

    public boolean covers(SessionRow s) {
        return anyOr(service, s.service()) && anyOr(deployment, s.deployment()) && anyOr(host, s.host());
    }

    public OptionalDouble secondsToLimit(LeakVerdict.Result r) {
        return memoryLimitBytes == null ? OptionalDouble.empty() : r.secondsToLimit(memoryLimitBytes);
    }

    public boolean holds(LeakVerdict.Result r) {
        if (r.kind() != LeakVerdict.Kind.LINEAR || r.slopeBytesPerSec() < minSlopeBytesPerSecond || r.r2() < minR2) {
            return false;
        }
        if (maxTimeToLimitSeconds == null) {
            return true;
        }
        OptionalDouble ttl = secondsToLimit(r);
        return ttl.isPresent() && ttl.getAsDouble() <= maxTimeToLimitSeconds;
    }

    private static boolean anyOr(String wanted, String actual) {
        return wanted == null || wanted.equals(actual);
    }
}

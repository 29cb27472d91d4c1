package dev.plumb.web.api;

import dev.plumb.web.alerts.AlertRule;

/**
 * An alert rule as the API reads and writes it. id is "builtin" for the built-in rule, else the
 * rule's number as a string. On input, only name is required; scope fields that are absent or
 * blank mean "any"; absent thresholds take the defaults below.
 */
public record AlertRuleJson(String id, String name, String service, String deployment, String host,
        Double minSlopeBytesPerSecond, Double minR2, Long memoryLimitBytes, Long maxTimeToLimitSeconds,
        Long forSeconds, Boolean enabled, Boolean builtIn) {
    static final int MAX_TEXT = 200;
    static final double DEFAULT_MIN_R2 = 0.9;
    static final long MAX_FOR_SECONDS = 30L * 24 * 3600;

    static AlertRuleJson of(AlertRule r) {
        return new AlertRuleJson(r.builtIn() ? AlertRule.BUILT_IN_KEY : String.valueOf(r.id()), r.name(), r.service(),
                r.deployment(), r.host(), r.minSlopeBytesPerSecond(), r.minR2(), r.memoryLimitBytes(),
                r.maxTimeToLimitSeconds(), r.forSeconds(), r.enabled(), r.builtIn());
    }

    /** Validated user input as a rule; every problem is a 400 naming the field. */
    AlertRule toRule(Long ruleId) {
        String n = text("name", name);
        if (n == null) {
            throw ApiException.badRequest("name is required");
        }
        double slope = minSlopeBytesPerSecond == null ? 0 : minSlopeBytesPerSecond;
        if (!Double.isFinite(slope) || slope < 0) {
            throw ApiException.badRequest("minSlopeBytesPerSecond must be a number ≥ 0, got " + slope);
        }
        double r2 = minR2 == null ? DEFAULT_MIN_R2 : minR2;
        if (!(r2 >= 0 && r2 <= 1)) {
            throw ApiException.badRequest("minR2 must be between 0 and 1, got " + r2);
        }
        if (memoryLimitBytes != null && memoryLimitBytes <= 0) {
            throw ApiException.badRequest("memoryLimitBytes must be a positive number of bytes, got " + memoryLimitBytes);
        }
        if (maxTimeToLimitSeconds != null && (maxTimeToLimitSeconds <= 0 || memoryLimitBytes == null)) {
            throw ApiException.badRequest("maxTimeToLimitSeconds must be positive and needs memoryLimitBytes");
        }
        long forS = forSeconds == null ? 0 : forSeconds;
        if (forS < 0 || forS > MAX_FOR_SECONDS) {
            throw ApiException.badRequest("forSeconds must be from 0 to " + MAX_FOR_SECONDS + ", got " + forS);
        }
        return new AlertRule(ruleId, n, text("service", service), text("deployment", deployment), text("host", host),
                slope, r2, memoryLimitBytes, maxTimeToLimitSeconds, forS, enabled == null || enabled, false);
    }

    /** Trimmed, null when blank, at most MAX_TEXT characters. */
    private static String text(String field, String value) {
        if (value == null || value.isBlank()) {
            return null;
        }
        if (value.length() > MAX_TEXT) {
            throw ApiException.badRequest(field + " is longer than " + MAX_TEXT + " characters");
        }
        return value.trim();
    }
}

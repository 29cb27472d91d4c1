package dev.plumb.web.alerts;

import java.time.Duration;
import org.springframework.stereotype.Component;

/**
 * The default rule, built from {@code plumb.alerts.default-rule.*} rather than stored, so a
 * fresh install alerts on linear leaks before anyone writes a rule and nobody can delete it by
 * accident (disable it with {@code plumb.alerts.default-rule.enabled=false}).
 */
@Component
public class BuiltInRule {
    public static final String NAME = "Linear leak (built-in)";

    private final AlertProperties.DefaultRule settings;

    public BuiltInRule(AlertProperties properties) {
        this.settings = properties.defaultRule();
    }

    public AlertRule rule() {
        long limit = settings.memoryLimit() == null ? 0 : settings.memoryLimit().toBytes();
        Duration maxTtl = settings.maxTimeToLimit();
        return new AlertRule(null, NAME, null, null, null, settings.minSlopeBytesPerSecond(), settings.minR2(),
                limit > 0 ? limit : null, limit > 0 && maxTtl != null ? maxTtl.toSeconds() : null,
                settings.forDuration().toSeconds(), settings.enabled(), true);
    }
}

package dev.plumb.web.alerts;

import java.time.Duration;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.boot.context.properties.bind.Name;
import org.springframework.util.unit.DataSize;

/**
 * {@code plumb.alerts.*}: how often and over what window rules are evaluated, where
 * notifications go, and the built-in default rule (see README "Alerts").
 *
 * @param enabled            evaluate rules at all
 * @param evaluationInterval pause between two evaluations
 * @param window             how much of each process's recent history a verdict is computed over
 * @param endedGrace         an ended process still counts this long after it ended (then its alerts resolve)
 * @param webhookUrls        Alertmanager-compatible webhook receivers; empty = alerts are only shown
 * @param webhookRetries     retries of a failed POST, with exponential backoff from webhookBackoff
 * @param webhookBackoff     first retry delay
 * @param webhookTimeout     longest wait for one POST attempt
 * @param externalUrl        base URL of this web UI in links; empty = http://localhost:{server port}
 * @param defaultRule        the rule that is active without any configuration
 */
@ConfigurationProperties("plumb.alerts")
public record AlertProperties(
        @DefaultValue("true") boolean enabled,
        @DefaultValue("30s") Duration evaluationInterval,
        @DefaultValue("15m") Duration window,
        @DefaultValue("5m") Duration endedGrace,
        @DefaultValue List<String> webhookUrls,
        @DefaultValue("5") int webhookRetries,
        @DefaultValue("1s") Duration webhookBackoff,
        @DefaultValue("10s") Duration webhookTimeout,
        @DefaultValue("") String externalUrl,
        @DefaultValue DefaultRule defaultRule) {

    /**
     * {@code plumb.alerts.default-rule.*}.
     *
     * @param forDuration            {@code .for}: how long the condition must hold before the alert fires
     * @param minSlopeBytesPerSecond 1 KiB/s ≈ 84 MiB a day: below this a linear leak is not worth waking anyone
     * @param memoryLimit            the memory a process may use; 0 = no limit, no time-to-limit projection
     * @param maxTimeToLimit         with a memory limit: fire only if it is reached sooner than this; unset = any
     */
    public record DefaultRule(
            @DefaultValue("true") boolean enabled,
            @Name("for") @DefaultValue("10m") Duration forDuration,
            @DefaultValue("0.9") double minR2,
            @DefaultValue("1024") double minSlopeBytesPerSecond,
            @DefaultValue("0B") DataSize memoryLimit,
            Duration maxTimeToLimit) {
    }
}

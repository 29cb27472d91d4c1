package dev.plumb.web.alerts;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;

/**
 * {@code plumb.alerts.*}: how often and over what window rules are evaluated, where
 * notifications go, and the built-in default rule (see README "Alerts").
 */
@ConfigurationProperties("plumb.alerts")
public class AlertProperties {
    /** Evaluate rules at all. */
    private boolean enabled = true;
    /** Pause between two evaluations. */
    private Duration evaluationInterval = Duration.ofSeconds(30);
    /** How much of each process's recent history a verdict is computed over. */
    private Duration window = Duration.ofMinutes(15);
    /** An ended process still counts for this long after it ended (then its alerts resolve). */
    private Duration endedGrace = Duration.ofMinutes(5);
    /** Alertmanager-compatible webhook receivers; empty = alerts are only shown, not sent. */
    private List<String> webhookUrls = new ArrayList<>();
    /** Retries of a failed webhook POST, with exponential backoff starting at webhookBackoff. */
    private int webhookRetries = 5;
    private Duration webhookBackoff = Duration.ofSeconds(1);
    /** Longest wait for one webhook POST attempt. */
    private Duration webhookTimeout = Duration.ofSeconds(10);
    /** Base URL of this web UI in links; empty = http://localhost:{server port}. */
    private String externalUrl = "";
    private final DefaultRule defaultRule = new DefaultRule();

    /** {@code plumb.alerts.default-rule.*}: the rule that is active without any configuration. */
    public static class DefaultRule {
        private boolean enabled = true;
        /** How long the condition must hold before the alert fires. */
        private Duration forDuration = Duration.ofMinutes(10);
        private double minR2 = 0.9;
        /** 1 KiB/s ≈ 84 MiB a day: below this a linear leak is not worth waking anyone. */
        private double minSlopeBytesPerSecond = 1024;
        /** The memory a process may use; 0 = no limit, no time-to-limit projection. */
        private DataSize memoryLimit = DataSize.ofBytes(0);
        /** With a memory limit: fire only if the limit is reached sooner than this; unset = any. */
        private Duration maxTimeToLimit;

        public boolean isEnabled() {
            return enabled;
        }

        public void setEnabled(boolean enabled) {
            this.enabled = enabled;
        }

        public Duration getFor() {
            return forDuration;
        }

        public void setFor(Duration forDuration) {
            this.forDuration = forDuration;
        }

        public double getMinR2() {
            return minR2;
        }

        public void setMinR2(double minR2) {
            this.minR2 = minR2;
        }

        public double getMinSlopeBytesPerSecond() {
            return minSlopeBytesPerSecond;
        }

        public void setMinSlopeBytesPerSecond(double minSlopeBytesPerSecond) {
            this.minSlopeBytesPerSecond = minSlopeBytesPerSecond;
        }

        public DataSize getMemoryLimit() {
            return memoryLimit;
        }

        public void setMemoryLimit(DataSize memoryLimit) {
            this.memoryLimit = memoryLimit;
        }

        public Duration getMaxTimeToLimit() {
            return maxTimeToLimit;
        }

        public void setMaxTimeToLimit(Duration maxTimeToLimit) {
            this.maxTimeToLimit = maxTimeToLimit;
        }
    }

    public boolean isEnabled() {
        return enabled;
    }

    public void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    public Duration getEvaluationInterval() {
        return evaluationInterval;
    }

    public void setEvaluationInterval(Duration evaluationInterval) {
        this.evaluationInterval = evaluationInterval;
    }

    public Duration getWindow() {
        return window;
    }

    public void setWindow(Duration window) {
        this.window = window;
    }

    public Duration getEndedGrace() {
        return endedGrace;
    }

    public void setEndedGrace(Duration endedGrace) {
        this.endedGrace = endedGrace;
    }

    public List<String> getWebhookUrls() {
        return webhookUrls;
    }

    public void setWebhookUrls(List<String> webhookUrls) {
        this.webhookUrls = webhookUrls;
    }

    public int getWebhookRetries() {
        return webhookRetries;
    }

    public void setWebhookRetries(int webhookRetries) {
        this.webhookRetries = webhookRetries;
    }

    public Duration getWebhookBackoff() {
        return webhookBackoff;
    }

    public void setWebhookBackoff(Duration webhookBackoff) {
        this.webhookBackoff = webhookBackoff;
    }

    public Duration getWebhookTimeout() {
        return webhookTimeout;
    }

    public void setWebhookTimeout(Duration webhookTimeout) {
        this.webhookTimeout = webhookTimeout;
    }

    public String getExternalUrl() {
        return externalUrl;
    }

    public void setExternalUrl(String externalUrl) {
        this.externalUrl = externalUrl;
    }

    public DefaultRule getDefaultRule() {
        return defaultRule;
    }
}

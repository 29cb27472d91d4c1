package dev.plumb.web.alerts;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
import org.springframework.util.unit.DataSize;

/** plumb.alerts.* bind as documented in the README, including the keyword-named default-rule.for. */
class AlertPropertiesTest {
    static AlertProperties bind(Map<String, String> values) {
        return new Binder(new MapConfigurationPropertySource(values))
                .bindOrCreate("plumb.alerts", AlertProperties.class);
    }

    @Test
    void defaultsWithoutAnyConfiguration() {
        AlertProperties p = bind(Map.of());
        assertThat(p.enabled()).isTrue();
        assertThat(p.evaluationInterval()).isEqualTo(Duration.ofSeconds(30));
        assertThat(p.window()).isEqualTo(Duration.ofMinutes(15));
        assertThat(p.webhookUrls()).isEmpty();
        assertThat(p.defaultRule().enabled()).isTrue();
        assertThat(p.defaultRule().forDuration()).isEqualTo(Duration.ofMinutes(10));
        assertThat(p.defaultRule().minR2()).isEqualTo(0.9);
        assertThat(p.defaultRule().memoryLimit()).isEqualTo(DataSize.ofBytes(0));
        assertThat(new BuiltInRule(p).rule().memoryLimitBytes()).isNull();
    }

    @Test
    void everySettingBindsFromItsDocumentedKey() {
        AlertProperties p = bind(Map.of(
                "plumb.alerts.webhook-urls", "http://a/hook, http://b/hook",
                "plumb.alerts.evaluation-interval", "250ms",
                "plumb.alerts.default-rule.for", "3s",
                "plumb.alerts.default-rule.min-slope-bytes-per-second", "4096",
                "plumb.alerts.default-rule.memory-limit", "4GB",
                "plumb.alerts.default-rule.max-time-to-limit", "6h"));
        assertThat(p.webhookUrls()).hasSize(2);
        assertThat(p.evaluationInterval()).isEqualTo(Duration.ofMillis(250));
        AlertRule rule = new BuiltInRule(p).rule();
        assertThat(rule.forSeconds()).isEqualTo(3);
        assertThat(rule.minSlopeBytesPerSecond()).isEqualTo(4096);
        assertThat(rule.memoryLimitBytes()).isEqualTo(4L << 30);
        assertThat(rule.maxTimeToLimitSeconds()).isEqualTo(6 * 3600);
        assertThat(rule.builtIn()).isTrue();
    }

    @Test
    void anEmptyWebhookListMeansNoReceivers() {
        assertThat(bind(Map.of("plumb.alerts.webhook-urls", "")).webhookUrls()).isEmpty();
    }
}

package dev.plumb.web.alerts;

import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Configuration;

/** Binds {@code plumb.alerts.*}. */
@Configuration
@EnableConfigurationProperties(AlertProperties.class)
public class AlertsConfiguration {
}

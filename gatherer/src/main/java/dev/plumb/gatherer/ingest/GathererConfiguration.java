package dev.plumb.gatherer.ingest;

import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Configuration;

@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties({GathererProperties.class, StorageProperties.class})
public class GathererConfiguration {
}

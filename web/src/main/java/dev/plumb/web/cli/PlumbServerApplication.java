package dev.plumb.web.cli;

import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.context.annotation.ComponentScan;
import org.springframework.context.annotation.FilterType;

/** Gatherer and web in one JVM: the same beans as the split deployment, scanned together. */
@SpringBootConfiguration
@EnableAutoConfiguration
@ComponentScan(basePackages = {"dev.plumb.gatherer.ingest", "dev.plumb.gatherer.store", "dev.plumb.web"},
        excludeFilters = @ComponentScan.Filter(type = FilterType.REGEX, pattern = WebApplication.CLI_PACKAGE))
public class PlumbServerApplication {
}

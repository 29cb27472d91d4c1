package dev.plumb.web.cli;

import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.context.annotation.ComponentScan;
import org.springframework.context.annotation.FilterType;

/**
 * The web role of the split deployment: API, queries and pages, no gatherer. Application
 * classes live in this (cli) package, which every scan excludes, so that scanning
 * dev.plumb.web for one role never drags in another role's application class.
 */
@SpringBootConfiguration
@EnableAutoConfiguration
@ComponentScan(basePackages = {"dev.plumb.gatherer.store", "dev.plumb.web"},
        excludeFilters = @ComponentScan.Filter(type = FilterType.REGEX, pattern = WebApplication.CLI_PACKAGE))
public class WebApplication {
    /** Launchers and application classes: never components. */
    static final String CLI_PACKAGE = "dev\\.plumb\\.web\\.cli\\..*";
}

package dev.plumb.web.cli;

import dev.plumb.gatherer.GathererApplication;

/**
 * Which beans one process runs: everything (`plumb server`) or one role of the split
 * deployment (`plumb web`, `plumb gatherer`). Every role is a Spring Boot application from the
 * same jar, so each applies the Flyway migrations at start and serves /actuator/health.
 */
public enum ServerRole {
    ALL(PlumbServerApplication.class),
    WEB(WebApplication.class),
    /** Scans only dev.plumb.gatherer.ingest; in this jar WebFlux is present, so it also serves actuator. */
    GATHERER(GathererApplication.class);

    private final Class<?> application;

    ServerRole(Class<?> application) {
        this.application = application;
    }

    Class<?> application() {
        return application;
    }
}

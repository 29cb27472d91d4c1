package dev.plumb.web.api;

import dev.plumb.web.query.ServiceDeploymentsQuery;
import java.time.Instant;
import java.util.List;

/** A service in GET /api/services: its deployments, newest first (times ISO-8601). */
public record ServiceJson(String service, List<DeploymentJson> deployments) {

    public record DeploymentJson(String deployment, long sessions, long hosts, String firstStartedAt,
            String lastStartedAt, String lastSeen) {
    }

    static ServiceJson of(String service, List<ServiceDeploymentsQuery.Deployment> deployments) {
        return new ServiceJson(service, deployments.stream().map(d -> new DeploymentJson(d.deployment(), d.sessions(),
                d.hosts(), iso(d.firstStarted()), iso(d.lastStarted()), iso(d.lastSeen()))).toList());
    }

    private static String iso(Instant t) {
        return t == null ? null : t.toString();
    }
}

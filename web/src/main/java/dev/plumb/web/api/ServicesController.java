package dev.plumb.web.api;

import dev.plumb.web.query.DeployComparisonQuery;
import dev.plumb.web.query.DeploymentVerdictQuery;
import dev.plumb.web.query.ServiceDeploymentsQuery;
import dev.plumb.web.query.SessionsInScopeQuery;
import java.util.List;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/**
 * The services and their deployments, and per-service analysis: a deployment's verdict aggregated over its hosts, and the comparison
 * of two deployments' leak rates per backtrace (method: docs/analysis.md).
 */
@RestController
@RequestMapping(path = "/api/services", produces = MediaType.APPLICATION_JSON_VALUE)
public class ServicesController {
    private final DeploymentVerdictQuery verdicts;
    private final DeployComparisonQuery comparisons;
    private final SessionsInScopeQuery sessions;
    private final ServiceDeploymentsQuery deployments;

    public ServicesController(DeploymentVerdictQuery verdicts, DeployComparisonQuery comparisons,
            SessionsInScopeQuery sessions, ServiceDeploymentsQuery deployments) {
        this.verdicts = verdicts;
        this.comparisons = comparisons;
        this.sessions = sessions;
        this.deployments = deployments;
    }

    /** Every service with its deployments, newest first: what the compare page offers. */
    @GetMapping
    public Mono<Items<ServiceJson>> services() {
        return Blocking.call(() -> new Items<>(deployments.all().entrySet().stream()
                .map(e -> ServiceJson.of(e.getKey(), e.getValue())).toList()));
    }

    @GetMapping("/{service}/deployments/{deployment}/verdict")
    public Mono<DeploymentVerdictJson> verdict(@PathVariable String service, @PathVariable String deployment) {
        return Blocking.call(() -> {
            var v = verdicts.verdict(service, deployment);
            if (v.hosts().isEmpty()) {
                throw noSessions(service, deployment);
            }
            return DeploymentVerdictJson.of(service, deployment, v);
        });
    }

    @GetMapping("/{service}/compare")
    public Mono<Items<StackComparisonJson>> compare(@PathVariable String service,
            @RequestParam(required = false) String base, @RequestParam(required = false) String target) {
        if (base == null || base.isBlank() || target == null || target.isBlank()) {
            throw ApiException.badRequest("compare needs base and target deployments, e.g. ?base=v1&target=v2");
        }
        return Blocking.call(() -> {
            for (String deployment : List.of(base, target)) {
                if (sessions.ofDeployment(service, deployment, 1).isEmpty()) {
                    throw noSessions(service, deployment);
                }
            }
            List<StackComparisonJson> rows = comparisons.compare(service, base, target).stream()
                    .map(StackComparisonJson::of).toList();
            return new Items<>(rows);
        });
    }

    static ApiException noSessions(String service, String deployment) {
        return ApiException.notFound("no sessions of service '" + Params.clip(service) + "' deployment '"
                + Params.clip(deployment) + "'");
    }
}

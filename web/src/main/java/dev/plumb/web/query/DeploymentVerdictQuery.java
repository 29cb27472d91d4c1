package dev.plumb.web.query;

import dev.plumb.web.analysis.DeploymentVerdict;
import java.util.ArrayList;
import java.util.List;
import org.springframework.stereotype.Component;

/**
 * A deployment's verdict: each of its newest sessions judged over its whole run
 * ({@link SessionVerdictQuery}), aggregated by {@link DeploymentVerdict} with deviating hosts
 * flagged.
 */
@Component
public class DeploymentVerdictQuery {
    public static final int MAX_SESSIONS = 50;

    private final SessionsInScopeQuery sessions;
    private final SessionVerdictQuery verdicts;

    public DeploymentVerdictQuery(SessionsInScopeQuery sessions, SessionVerdictQuery verdicts) {
        this.sessions = sessions;
        this.verdicts = verdicts;
    }

    public DeploymentVerdict verdict(String service, String deployment) {
        List<DeploymentVerdict.Host> hosts = new ArrayList<>();
        for (SessionRow s : sessions.ofDeployment(service, deployment, MAX_SESSIONS)) {
            verdicts.verdict(s, null).ifPresent(v -> hosts.add(new DeploymentVerdict.Host(s.host(), s.id(), v.result())));
        }
        return DeploymentVerdict.of(hosts);
    }
}

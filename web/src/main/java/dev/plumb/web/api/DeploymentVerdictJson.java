package dev.plumb.web.api;

import dev.plumb.web.analysis.DeploymentVerdict;
import java.util.List;

/**
 * /api/services/{service}/deployments/{deployment}/verdict: the deployment's verdict over its
 * newest sessions, and each host's, with deviating hosts flagged. Slopes in bytes/s.
 */
public record DeploymentVerdictJson(String service, String deployment, String verdict, double slope,
        double totalSlope, double r2, long retainedBytes, List<HostJson> hosts) {

    public record HostJson(String host, long sessionId, String verdict, double slope, double r2,
            long retainedBytes, boolean deviates) {
    }

    static DeploymentVerdictJson of(String service, String deployment, DeploymentVerdict d) {
        List<HostJson> hosts = d.hosts().stream().map(h -> new HostJson(h.host(), h.sessionId(),
                h.result().verdict(), round(h.result().slopeBytesPerSec()), round4(h.result().r2()),
                h.result().lastBytes(), h.deviates())).toList();
        return new DeploymentVerdictJson(service, deployment, d.verdict(), round(d.medianSlope()),
                round(d.totalSlope()), round4(d.medianR2()), d.retainedBytes(), hosts);
    }

    static double round(double v) {
        return Math.round(v * 100) / 100.0;
    }

    static double round4(double v) {
        return Math.round(v * 10000) / 10000.0;
    }
}

package dev.plumb.web.query;

import dev.plumb.web.analysis.DeploymentVerdict;
import dev.plumb.web.analysis.LeakVerdict;
import java.time.Instant;
import java.util.List;

/**
 * One row of the fleet dashboard: the whole scope, a service, one of its deployments, or a host
 * of a deployment. Its series are the sums of all its processes' series; what it holds now and
 * its verdict come from each host's newest process in the range ("current"), aggregated by
 * {@link DeploymentVerdict} — the leak rate is the sum of those processes' slopes, the verdict
 * the most common of their kinds.
 *
 * @param heap        heap bytes at each point of the range (all processes)
 * @param leaked      leaked bytes at each point
 * @param heapBytes   what the current processes held when last alive in the range
 * @param leakedBytes of that, never freed
 * @param verdict     linear | bounded | startup | noise over the current processes
 * @param leakRate    bytes/s: sum of the current processes' slopes
 * @param r2          median R² of their fits
 * @param hosts       distinct hosts
 * @param sessions    processes in the range
 * @param running     of those, still running
 * @param lastSeen    the latest sign of life of any of them
 * @param compare     for a service: its two newest deployments (base = older, target = newer), else null
 * @param children    services, deployments or hosts below this row
 * @param processes   for a host: its processes in the range, newest first (else empty)
 */
public record FleetNode(Level level, String service, String deployment, String host, long[] heap, long[] leaked,
        long heapBytes, long leakedBytes, String verdict, double leakRate, double r2, int hosts, int sessions,
        int running, Instant lastSeen, Compare compare, List<FleetNode> children, List<Process> processes) {

    public enum Level {
        FLEET, SERVICE, DEPLOYMENT, HOST;

        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** Two deployments of a service to compare. */
    public record Compare(String base, String target) {
    }

    /** A process of a host; result is its verdict within the range when it is the host's current one, else null. */
    public record Process(SessionRow session, Instant lastSeen, LeakVerdict.Result result) {
    }
}

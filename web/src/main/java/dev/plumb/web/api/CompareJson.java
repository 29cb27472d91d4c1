package dev.plumb.web.api;

import dev.plumb.web.query.Frame;
import java.util.List;

/**
 * GET /api/compare: two sessions, or two deployments of a service, side by side. A side's
 * numbers are per process: a session's own, or the mean over a deployment's newest sessions
 * (so deployments on different numbers of hosts compare). bytes/count are of the chosen filter
 * (leaked by default); leakRate is leaked bytes per second of the process's duration; stacks are
 * the backtraces whose bytes changed most (same stack = same symbolized frames), and flamegraph
 * is a diff tree: per node the base's and the target's bytes. rateChange is the change of the
 * processes' heap growth rate (the slope behind their verdicts) with a 95% interval; for
 * deployments each stack also carries its own rate change.
 *
 * @param mode sessions | deployments
 */
public record CompareJson(String mode, String filter, Side base, Side target, double leakRateChange,
        RateChangeJson rateChange, List<StackDelta> stacks, List<DiffNode> flamegraph) {

    /** id and host are the session's (null for a deployment); sessionIds are the processes it stands for. */
    public record Side(Long id, String service, String deployment, String host, int sessions, List<Long> sessionIds,
            double durationSeconds, long bytes, long count, long bytesLeaked, double leakRate, String verdict) {
    }

    /** rate is null when comparing sessions. */
    public record StackDelta(long stackId, List<Frame> frames, long baseBytes, long targetBytes, long deltaBytes,
            long baseCount, long targetCount, double baseRate, double targetRate, RateChangeJson rate) {
    }

    public record DiffNode(String name, int parent, long base, long target) {
    }
}

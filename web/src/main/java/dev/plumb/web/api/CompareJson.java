package dev.plumb.web.api;

import dev.plumb.web.query.Frame;
import java.util.List;

/**
 * GET /api/compare: two sessions side by side. bytes/count are of the chosen filter (leaked by
 * default); leakRate is leaked bytes per second of the session's duration; stacks are the
 * backtraces whose bytes changed most (same stack = same symbolized frames), and flamegraph is
 * a diff tree: per node the base's and the target's bytes.
 */
public record CompareJson(String filter, Side base, Side target, double leakRateChange, List<StackDelta> stacks,
        List<DiffNode> flamegraph) {

    public record Side(long id, String service, String deployment, String host, double durationSeconds, long bytes,
            long count, long bytesLeaked, double leakRate) {
    }

    public record StackDelta(long stackId, List<Frame> frames, long baseBytes, long targetBytes, long deltaBytes,
            long baseCount, long targetCount, double baseRate, double targetRate) {
    }

    public record DiffNode(String name, int parent, long base, long target) {
    }
}

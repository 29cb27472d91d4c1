package dev.plumb.web.api;

import dev.plumb.web.query.FleetNode;
import dev.plumb.web.query.FleetOverview;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * GET /api/fleet: the scope as a tree of rows (fleet → services → deployments → hosts), each
 * with heap and leaked series as [[t ms, bytes], …], what its current processes hold, their
 * leak rate (bytes/s) and verdict. from/to (epoch ms) are null when nothing matched and no range
 * was given.
 */
public record FleetJson(Long from, Long to, String range, int points, boolean truncated, boolean anySessions,
        NodeJson fleet) {

    public record NodeJson(String level, String service, String deployment, String host, List<long[]> heap,
            List<long[]> leaked, long heapBytes, long leakedBytes, String verdict, double leakRate, double r2,
            int hosts, int sessions, int running, String lastSeen, FleetNode.Compare compare, List<NodeJson> children,
            List<ProcessJson> processes) {
    }

    /** A host's process; verdict, leakRate and r2 are null for all but its newest one in the range. */
    public record ProcessJson(long id, int pid, String exe, String startedAt, String endedAt, String state,
            String lastSeen, String verdict, Double leakRate, Double r2) {
    }

    static FleetJson of(FleetOverview o, String range, int points) {
        return new FleetJson(o.range() == null ? null : o.range().startUs() / 1000,
                o.range() == null ? null : o.range().endUs() / 1000, range, points, o.truncated(), o.anySessions(),
                node(o.root(), o.timesMs()));
    }

    private static NodeJson node(FleetNode n, long[] times) {
        return new NodeJson(n.level().label(), n.service(), n.deployment(), n.host(), points(times, n.heap()),
                points(times, n.leaked()), n.heapBytes(), n.leakedBytes(), n.verdict(),
                DeploymentVerdictJson.round(n.leakRate()), DeploymentVerdictJson.round4(n.r2()), n.hosts(),
                n.sessions(), n.running(), iso(n.lastSeen()), n.compare(),
                n.children().stream().map(c -> node(c, times)).toList(),
                n.processes().stream().map(FleetJson::process).toList());
    }

    private static ProcessJson process(FleetNode.Process p) {
        var s = p.session();
        var r = p.result();
        return new ProcessJson(s.id(), s.pid(), s.exe(), iso(s.startedAt()), iso(s.endedAt()), s.state(),
                iso(p.lastSeen()), r == null ? null : r.verdict(),
                r == null ? null : DeploymentVerdictJson.round(r.slopeBytesPerSec()),
                r == null ? null : DeploymentVerdictJson.round4(r.r2()));
    }

    private static List<long[]> points(long[] times, long[] values) {
        List<long[]> result = new ArrayList<>(values.length);
        for (int i = 0; i < values.length; i++) {
            result.add(new long[] {times[i], values[i]});
        }
        return result;
    }

    private static String iso(Instant t) {
        return t == null ? null : t.toString();
    }
}

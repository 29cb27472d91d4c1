package dev.plumb.web.analysis;

import dev.plumb.web.analysis.LeakVerdict.Kind;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * One verdict for a deployment from the verdicts of its hosts' sessions (each one
 * {@link LeakVerdict} on that process's retained series), with the hosts that do not behave
 * like the rest flagged. Pure arithmetic.
 *
 * <p>The deployment's kind is the most common kind among its hosts (a tie goes to the more
 * serious: linear, then bounded, startup, noise), its slope the median host slope (what one
 * process typically leaks) and its total slope the sum (what the deployment leaks in all). A
 * host deviates when its kind differs from the deployment's, or its slope is further from the
 * median than {@link #DEVIATION_SHARE} of the median (and at least
 * {@link #MIN_DEVIATION_BYTES_PER_SEC}, so tiny rates never count as different).
 *
 * @param kind              the deployment's verdict
 * @param medianSlope       median of the hosts' slopes, bytes/s
 * @param totalSlope        sum of the hosts' slopes, bytes/s
 * @param medianR2          median of the hosts' R²
 * @param retainedBytes     sum of what the hosts retain at the end of their windows
 * @param hosts             every host with its own result and whether it deviates
 */
public record DeploymentVerdict(Kind kind, double medianSlope, double totalSlope, double medianR2,
        long retainedBytes, List<Host> hosts) {
    public static final double DEVIATION_SHARE = 0.5;
    public static final double MIN_DEVIATION_BYTES_PER_SEC = 10;

    /** A host's (one process's) verdict; deviates is filled in by {@link #of(List)}. */
    public record Host(String host, long sessionId, LeakVerdict.Result result, boolean deviates) {
        public Host(String host, long sessionId, LeakVerdict.Result result) {
            this(host, sessionId, result, false);
        }
    }

    public String verdict() {
        return kind.label();
    }

    public static DeploymentVerdict of(List<Host> hosts) {
        if (hosts.isEmpty()) {
            return new DeploymentVerdict(Kind.NOISE, 0, 0, 0, 0, List.of());
        }
        Map<Kind, Integer> votes = new EnumMap<>(Kind.class);
        hosts.forEach(h -> votes.merge(h.result().kind(), 1, Integer::sum));
        Kind kind = Kind.NOISE;
        int best = 0;
        for (Kind k : Kind.values()) { // declaration order = seriousness, so a tie keeps the first
            int v = votes.getOrDefault(k, 0);
            if (v > best) {
                kind = k;
                best = v;
            }
        }
        double medianSlope = median(hosts.stream().mapToDouble(h -> h.result().slopeBytesPerSec()).toArray());
        double medianR2 = median(hosts.stream().mapToDouble(h -> h.result().r2()).toArray());
        double total = hosts.stream().mapToDouble(h -> h.result().slopeBytesPerSec()).sum();
        long retained = hosts.stream().mapToLong(h -> h.result().lastBytes()).sum();
        double allowed = Math.max(DEVIATION_SHARE * Math.abs(medianSlope), MIN_DEVIATION_BYTES_PER_SEC);
        List<Host> flagged = new ArrayList<>(hosts.size());
        for (Host h : hosts) {
            boolean deviates = hosts.size() > 1 && (h.result().kind() != kind
                    || Math.abs(h.result().slopeBytesPerSec() - medianSlope) > allowed);
            flagged.add(new Host(h.host(), h.sessionId(), h.result(), deviates));
        }
        return new DeploymentVerdict(kind, medianSlope, total, medianR2, retained, List.copyOf(flagged));
    }

    static double median(double[] values) {
        double[] v = values.clone();
        Arrays.sort(v);
        int n = v.length;
        if (n == 0) {
            return 0;
        }
        return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    }
}

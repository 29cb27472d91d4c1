package dev.plumb.web.support;

import java.sql.SQLException;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;

/**
 * A small fleet of {@link SyntheticSession}s: services {@code P-checkout} and {@code P-search},
 * each with deployments {@code v1} (starting at v1Start) and {@code v2} (1000 s later), each on
 * hosts {@code P-web-1} and {@code P-web-2} — eight processes of 100 s. All processes of a service
 * share its stacks (same code, same backtraces). checkout v2 fixes the linear leak (60 340 B
 * leaked per process instead of 160 340); search v2 does not. P is a prefix that keeps the
 * fleet apart from other tests' sessions in the shared database.
 */
public final class SyntheticFleet {
    public static final long V2_OFFSET_SECONDS = 1000;
    public static final List<String> DEPLOYMENTS = List.of("v1", "v2");

    public final String prefix;
    public final Instant v1Start;
    public final Instant v2Start;
    private final Map<String, SyntheticSession> sessions = new LinkedHashMap<>();

    private SyntheticFleet(String prefix, Instant v1Start) {
        this.prefix = prefix;
        this.v1Start = v1Start;
        this.v2Start = v1Start.plusSeconds(V2_OFFSET_SECONDS);
    }

    public static SyntheticFleet create(DataSource ds, String prefix, Instant v1Start) throws SQLException {
        SyntheticFleet fleet = new SyntheticFleet(prefix, v1Start);
        for (String service : fleet.services()) {
            SyntheticSession first = null;
            for (String deployment : DEPLOYMENTS) {
                for (String host : fleet.hosts()) {
                    SyntheticSession s = SyntheticSession.create(ds, service, deployment, host,
                            deployment.equals("v1") ? fleet.v1Start : fleet.v2Start);
                    if (first == null) {
                        first = s;
                    } else {
                        s.useStacksOf(ds, first);
                    }
                    if (service.equals(fleet.checkout()) && deployment.equals("v2")) {
                        s.fixLinearLeak(ds);
                    }
                    fleet.sessions.put(key(service, deployment, host), s);
                }
            }
        }
        return fleet;
    }

    public String checkout() {
        return prefix + "-checkout";
    }

    public String search() {
        return prefix + "-search";
    }

    public List<String> services() {
        return List.of(checkout(), search());
    }

    public List<String> hosts() {
        return List.of(prefix + "-web-1", prefix + "-web-2");
    }

    public SyntheticSession session(String service, String deployment, String host) {
        SyntheticSession s = sessions.get(key(service, deployment, host));
        if (s == null) {
            throw new IllegalArgumentException("no session " + key(service, deployment, host));
        }
        return s;
    }

    /** Leaked bytes of one process at its end: 160 340, or 60 340 where the linear leak was fixed. */
    public long leakedAtEnd(String service, String deployment) {
        boolean fixed = service.equals(checkout()) && deployment.equals("v2");
        return SyntheticSession.LEAKED_BYTES - (fixed ? SyntheticSession.LINEAR_BYTES : 0);
    }

    private static String key(String service, String deployment, String host) {
        return service + '/' + deployment + '/' + host;
    }
}

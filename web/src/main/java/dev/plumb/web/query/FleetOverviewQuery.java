package dev.plumb.web.query;

import dev.plumb.web.analysis.DeploymentVerdict;
import dev.plumb.web.analysis.LeakVerdict;
import dev.plumb.web.query.FleetNode.Level;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import org.springframework.stereotype.Component;

/**
 * Assembles the fleet dashboard from the scope's series ({@link FleetSeriesQuery}) and a verdict
 * on each host's newest process within the range ({@link SessionVerdictQuery}, the same verdict
 * alerts and deployment verdicts use), grouped service → deployment → host.
 */
@Component
public class FleetOverviewQuery {
    private final FleetSeriesQuery series;
    private final SessionVerdictQuery verdicts;
    private final ServiceDeploymentsQuery deployments;

    public FleetOverviewQuery(FleetSeriesQuery series, SessionVerdictQuery verdicts,
            ServiceDeploymentsQuery deployments) {
        this.series = series;
        this.verdicts = verdicts;
        this.deployments = deployments;
    }

    /** @param range null = from the scope's first process to its last sign of life */
    public FleetOverview overview(FleetScope scope, TimeRange range, int points) {
        boolean any = series.anySessions();
        TimeRange resolved = range != null ? range : series.extent(scope).orElse(null);
        if (resolved == null) {
            return new FleetOverview(null, new long[0], emptyRoot(), false, any);
        }
        FleetSeries data = series.series(scope, resolved, points);
        Map<Long, LeakVerdict.Result> results = judgeCurrent(data, resolved);
        Map<String, FleetNode.Compare> compares = compares(data);
        Map<String, Map<String, Map<String, List<FleetSeries.SessionSeries>>>> tree = new TreeMap<>();
        for (FleetSeries.SessionSeries s : data.sessions()) {
            SessionRow r = s.session().row();
            tree.computeIfAbsent(r.service(), k -> new LinkedHashMap<>()) // deployments newest first
                    .computeIfAbsent(r.deployment(), k -> new TreeMap<>())
                    .computeIfAbsent(r.host(), k -> new ArrayList<>()).add(s);
        }
        List<FleetNode> services = new ArrayList<>();
        tree.forEach((service, byDeployment) -> {
            List<FleetNode> ds = new ArrayList<>();
            byDeployment.forEach((deployment, byHost) -> {
                List<FleetNode> hosts = new ArrayList<>();
                byHost.forEach((host, members) -> hosts.add(node(Level.HOST, service, deployment, host, members,
                        results, s -> host, null, List.of(), processes(members, results))));
                ds.add(node(Level.DEPLOYMENT, service, deployment, null, flatten(byHost.values()), results,
                        s -> s.row().host(), null, hosts, List.of()));
            });
            List<FleetSeries.SessionSeries> members = flatten(byDeployment.values().stream()
                    .flatMap(m -> m.values().stream()).toList());
            services.add(node(Level.SERVICE, service, null, null, members, results, s -> s.row().host(),
                    compares.get(service), ds, List.of()));
        });
        FleetNode root = node(Level.FLEET, null, null, null, data.sessions(), results,
                s -> s.row().service() + '\0' + s.row().host(), null, services, List.of());
        return new FleetOverview(resolved, data.timesMs(), root, data.truncated(), any);
    }

    /** Verdicts of each (service, deployment, host)'s newest process; sessions come newest first. */
    private Map<Long, LeakVerdict.Result> judgeCurrent(FleetSeries data, TimeRange range) {
        Map<String, SessionRow> newest = new LinkedHashMap<>();
        for (FleetSeries.SessionSeries s : data.sessions()) {
            SessionRow r = s.session().row();
            newest.putIfAbsent(r.service() + '\0' + r.deployment() + '\0' + r.host(), r);
        }
        Map<Long, LeakVerdict.Result> results = new HashMap<>();
        for (SessionRow r : newest.values()) {
            verdicts.verdictWithin(r, range).ifPresent(v -> results.put(r.id(), v.result()));
        }
        return results;
    }

    private Map<String, FleetNode.Compare> compares(FleetSeries data) {
        List<String> names = data.sessions().stream().map(s -> s.session().row().service()).distinct().toList();
        Map<String, FleetNode.Compare> result = new HashMap<>();
        deployments.of(names).forEach((service, ds) -> {
            if (ds.size() >= 2) {
                result.put(service, new FleetNode.Compare(ds.get(1).deployment(), ds.get(0).deployment()));
            }
        });
        return result;
    }

    private static <T> List<T> flatten(java.util.Collection<List<T>> lists) {
        List<T> all = new ArrayList<>();
        lists.forEach(all::addAll);
        return all;
    }

    private static List<FleetNode.Process> processes(List<FleetSeries.SessionSeries> members,
            Map<Long, LeakVerdict.Result> results) {
        return members.stream().sorted(newestFirst())
                .map(s -> new FleetNode.Process(s.session().row(), s.session().lastSeen(),
                        results.get(s.session().row().id())))
                .toList();
    }

    private static Comparator<FleetSeries.SessionSeries> newestFirst() {
        return Comparator.comparing((FleetSeries.SessionSeries s) -> s.session().row().startedAt())
                .thenComparingLong(s -> s.session().row().id()).reversed();
    }

    /**
     * A row: series summed over all members; "current" = the newest member per host key, whose
     * verdicts aggregate into the row's verdict and leak rate.
     */
    private static FleetNode node(Level level, String service, String deployment, String host,
            List<FleetSeries.SessionSeries> members, Map<Long, LeakVerdict.Result> results,
            Function<FleetSession, String> hostKey, FleetNode.Compare compare, List<FleetNode> children,
            List<FleetNode.Process> processes) {
        int points = members.isEmpty() ? 0 : members.get(0).heap().length;
        long[] heap = new long[points];
        long[] leaked = new long[points];
        Map<String, FleetSeries.SessionSeries> current = new LinkedHashMap<>();
        Instant lastSeen = null;
        int running = 0;
        for (FleetSeries.SessionSeries s : members.stream().sorted(newestFirst()).toList()) {
            for (int i = 0; i < points; i++) {
                heap[i] += s.heap()[i];
                leaked[i] += s.leaked()[i];
            }
            current.putIfAbsent(hostKey.apply(s.session()), s);
            if (lastSeen == null || s.session().lastSeen().isAfter(lastSeen)) {
                lastSeen = s.session().lastSeen();
            }
            running += s.session().row().endedAt() == null ? 1 : 0;
        }
        long heapNow = 0;
        long leakedNow = 0;
        List<DeploymentVerdict.Host> judged = new ArrayList<>();
        for (FleetSeries.SessionSeries s : current.values()) {
            int last = s.lastAlive();
            if (last >= 0) {
                heapNow += s.heap()[last];
                leakedNow += s.leaked()[last];
            }
            SessionRow r = s.session().row();
            LeakVerdict.Result result = results.get(r.id());
            if (result != null) {
                judged.add(new DeploymentVerdict.Host(r.host(), r.id(), result));
            }
        }
        DeploymentVerdict v = DeploymentVerdict.of(judged);
        long hosts = members.stream().map(s -> s.session().row().host()).distinct().count();
        return new FleetNode(level, service, deployment, host, heap, leaked, heapNow, leakedNow, v.verdict(),
                v.totalSlope(), v.medianR2(), (int) hosts, members.size(), running, lastSeen, compare,
                List.copyOf(children), processes);
    }

    private static FleetNode emptyRoot() {
        return new FleetNode(Level.FLEET, null, null, null, new long[0], new long[0], 0, 0,
                LeakVerdict.Kind.NOISE.label(), 0, 0, 0, 0, 0, null, null, List.of(), List.of());
    }
}

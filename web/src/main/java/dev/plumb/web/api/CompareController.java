package dev.plumb.web.api;

import dev.plumb.web.analysis.DeploymentVerdict;
import dev.plumb.web.analysis.LeakVerdict;
import dev.plumb.web.analysis.RateEstimate;
import dev.plumb.web.flame.FlameTree;
import dev.plumb.web.query.AllocationSelection;
import dev.plumb.web.query.DeployComparisonQuery;
import dev.plumb.web.query.Frame;
import dev.plumb.web.query.SessionByIdQuery;
import dev.plumb.web.query.SessionRow;
import dev.plumb.web.query.SessionTimeRangeQuery;
import dev.plumb.web.query.SessionVerdictQuery;
import dev.plumb.web.query.SessionsInScopeQuery;
import dev.plumb.web.query.StackRateChange;
import dev.plumb.web.query.StackTotalsQuery;
import dev.plumb.web.query.TimeRange;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/**
 * GET /api/compare?base=&target=[&filter=leaked|all|temporary][&limit=]: two sessions (e.g. one
 * host before and after a deploy); with service=S, base and target are two deployments of S, each
 * standing for its newest {@link DeployComparisonQuery#MAX_SESSIONS} processes — per-backtrace
 * delta table, diff flamegraph, leak-rate change with a 95% interval. Rates are per second of each
 * process's own duration, so processes of different lengths compare.
 */
@RestController
public class CompareController {
    private final SessionByIdQuery byId;
    private final SessionsInScopeQuery inScope;
    private final SessionTimeRangeQuery timeRange;
    private final StackTotalsQuery totals;
    private final SessionVerdictQuery verdicts;
    private final DeployComparisonQuery deployComparison;
    private final FlameTreeLoader trees;

    public CompareController(SessionByIdQuery byId, SessionsInScopeQuery inScope, SessionTimeRangeQuery timeRange,
            StackTotalsQuery totals, SessionVerdictQuery verdicts, DeployComparisonQuery deployComparison,
            FlameTreeLoader trees) {
        this.byId = byId;
        this.inScope = inScope;
        this.timeRange = timeRange;
        this.totals = totals;
        this.verdicts = verdicts;
        this.deployComparison = deployComparison;
        this.trees = trees;
    }

    /** One process of a side: its stacks (of the filter), its leaked bytes and its verdict. */
    private record Member(SessionRow row, TimeRange range, Map<Long, StackTotalsQuery.Total> stacks, long leaked,
            LeakVerdict.Result verdict) {
        double seconds() {
            return range.spanUs() / 1e6;
        }
    }

    /** A side: one session or a deployment's sessions; stacks are means per process. */
    private record Loaded(String service, String deployment, Long id, String host, List<Member> members,
            Map<Long, StackTotalsQuery.Total> stacks) {
        double seconds() {
            return members.stream().mapToDouble(Member::seconds).average().orElse(1);
        }

        double rate(long bytes) {
            return round(bytes / seconds());
        }

        RateEstimate estimate() {
            return RateEstimate.of(members.stream().map(Member::verdict).toList());
        }

        CompareJson.Side side() {
            long bytes = stacks.values().stream().mapToLong(StackTotalsQuery.Total::bytes).sum();
            long count = stacks.values().stream().mapToLong(StackTotalsQuery.Total::count).sum();
            long leaked = Math.round(members.stream().mapToLong(Member::leaked).average().orElse(0));
            double leakRate = members.stream().mapToDouble(m -> m.leaked() / m.seconds()).average().orElse(0);
            String verdict = DeploymentVerdict.of(members.stream()
                    .map(m -> new DeploymentVerdict.Host(m.row().host(), m.row().id(), m.verdict())).toList()).verdict();
            return new CompareJson.Side(id, service, deployment, host, members.size(),
                    members.stream().map(m -> m.row().id()).toList(), round(seconds()), bytes, count, leaked,
                    round(leakRate), verdict);
        }
    }

    @GetMapping(path = "/api/compare", produces = MediaType.APPLICATION_JSON_VALUE)
    public Mono<CompareJson> compare(@RequestParam(required = false) String base,
            @RequestParam(required = false) String target, @RequestParam(required = false) String filter,
            @RequestParam(required = false) String limit, @RequestParam(required = false) String service) {
        AllocationSelection selection = FlameFilters.of(filter, FlameFilters.LEAKED);
        String name = FlameFilters.name(filter, FlameFilters.LEAKED);
        int lim = Params.intInRange("limit", limit, 100, 1, SessionsController.MAX_LEAK_GROUPS);
        if (service != null && !service.isBlank()) {
            if (base == null || base.isBlank() || target == null || target.isBlank()) {
                throw ApiException.badRequest("comparing deployments of a service needs base and target deployments,"
                        + " e.g. ?service=shop&base=v1&target=v2");
            }
            return Blocking.call(() -> {
                Loaded b = loadDeployment(service, base, selection);
                Loaded t = loadDeployment(service, target, selection);
                Map<Long, RateChangeJson> rates = new HashMap<>();
                for (StackRateChange c : deployComparison.compare(service, base, target)) {
                    rates.put(c.stackId(), RateChangeJson.of(c.base(), c.target(), c.change()));
                }
                return compare("deployments", name, b, t, lim, rates);
            });
        }
        if (base == null || target == null) {
            throw ApiException.badRequest("base and target (session ids) are both required,"
                    + " or service with base and target deployments");
        }
        long baseId = Params.sessionId(base);
        long targetId = Params.sessionId(target);
        return Blocking.call(() -> compare("sessions", name, loadSession(baseId, selection),
                loadSession(targetId, selection), lim, Map.of()));
    }

    private CompareJson compare(String mode, String filter, Loaded b, Loaded t, int limit,
            Map<Long, RateChangeJson> rates) {
        FlameTree tree = trees.tree(Map.of(FlameTree.BASE, b.stacks(), FlameTree.TARGET, t.stacks()));
        long minBytes = Math.max(tree.total(FlameTree.BASE), tree.total(FlameTree.TARGET))
                / FlamegraphController.MIN_FRACTION_DIVISOR;
        List<CompareJson.DiffNode> diff = tree.flatten(minBytes).stream()
                .map(n -> new CompareJson.DiffNode(n.name(), n.parent(), n.bytes()[FlameTree.BASE],
                        n.bytes()[FlameTree.TARGET])).toList();
        CompareJson.Side bs = b.side();
        CompareJson.Side ts = t.side();
        return new CompareJson(mode, filter, bs, ts, round(ts.leakRate() - bs.leakRate()),
                RateChangeJson.between(b.estimate(), t.estimate()), deltas(b, t, limit, rates), diff);
    }

    private Loaded loadSession(long id, AllocationSelection selection) {
        SessionRow row = byId.find(id).orElseThrow(() -> ApiException.notFound("session " + id + " not found"));
        Member m = member(row, selection);
        return new Loaded(row.service(), row.deployment(), row.id(), row.host(), List.of(m), m.stacks());
    }

    private Loaded loadDeployment(String service, String deployment, AllocationSelection selection) {
        List<SessionRow> rows = inScope.ofDeployment(service, deployment, DeployComparisonQuery.MAX_SESSIONS);
        if (rows.isEmpty()) {
            throw ServicesController.noSessions(service, deployment);
        }
        List<Member> members = rows.stream().map(r -> member(r, selection)).toList();
        Map<Long, long[]> sums = new HashMap<>();
        for (Member m : members) {
            m.stacks().forEach((stack, total) -> {
                long[] s = sums.computeIfAbsent(stack, k -> new long[2]);
                s[0] += total.bytes();
                s[1] += total.count();
            });
        }
        Map<Long, StackTotalsQuery.Total> means = new HashMap<>();
        int n = members.size();
        sums.forEach((stack, s) -> means.put(stack, new StackTotalsQuery.Total(Math.round((double) s[0] / n),
                Math.round((double) s[1] / n))));
        return new Loaded(service, deployment, null, null, members, means);
    }

    private Member member(SessionRow row, AllocationSelection selection) {
        long id = row.id();
        TimeRange range = timeRange.find(id).orElseThrow(() -> ApiException.notFound("session " + id + " not found"));
        Map<Long, StackTotalsQuery.Total> stacks = totals.totals(id, selection, range);
        AllocationSelection leakedOnly = AllocationSelection.all().leaked();
        Map<Long, StackTotalsQuery.Total> leaked = selection.equals(leakedOnly) ? stacks
                : totals.totals(id, leakedOnly, range);
        LeakVerdict.Result verdict = verdicts.verdict(row, null).map(v -> v.result())
                .orElseThrow(() -> ApiException.notFound("session " + id + " not found"));
        return new Member(row, range, stacks, leaked.values().stream().mapToLong(StackTotalsQuery.Total::bytes).sum(),
                verdict);
    }

    private List<CompareJson.StackDelta> deltas(Loaded b, Loaded t, int limit, Map<Long, RateChangeJson> rates) {
        Set<Long> ids = new HashSet<>(b.stacks().keySet());
        ids.addAll(t.stacks().keySet());
        StackTotalsQuery.Total none = new StackTotalsQuery.Total(0, 0);
        List<CompareJson.StackDelta> rows = new ArrayList<>();
        for (long id : ids) {
            StackTotalsQuery.Total x = b.stacks().getOrDefault(id, none);
            StackTotalsQuery.Total y = t.stacks().getOrDefault(id, none);
            rows.add(new CompareJson.StackDelta(id, List.of(), x.bytes(), y.bytes(), y.bytes() - x.bytes(), x.count(),
                    y.count(), b.rate(x.bytes()), t.rate(y.bytes()), rates.get(id)));
        }
        rows.sort(Comparator.comparingLong((CompareJson.StackDelta d) -> Math.abs(d.deltaBytes())).reversed()
                .thenComparingLong(CompareJson.StackDelta::stackId));
        List<CompareJson.StackDelta> top = rows.subList(0, Math.min(limit, rows.size()));
        Map<Long, List<Frame>> frames = trees.frames(new HashSet<>(top.stream().map(CompareJson.StackDelta::stackId)
                .toList()));
        return top.stream().map(d -> new CompareJson.StackDelta(d.stackId(), frames.getOrDefault(d.stackId(),
                List.of()), d.baseBytes(), d.targetBytes(), d.deltaBytes(), d.baseCount(), d.targetCount(),
                d.baseRate(), d.targetRate(), d.rate())).toList();
    }

    private static double round(double v) {
        return Math.round(v * 100) / 100.0;
    }
}

package dev.plumb.web.api;

import dev.plumb.web.flame.FlameTree;
import dev.plumb.web.query.AllocationSelection;
import dev.plumb.web.query.Frame;
import dev.plumb.web.query.SessionByIdQuery;
import dev.plumb.web.query.SessionRow;
import dev.plumb.web.query.SessionTimeRangeQuery;
import dev.plumb.web.query.StackTotalsQuery;
import dev.plumb.web.query.TimeRange;
import java.util.ArrayList;
import java.util.Comparator;
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
 * host before and after a deploy) — per-backtrace delta table, diff flamegraph, leak-rate change.
 * Rates are per second of each session's own duration, so sessions of different lengths compare.
 */
@RestController
public class CompareController {
    private final SessionByIdQuery byId;
    private final SessionTimeRangeQuery timeRange;
    private final StackTotalsQuery totals;
    private final FlameTreeLoader trees;

    public CompareController(SessionByIdQuery byId, SessionTimeRangeQuery timeRange, StackTotalsQuery totals,
            FlameTreeLoader trees) {
        this.byId = byId;
        this.timeRange = timeRange;
        this.totals = totals;
        this.trees = trees;
    }

    private record Loaded(SessionRow row, TimeRange range, Map<Long, StackTotalsQuery.Total> stacks, long leaked) {
        double seconds() {
            return range.spanUs() / 1e6;
        }

        CompareJson.Side side() {
            long bytes = stacks.values().stream().mapToLong(StackTotalsQuery.Total::bytes).sum();
            long count = stacks.values().stream().mapToLong(StackTotalsQuery.Total::count).sum();
            return new CompareJson.Side(row.id(), row.service(), row.deployment(), row.host(), seconds(), bytes,
                    count, leaked, round(leaked / seconds()));
        }

        double rate(long bytes) {
            return round(bytes / seconds());
        }
    }

    @GetMapping(path = "/api/compare", produces = MediaType.APPLICATION_JSON_VALUE)
    public Mono<CompareJson> compare(@RequestParam(required = false) String base,
            @RequestParam(required = false) String target, @RequestParam(required = false) String filter,
            @RequestParam(required = false) String limit) {
        if (base == null || target == null) {
            throw ApiException.badRequest("base and target (session ids) are both required");
        }
        long baseId = Params.sessionId(base);
        long targetId = Params.sessionId(target);
        AllocationSelection selection = FlameFilters.of(filter, FlameFilters.LEAKED);
        String name = FlameFilters.name(filter, FlameFilters.LEAKED);
        int lim = Params.intInRange("limit", limit, 100, 1, SessionsController.MAX_LEAK_GROUPS);
        return Blocking.call(() -> {
            Loaded b = load(baseId, selection);
            Loaded t = load(targetId, selection);
            FlameTree tree = trees.tree(Map.of(FlameTree.BASE, b.stacks(), FlameTree.TARGET, t.stacks()));
            long minBytes = Math.max(tree.total(FlameTree.BASE), tree.total(FlameTree.TARGET))
                    / FlamegraphController.MIN_FRACTION_DIVISOR;
            List<CompareJson.DiffNode> diff = tree.flatten(minBytes).stream()
                    .map(n -> new CompareJson.DiffNode(n.name(), n.parent(), n.bytes()[FlameTree.BASE],
                            n.bytes()[FlameTree.TARGET])).toList();
            CompareJson.Side bs = b.side();
            CompareJson.Side ts = t.side();
            return new CompareJson(name, bs, ts, round(ts.leakRate() - bs.leakRate()), deltas(b, t, lim), diff);
        });
    }

    private Loaded load(long id, AllocationSelection selection) {
        SessionRow row = byId.find(id).orElseThrow(() -> ApiException.notFound("session " + id + " not found"));
        TimeRange range = timeRange.find(id).orElseThrow(() -> ApiException.notFound("session " + id + " not found"));
        Map<Long, StackTotalsQuery.Total> stacks = totals.totals(id, selection, range);
        AllocationSelection leakedOnly = AllocationSelection.all().leaked();
        Map<Long, StackTotalsQuery.Total> leaked = selection.equals(leakedOnly) ? stacks
                : totals.totals(id, leakedOnly, range);
        return new Loaded(row, range, stacks, leaked.values().stream().mapToLong(StackTotalsQuery.Total::bytes).sum());
    }

    private List<CompareJson.StackDelta> deltas(Loaded b, Loaded t, int limit) {
        Set<Long> ids = new HashSet<>(b.stacks().keySet());
        ids.addAll(t.stacks().keySet());
        StackTotalsQuery.Total none = new StackTotalsQuery.Total(0, 0);
        List<CompareJson.StackDelta> rows = new ArrayList<>();
        for (long id : ids) {
            StackTotalsQuery.Total x = b.stacks().getOrDefault(id, none);
            StackTotalsQuery.Total y = t.stacks().getOrDefault(id, none);
            rows.add(new CompareJson.StackDelta(id, List.of(), x.bytes(), y.bytes(), y.bytes() - x.bytes(), x.count(),
                    y.count(), b.rate(x.bytes()), t.rate(y.bytes())));
        }
        rows.sort(Comparator.comparingLong((CompareJson.StackDelta d) -> Math.abs(d.deltaBytes())).reversed()
                .thenComparingLong(CompareJson.StackDelta::stackId));
        List<CompareJson.StackDelta> top = rows.subList(0, Math.min(limit, rows.size()));
        Map<Long, List<Frame>> frames = trees.frames(new HashSet<>(top.stream().map(CompareJson.StackDelta::stackId)
                .toList()));
        return top.stream().map(d -> new CompareJson.StackDelta(d.stackId(), frames.getOrDefault(d.stackId(),
                List.of()), d.baseBytes(), d.targetBytes(), d.deltaBytes(), d.baseCount(), d.targetCount(),
                d.baseRate(), d.targetRate())).toList();
    }

    private static double round(double v) {
        return Math.round(v * 100) / 100.0;
    }
}

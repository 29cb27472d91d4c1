package dev.plumb.web.api;

import dev.plumb.web.flame.FlameTree;
import dev.plumb.web.query.AllocationSelection;
import dev.plumb.web.query.SessionTimeRangeQuery;
import dev.plumb.web.query.StackTotalsQuery;
import dev.plumb.web.query.TimeRange;
import java.util.Map;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/**
 * GET /api/sessions/{id}/flamegraph?filter=all|leaked|temporary[&at=T][&from=&to=]: where the
 * selected allocations come from, as a call tree. {@code at} keeps what was alive at that
 * instant ("live at time T"); from/to keep allocations made in that range (the session page's
 * slider). Subtrees under 1/5000 of the total are left out (narrower than a pixel).
 */
@RestController
public class FlamegraphController {
    static final long MIN_FRACTION_DIVISOR = 5000;

    private final SessionTimeRangeQuery timeRange;
    private final StackTotalsQuery totals;
    private final FlameTreeLoader trees;

    public FlamegraphController(SessionTimeRangeQuery timeRange, StackTotalsQuery totals, FlameTreeLoader trees) {
        this.timeRange = timeRange;
        this.totals = totals;
        this.trees = trees;
    }

    @GetMapping(path = "/api/sessions/{id}/flamegraph", produces = MediaType.APPLICATION_JSON_VALUE)
    public Mono<FlamegraphJson> flamegraph(@PathVariable String id, @RequestParam(required = false) String filter,
            @RequestParam(required = false) String at, @RequestParam(required = false) String from,
            @RequestParam(required = false) String to) {
        long sid = Params.sessionId(id);
        AllocationSelection selection = FlameFilters.of(filter, FlameFilters.ALL);
        Long atUs = Params.instantMicros("at", at);
        Long fromUs = Params.instantMicros("from", from);
        Long toUs = Params.instantMicros("to", to);
        if (fromUs != null && toUs != null && fromUs > toUs) {
            throw ApiException.badRequest("from must not be after to");
        }
        if (atUs != null) {
            selection = selection.aliveAt(atUs + 999); // at is inclusive at millisecond precision
        }
        if (fromUs != null) {
            selection = selection.from(fromUs);
        }
        if (toUs != null) {
            selection = selection.until(toUs + 999);
        }
        AllocationSelection chosen = selection;
        String name = FlameFilters.name(filter, FlameFilters.ALL);
        return Blocking.call(() -> {
            TimeRange range = timeRange.find(sid)
                    .orElseThrow(() -> ApiException.notFound("session " + sid + " not found"));
            FlameTree tree = trees.tree(Map.of(FlameTree.BASE, totals.totals(sid, chosen, range)));
            long minBytes = tree.total(FlameTree.BASE) / MIN_FRACTION_DIVISOR;
            return FlamegraphJson.of(name, tree.flatten(minBytes), minBytes);
        });
    }
}

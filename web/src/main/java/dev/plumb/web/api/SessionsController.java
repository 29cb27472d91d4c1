package dev.plumb.web.api;

import dev.plumb.web.query.LeakFilter;
import dev.plumb.web.query.LeakReportQuery;
import dev.plumb.web.query.MemoryQuery;
import dev.plumb.web.query.SessionByIdQuery;
import dev.plumb.web.query.SessionListQuery;
import dev.plumb.web.query.SessionTimeRangeQuery;
import dev.plumb.web.query.SessionTotalsQuery;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/**
 * /api/sessions and what hangs off one session: totals, the leak table, the memory graph.
 * Parameters are taken as strings and parsed by {@link Params} so a bad one gets a message
 * naming it; the JDBC queries block, so they run on the bounded elastic scheduler.
 */
@RestController
@RequestMapping(path = "/api/sessions", produces = MediaType.APPLICATION_JSON_VALUE)
public class SessionsController {
    static final int MAX_PAGE = 1000;
    static final int MAX_LEAK_GROUPS = 1000;
    static final int MAX_POINTS = 2000;

    private final SessionListQuery list;
    private final SessionByIdQuery byId;
    private final SessionTotalsQuery totals;
    private final SessionTimeRangeQuery timeRange;
    private final LeakReportQuery leaks;
    private final MemoryQuery memory;

    public SessionsController(SessionListQuery list, SessionByIdQuery byId, SessionTotalsQuery totals,
            SessionTimeRangeQuery timeRange, LeakReportQuery leaks, MemoryQuery memory) {
        this.list = list;
        this.byId = byId;
        this.totals = totals;
        this.timeRange = timeRange;
        this.leaks = leaks;
        this.memory = memory;
    }

    @GetMapping
    public Mono<SessionPageJson> sessions(@RequestParam(required = false) String limit,
            @RequestParam(required = false) String offset) {
        int lim = Params.intInRange("limit", limit, 100, 1, MAX_PAGE);
        long off = Params.nonNegativeLong("offset", offset, 0);
        return Blocking.call(() -> new SessionPageJson(
                list.list(lim, off).stream().map(SessionJson::of).toList(), list.count(), lim, off));
    }

    @GetMapping("/{id}")
    public Mono<SessionDetailJson> session(@PathVariable String id) {
        long sid = Params.sessionId(id);
        return Blocking.call(() -> byId.find(sid)
                .map(s -> SessionDetailJson.of(s, totals.totals(sid)))
                .orElseThrow(() -> notFound(sid)));
    }

    @GetMapping("/{id}/leaks")
    public Mono<Items<LeakJson>> leaks(@PathVariable String id,
            @RequestParam(required = false) String from, @RequestParam(required = false) String to,
            @RequestParam(required = false) String minSize, @RequestParam(required = false) String maxSize,
            @RequestParam(name = "function", required = false) String function,
            @RequestParam(required = false) String sort,
            @RequestParam(required = false) String limit,
            @RequestParam(required = false) String points) {
        long sid = Params.sessionId(id);
        Long fromUs = Params.instantMicros("from", from);
        Long toUs = Params.instantMicros("to", to);
        if (fromUs != null && toUs != null && fromUs > toUs) {
            throw ApiException.badRequest("from must not be after to");
        }
        if (toUs != null) {
            toUs = toUs + 999; // to is inclusive at millisecond precision
        }
        long min = Params.nonNegativeLong("minSize", minSize, 0);
        Long max = maxSize == null || maxSize.isBlank() ? null : Params.nonNegativeLong("maxSize", maxSize, 0);
        if (max != null && max < min) {
            throw ApiException.badRequest("maxSize must not be below minSize");
        }
        LeakFilter filter = new LeakFilter(fromUs, toUs, min, max, Params.regex("function", function),
                Params.intInRange("limit", limit, LeakFilter.DEFAULT_LIMIT, 1, MAX_LEAK_GROUPS), sort(sort));
        int seriesPoints = Params.intInRange("points", points, LeakReportQuery.DEFAULT_SERIES_POINTS, 3, 500);
        return Blocking.call(() -> leaks.find(sid, filter, seriesPoints)
                .map(reports -> new Items<>(reports.stream().map(LeakJson::of).toList()))
                .orElseThrow(() -> notFound(sid)));
    }

    @GetMapping("/{id}/memory")
    public Mono<Items<MemoryJson>> memory(@PathVariable String id, @RequestParam(required = false) String points) {
        long sid = Params.sessionId(id);
        int n = Params.intInRange("points", points, 200, 2, MAX_POINTS);
        return Blocking.call(() -> timeRange.find(sid)
                .map(range -> new Items<>(memory.memory(sid, range, n).stream().map(MemoryJson::of).toList()))
                .orElseThrow(() -> notFound(sid)));
    }

    private static LeakFilter.Sort sort(String raw) {
        if (raw == null || raw.isBlank()) {
            return LeakFilter.Sort.BYTES;
        }
        return switch (raw.trim()) {
            case "bytes" -> LeakFilter.Sort.BYTES;
            case "count" -> LeakFilter.Sort.COUNT;
            case "growth" -> LeakFilter.Sort.GROWTH;
            default -> throw ApiException.badRequest("sort must be bytes, count or growth, got '"
                    + Params.clip(raw) + "'");
        };
    }

    private static ApiException notFound(long sid) {
        return ApiException.notFound("session " + sid + " not found");
    }
}

package dev.plumb.web.pages;

import dev.plumb.web.query.SessionByIdQuery;
import dev.plumb.web.query.SessionTimeRangeQuery;
import dev.plumb.web.query.SessionTotals;
import dev.plumb.web.query.SessionTotalsQuery;
import dev.plumb.web.query.TimeRange;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Controller;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.reactive.result.view.Rendering;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * The HTML pages. The fleet page is a shell that fetches its rows and charts from /api/fleet;
 * the session page renders its header and then fetches the graph and the leak table from the
 * same REST API as anyone else.
 */
@Controller
public class PagesController {
    private final SessionByIdQuery byId;
    private final SessionTotalsQuery totals;
    private final SessionTimeRangeQuery timeRange;

    public PagesController(SessionByIdQuery byId, SessionTotalsQuery totals, SessionTimeRangeQuery timeRange) {
        this.byId = byId;
        this.totals = totals;
        this.timeRange = timeRange;
    }

    /**
     * The fleet dashboard, or one service, deployment or host of it (?service=&deployment=&host=):
     * query parameters rather than path segments, so that any label (slashes included) makes a
     * working, shareable link. Search and time range are read from the URL by fleet.js.
     */
    @GetMapping("/")
    public Mono<Rendering> fleet(@RequestParam(required = false) String service,
            @RequestParam(required = false) String deployment, @RequestParam(required = false) String host) {
        return Mono.just(Rendering.view("fleet").modelAttribute("fleet", new FleetView(service, deployment, host))
                .build());
    }

    @GetMapping("/sessions/{id}")
    public Mono<Rendering> session(@PathVariable String id) {
        if (!id.matches("\\d{1,18}")) {
            return Mono.just(notFound("There is no session \"" + id + "\": session ids are positive integers."));
        }
        long sid = Long.parseLong(id);
        return Mono.fromCallable(() -> sessionView(sid)).subscribeOn(Schedulers.boundedElastic())
                .map(view -> view.map(v -> Rendering.view("session").modelAttribute("s", v).build())
                        .orElseGet(() -> notFound("Session " + sid + " not found.")));
    }

    private static Rendering notFound(String message) {
        return Rendering.view("not-found").modelAttribute("message", message).status(HttpStatus.NOT_FOUND).build();
    }

    private Optional<SessionView> sessionView(long id) {
        return byId.find(id).map(s -> {
            SessionTotals t = totals.totals(id);
            Instant end = s.endedAt();
            if (end == null) {
                end = timeRange.find(id).map(TimeRange::endUs)
                        .map(us -> Instant.ofEpochSecond(us / 1_000_000, us % 1_000_000 * 1000))
                        .orElse(s.startedAt());
            }
            Duration duration = Duration.between(s.startedAt(), end);
            return new SessionView(s.id(), s.service(), s.deployment(), s.host(), s.pid(), s.exe(),
                    Humanize.time(s.startedAt()), s.endedAt() == null ? "running" : Humanize.time(s.endedAt()),
                    Humanize.duration(duration.isNegative() ? Duration.ZERO : duration) + (s.endedAt() == null ? " so far" : ""),
                    s.state(), Humanize.count(t.allocations()), Humanize.count(t.frees()),
                    Humanize.bytes(t.bytesAllocated()), Humanize.bytes(t.bytesFreed()), Humanize.bytes(t.bytesLeaked()),
                    Humanize.count(s.droppedEvents()), s.droppedEvents() > 0);
        });
    }
}

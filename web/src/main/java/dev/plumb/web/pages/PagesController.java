package dev.plumb.web.pages;

import dev.plumb.web.query.SessionByIdQuery;
import dev.plumb.web.query.SessionLeakedBytesQuery;
import dev.plumb.web.query.SessionListQuery;
import dev.plumb.web.query.SessionRow;
import dev.plumb.web.query.SessionTimeRangeQuery;
import dev.plumb.web.query.SessionTotals;
import dev.plumb.web.query.SessionTotalsQuery;
import dev.plumb.web.query.TimeRange;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Controller;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.reactive.result.view.Rendering;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * The HTML pages. The fleet list is rendered on the server; the session page renders its
 * header and then fetches the graph and the leak table from the same REST API as anyone else.
 */
@Controller
public class PagesController {
    /** The fleet page shows this many of the newest sessions. */
    static final int FLEET_SESSIONS = 500;

    private final SessionListQuery list;
    private final SessionLeakedBytesQuery leaked;
    private final SessionByIdQuery byId;
    private final SessionTotalsQuery totals;
    private final SessionTimeRangeQuery timeRange;

    public PagesController(SessionListQuery list, SessionLeakedBytesQuery leaked, SessionByIdQuery byId,
            SessionTotalsQuery totals, SessionTimeRangeQuery timeRange) {
        this.list = list;
        this.leaked = leaked;
        this.byId = byId;
        this.totals = totals;
        this.timeRange = timeRange;
    }

    @GetMapping("/")
    public Mono<Rendering> fleet() {
        return Mono.fromCallable(this::fleetView).subscribeOn(Schedulers.boundedElastic())
                .map(view -> Rendering.view("fleet").modelAttribute("fleet", view).build());
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

    private FleetView fleetView() {
        List<SessionRow> rows = list.list(FLEET_SESSIONS, 0);
        long total = list.count();
        Map<Long, Long> leakedBySession = leaked.leakedBytes(rows.stream().map(SessionRow::id).toList());
        Map<String, Map<String, List<FleetView.Row>>> grouped = new LinkedHashMap<>();
        rows.stream()
                .sorted(Comparator.comparing(SessionRow::service).thenComparing(SessionRow::deployment)
                        .thenComparing(SessionRow::startedAt, Comparator.reverseOrder()))
                .forEach(s -> {
                    long bytes = leakedBySession.getOrDefault(s.id(), 0L);
                    grouped.computeIfAbsent(s.service(), k -> new LinkedHashMap<>())
                            .computeIfAbsent(s.deployment(), k -> new ArrayList<>())
                            .add(new FleetView.Row(s.id(), s.host(), s.pid(), s.exe(), Humanize.time(s.startedAt()),
                                    s.state(), bytes, Humanize.bytes(bytes)));
                });
        List<FleetView.Service> services = new ArrayList<>();
        grouped.forEach((service, deployments) -> {
            List<FleetView.Deployment> ds = new ArrayList<>();
            long serviceBytes = 0;
            int count = 0;
            for (Map.Entry<String, List<FleetView.Row>> d : deployments.entrySet()) {
                long bytes = d.getValue().stream().mapToLong(FleetView.Row::leakedBytes).sum();
                serviceBytes += bytes;
                count += d.getValue().size();
                ds.add(new FleetView.Deployment(d.getKey(), bytes, Humanize.bytes(bytes), d.getValue()));
            }
            services.add(new FleetView.Service(service, serviceBytes, Humanize.bytes(serviceBytes), count, ds));
        });
        return new FleetView(services, total, rows.size());
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

package dev.plumb.web.api;

import dev.plumb.web.query.FleetOverviewQuery;
import dev.plumb.web.query.FleetScope;
import dev.plumb.web.query.TimeRange;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/**
 * GET /api/fleet?[q=][&service=&deployment=&host=][&range=1h|6h|24h|7d|30d|all | &from=&to=][&points=]:
 * the fleet dashboard's data. q is a case-insensitive substring of service, deployment or host;
 * service, deployment and host narrow to one of each. range is relative to now; from and to
 * (epoch ms or ISO-8601, together) give a fixed window; neither = all, from the scope's first
 * process to its last sign of life.
 */
@RestController
public class FleetController {
    static final int MAX_POINTS = 500;
    static final int DEFAULT_POINTS = 60;
    static final int MAX_TEXT = 200;
    static final Map<String, Duration> RANGES = new LinkedHashMap<>();

    static {
        RANGES.put("1h", Duration.ofHours(1));
        RANGES.put("6h", Duration.ofHours(6));
        RANGES.put("24h", Duration.ofHours(24));
        RANGES.put("7d", Duration.ofDays(7));
        RANGES.put("30d", Duration.ofDays(30));
        RANGES.put("all", null);
    }

    private final FleetOverviewQuery overview;

    public FleetController(FleetOverviewQuery overview) {
        this.overview = overview;
    }

    @GetMapping(path = "/api/fleet", produces = MediaType.APPLICATION_JSON_VALUE)
    public Mono<FleetJson> fleet(@RequestParam(required = false) String q,
            @RequestParam(required = false) String service, @RequestParam(required = false) String deployment,
            @RequestParam(required = false) String host, @RequestParam(required = false) String range,
            @RequestParam(required = false) String from, @RequestParam(required = false) String to,
            @RequestParam(required = false) String points) {
        FleetScope scope = new FleetScope(text("service", service), text("deployment", deployment),
                text("host", host), text("q", q));
        int n = Params.intInRange("points", points, DEFAULT_POINTS, 2, MAX_POINTS);
        Long fromUs = Params.instantMicros("from", from);
        Long toUs = Params.instantMicros("to", to);
        boolean hasRange = range != null && !range.isBlank();
        if (hasRange && (fromUs != null || toUs != null)) {
            throw ApiException.badRequest("give either range or from and to, not both");
        }
        if ((fromUs == null) != (toUs == null)) {
            throw ApiException.badRequest("from and to go together: give both, or range, or neither (= all)");
        }
        TimeRange window;
        String label;
        if (fromUs != null) {
            if (fromUs > toUs) {
                throw ApiException.badRequest("from must not be after to");
            }
            window = new TimeRange(fromUs, toUs);
            label = "custom";
        } else {
            label = hasRange ? range.trim() : "all";
            if (!RANGES.containsKey(label)) {
                throw ApiException.badRequest("range must be one of " + String.join(", ", RANGES.keySet())
                        + ", got '" + Params.clip(range) + "'");
            }
            Duration d = RANGES.get(label);
            long now = System.currentTimeMillis() * 1000;
            window = d == null ? null : new TimeRange(now - d.toNanos() / 1000, now);
        }
        return Blocking.call(() -> FleetJson.of(overview.overview(scope, window, n), label, n));
    }

    private static String text(String name, String raw) {
        if (raw != null && raw.length() > MAX_TEXT) {
            throw ApiException.badRequest(name + " is longer than " + MAX_TEXT + " characters");
        }
        return raw;
    }
}

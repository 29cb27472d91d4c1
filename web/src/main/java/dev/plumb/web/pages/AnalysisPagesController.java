package dev.plumb.web.pages;

import dev.plumb.web.alerts.AlertProperties;
import org.springframework.stereotype.Controller;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.reactive.result.view.Rendering;
import org.springframework.web.util.UriComponentsBuilder;
import reactor.core.publisher.Mono;

/**
 * /alerts: rules (built-in and the user's, editable) and active alerts, fetched from
 * /api/alerts in the browser; and /services/{service}/compare, now a redirect to /compare.
 */
@Controller
public class AnalysisPagesController {
    private final AlertProperties properties;

    public AnalysisPagesController(AlertProperties properties) {
        this.properties = properties;
    }

    @GetMapping("/alerts")
    public Mono<Rendering> alerts() {
        int receivers = (int) properties.webhookUrls().stream().filter(u -> u != null && !u.isBlank()).count();
        return Mono.just(Rendering.view("alerts")
                .modelAttribute("window", Humanize.duration(properties.window()))
                .modelAttribute("interval", Humanize.duration(properties.evaluationInterval()))
                .modelAttribute("webhooks", receivers == 0 ? "no webhook (set plumb.alerts.webhook-urls)"
                        : receivers == 1 ? "1 webhook" : receivers + " webhooks")
                .build());
    }

    /** The former deploy comparison page: /compare compares deployments now; old links keep working. */
    @GetMapping("/services/{service}/compare")
    public Mono<Rendering> compare(@PathVariable String service, @RequestParam(required = false) String base,
            @RequestParam(required = false) String target) {
        UriComponentsBuilder uri = UriComponentsBuilder.fromPath("/compare").queryParam("service", service);
        if (base != null) {
            uri.queryParam("base", base);
        }
        if (target != null) {
            uri.queryParam("target", target);
        }
        return Mono.just(Rendering.redirectTo(uri.encode().build().toUriString()).build());
    }
}

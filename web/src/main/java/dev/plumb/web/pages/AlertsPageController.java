package dev.plumb.web.pages;

import dev.plumb.web.alerts.AlertProperties;
import org.springframework.stereotype.Controller;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.reactive.result.view.Rendering;
import reactor.core.publisher.Mono;

/** /alerts: rules (built-in and the user's, editable) and active alerts, from /api/alerts. */
@Controller
public class AlertsPageController {
    private final AlertProperties properties;

    public AlertsPageController(AlertProperties properties) {
        this.properties = properties;
    }

    @GetMapping("/alerts")
    public Mono<Rendering> alerts() {
        int receivers = (int) properties.getWebhookUrls().stream().filter(u -> u != null && !u.isBlank()).count();
        return Mono.just(Rendering.view("alerts")
                .modelAttribute("window", Humanize.duration(properties.getWindow()))
                .modelAttribute("interval", Humanize.duration(properties.getEvaluationInterval()))
                .modelAttribute("webhooks", receivers == 0 ? "no webhook (set plumb.alerts.webhook-urls)"
                        : receivers == 1 ? "1 webhook" : receivers + " webhooks")
                .build());
    }
}

package dev.plumb.web.pages;

import org.springframework.stereotype.Controller;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.reactive.result.view.Rendering;
import reactor.core.publisher.Mono;

/**
 * /script (the script console) and /compare (two sessions or two deployments side by side). Both
 * are shells that fetch everything from the REST API; session ids from the query string are
 * passed on only when they are ids.
 */
@Controller
public class ConsolePagesController {
    @GetMapping("/script")
    public Mono<Rendering> script(@RequestParam(required = false) String session) {
        return Mono.just(Rendering.view("script").modelAttribute("sessionId", idOrEmpty(session)).build());
    }

    /**
     * Two sessions (?base=&target= session ids), or two deployments of a service
     * (?service=S&base=A&target=B, deployment names, which Thymeleaf escapes like any text).
     */
    @GetMapping("/compare")
    public Mono<Rendering> compare(@RequestParam(required = false) String service,
            @RequestParam(required = false) String base, @RequestParam(required = false) String target) {
        boolean deployments = service != null && !service.isBlank();
        return Mono.just(Rendering.view("compare")
                .modelAttribute("service", deployments ? service : "")
                .modelAttribute("base", deployments ? orEmpty(base) : idOrEmpty(base))
                .modelAttribute("target", deployments ? orEmpty(target) : idOrEmpty(target)).build());
    }

    private static String orEmpty(String raw) {
        return raw == null ? "" : raw;
    }

    private static String idOrEmpty(String raw) {
        return raw != null && raw.matches("\\d{1,18}") ? raw : "";
    }
}

package dev.plumb.web.pages;

import org.springframework.stereotype.Controller;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.reactive.result.view.Rendering;
import reactor.core.publisher.Mono;

/**
 * /script (the script console) and /compare (two sessions side by side). Both are shells that
 * fetch everything from the REST API; the ids from the query string are passed on only when
 * they are ids, so nothing else reaches the page.
 */
@Controller
public class ConsolePagesController {
    @GetMapping("/script")
    public Mono<Rendering> script(@RequestParam(required = false) String session) {
        return Mono.just(Rendering.view("script").modelAttribute("sessionId", idOrEmpty(session)).build());
    }

    @GetMapping("/compare")
    public Mono<Rendering> compare(@RequestParam(required = false) String base,
            @RequestParam(required = false) String target) {
        return Mono.just(Rendering.view("compare").modelAttribute("base", idOrEmpty(base))
                .modelAttribute("target", idOrEmpty(target)).build());
    }

    private static String idOrEmpty(String raw) {
        return raw != null && raw.matches("\\d{1,18}") ? raw : "";
    }
}

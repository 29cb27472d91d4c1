package dev.plumb.web.api;

import java.nio.charset.StandardCharsets;
import org.springframework.core.annotation.Order;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.http.MediaType;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebExceptionHandler;
import reactor.core.publisher.Mono;
import tools.jackson.databind.ObjectMapper;

/**
 * Errors that never reach a controller — no such route, wrong method, unreadable request —
 * answered as JSON for paths under /api. Ordered before Spring Boot's error handler (-1), which
 * still renders the HTML error page for everything else.
 */
@Component
@Order(-2)
public class ApiWebExceptionHandler implements WebExceptionHandler {
    private final ObjectMapper json;

    public ApiWebExceptionHandler(ObjectMapper json) {
        this.json = json;
    }

    @Override
    public Mono<Void> handle(ServerWebExchange exchange, Throwable ex) {
        String path = exchange.getRequest().getPath().pathWithinApplication().value();
        ServerHttpResponse response = exchange.getResponse();
        if (!(path.equals("/api") || path.startsWith("/api/")) || response.isCommitted()) {
            return Mono.error(ex);
        }
        ApiErrors.Mapped m = ApiErrors.map(ex, exchange.getRequest().getMethod().name(), path);
        byte[] body;
        try {
            body = json.writeValueAsBytes(m.body());
        } catch (RuntimeException e) {
            body = "{\"error\":\"internal error\"}".getBytes(StandardCharsets.UTF_8);
        }
        response.setStatusCode(m.status());
        response.getHeaders().setContentType(MediaType.APPLICATION_JSON);
        DataBuffer buffer = response.bufferFactory().wrap(body);
        return response.writeWith(Mono.just(buffer));
    }
}

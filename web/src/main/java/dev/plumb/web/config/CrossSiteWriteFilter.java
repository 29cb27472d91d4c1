package dev.plumb.web.config;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

/**
 * Refuses state-changing requests (anything but GET, HEAD, OPTIONS) that a browser sent on
 * behalf of another site: a page elsewhere must not be able to make a logged-in browser — or
 * any browser, for a Plumb without login on localhost — post a script, change an alert rule
 * or import a file. The browser says where a request comes from: {@code Sec-Fetch-Site}
 * (every current browser) must be {@code same-origin} or {@code none} (typed by the user);
 * without it, an {@code Origin} header must name this server. Requests with neither are not
 * from a browser's cross-site context (curl, `plumb import`) and pass. See docs/RATIONALE.md.
 */
public final class CrossSiteWriteFilter implements WebFilter {
    private static final Set<HttpMethod> SAFE = Set.of(HttpMethod.GET, HttpMethod.HEAD, HttpMethod.OPTIONS, HttpMethod.TRACE);

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        ServerHttpRequest request = exchange.getRequest();
        if (SAFE.contains(request.getMethod())) {
            return chain.filter(exchange);
        }
        String refusal = refusal(request.getHeaders());
        if (refusal == null) {
            return chain.filter(exchange);
        }
        ServerHttpResponse response = exchange.getResponse();
        response.setStatusCode(HttpStatus.FORBIDDEN);
        response.getHeaders().setContentType(MediaType.APPLICATION_JSON);
        byte[] body = Json.error("cross-site request refused: " + refusal).getBytes(StandardCharsets.UTF_8);
        return response.writeWith(Mono.just(response.bufferFactory().wrap(body)));
    }

    /** Why this request looks forged from another site, or null if it does not. */
    static String refusal(HttpHeaders headers) {
        String site = headers.getFirst("Sec-Fetch-Site");
        if (site != null) {
            return site.equals("same-origin") || site.equals("none") ? null
                    : "Sec-Fetch-Site is " + site + "; state-changing requests must come from this server's own pages";
        }
        String origin = headers.getFirst(HttpHeaders.ORIGIN);
        if (origin == null) {
            return null; // not a browser, or a same-origin request of a browser too old to say
        }
        String host = headers.getFirst(HttpHeaders.HOST);
        if (host != null && authority(origin).equalsIgnoreCase(host)) {
            return null;
        }
        return "Origin " + origin + " is not this server (" + host + ")";
    }

    /** host[:port] of an Origin, with the port only when the origin names one (as Host does). */
    private static String authority(String origin) {
        try {
            URI uri = URI.create(origin);
            if (uri.getHost() == null) {
                return "\0"; // "null" (sandboxed or privacy-sensitive contexts) matches nothing
            }
            return uri.getPort() < 0 ? uri.getHost() : uri.getHost() + ":" + uri.getPort();
        } catch (IllegalArgumentException e) {
            return "\0";
        }
    }
}

package dev.plumb.web.config;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.security.authentication.DisabledException;
import org.springframework.security.authentication.ReactiveAuthenticationManager;
import org.springframework.security.authentication.UserDetailsRepositoryReactiveAuthenticationManager;
import org.springframework.security.config.annotation.web.reactive.EnableWebFluxSecurity;
import org.springframework.security.config.web.server.SecurityWebFiltersOrder;
import org.springframework.security.config.web.server.ServerHttpSecurity;
import org.springframework.security.core.userdetails.MapReactiveUserDetailsService;
import org.springframework.security.core.userdetails.User;
import org.springframework.security.crypto.bcrypt.BCryptPasswordEncoder;
import org.springframework.security.crypto.password.DelegatingPasswordEncoder;
import org.springframework.security.crypto.password.PasswordEncoder;
import org.springframework.security.web.server.SecurityWebFilterChain;
import org.springframework.security.web.server.ServerAuthenticationEntryPoint;
import org.springframework.security.web.server.header.CacheControlServerHttpHeadersWriter;
import org.springframework.security.web.server.header.ReferrerPolicyServerHttpHeadersWriter.ReferrerPolicy;
import org.springframework.security.web.server.header.ServerHttpHeadersWriter;
import reactor.core.publisher.Mono;

/**
 * Who may use the HTTP port, and the headers every response carries. With
 * plumb.web.auth.username/password set, everything but /actuator/health needs HTTP basic
 * (401 with a JSON body under /api and /actuator, the browser's login prompt for pages);
 * unset, everything is open and a warning says so once. In both cases: a Content-Security-Policy
 * that allows only this server's own scripts, styles and connections, no framing, nosniff, a
 * same-origin referrer policy, and no state-changing request from another site
 * ({@link CrossSiteWriteFilter}). Used by every role's HTTP server (the gatherer role serves
 * actuator only), so Spring Boot's generated-password default never applies.
 */
@Configuration(proxyBeanMethods = false)
@EnableWebFluxSecurity
@EnableConfigurationProperties(WebAuthProperties.class)
public class WebSecurity {
    private static final Logger log = LoggerFactory.getLogger(WebSecurity.class);
    static final String REALM = "Plumb";

    /**
     * Everything is served from here (ECharts is a local webjar). style-src-attr allows the
     * style attributes ECharts writes into its tooltips' markup; no inline script anywhere.
     */
    public static final String CONTENT_SECURITY_POLICY = "default-src 'self'; script-src 'self'; "
            + "style-src 'self'; style-src-attr 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; "
            + "font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

    @Bean
    SecurityWebFilterChain plumbSecurity(ServerHttpSecurity http, WebAuthProperties auth,
                                         ReactiveAuthenticationManager authentication) {
        http.csrf(ServerHttpSecurity.CsrfSpec::disable) // replaced by the cross-site check below
                .formLogin(ServerHttpSecurity.FormLoginSpec::disable)
                .logout(ServerHttpSecurity.LogoutSpec::disable)
                .requestCache(cache -> cache.requestCache(org.springframework.security.web.server.savedrequest
                        .NoOpServerRequestCache.getInstance()))
                .addFilterAt(new CrossSiteWriteFilter(), SecurityWebFiltersOrder.CSRF)
                .headers(headers -> headers
                        .contentSecurityPolicy(csp -> csp.policyDirectives(CONTENT_SECURITY_POLICY))
                        .referrerPolicy(referrer -> referrer.policy(ReferrerPolicy.SAME_ORIGIN))
                        .frameOptions(frame -> frame.mode(
                                org.springframework.security.web.server.header.XFrameOptionsServerHttpHeadersWriter.Mode.DENY))
                        .cache(ServerHttpSecurity.HeaderSpec.CacheSpec::disable)
                        .writer(noStoreExceptStaticFiles()));
        if (auth.enabled()) {
            ServerAuthenticationEntryPoint entryPoint = WebSecurity::askForLogin;
            http.authenticationManager(authentication)
                    .httpBasic(basic -> basic.authenticationManager(authentication).authenticationEntryPoint(entryPoint))
                    .exceptionHandling(e -> e.authenticationEntryPoint(entryPoint))
                    .authorizeExchange(exchanges -> exchanges
                            .pathMatchers("/actuator/health", "/actuator/health/**").permitAll()
                            .anyExchange().authenticated());
        } else {
            log.warn("no login configured (plumb.web.auth.username / plumb.web.auth.password): anyone who can reach"
                    + " this HTTP port can read every profile and change alert rules");
            http.httpBasic(ServerHttpSecurity.HttpBasicSpec::disable)
                    .authorizeExchange(exchanges -> exchanges.anyExchange().permitAll());
        }
        return http.build();
    }

    /**
     * The one user, or (without a login) a manager that accepts nobody. Being a bean, it also
     * keeps Spring Boot from creating its default user with a generated password.
     */
    @Bean
    ReactiveAuthenticationManager plumbAuthentication(WebAuthProperties auth) {
        if (!auth.enabled()) {
            return authentication -> Mono.error(new DisabledException("no login is configured"));
        }
        PasswordEncoder encoder = passwordEncoder();
        String stored = storedPassword(auth.password());
        var users = new MapReactiveUserDetailsService(User.withUsername(auth.username()).password(stored)
                .authorities("ROLE_USER").build());
        var manager = new UserDetailsRepositoryReactiveAuthenticationManager(users);
        manager.setPasswordEncoder(encoder);
        return manager;
    }

    /** {bcrypt} and {noop} (compared in constant time); a value without a prefix is plain text. */
    static PasswordEncoder passwordEncoder() {
        return new DelegatingPasswordEncoder("bcrypt", Map.of("bcrypt", new BCryptPasswordEncoder(),
                "noop", new ConstantTimePlainText()));
    }

    /** The configured password in {id}… form, checked now so that a typo fails the start, not every login. */
    static String storedPassword(String configured) {
        if (!configured.startsWith("{")) {
            return "{noop}" + configured;
        }
        if (configured.startsWith("{noop}")) {
            return configured;
        }
        if (configured.startsWith("{bcrypt}")) {
            if (!configured.substring("{bcrypt}".length()).matches("\\$2[aby]?\\$\\d\\d\\$[./0-9A-Za-z]{53}")) {
                throw new IllegalArgumentException("plumb.web.auth.password starts with {bcrypt} but the rest is not a"
                        + " bcrypt hash ($2a$10$ and 53 more characters); make one with `plumb hash-password`");
            }
            return configured;
        }
        throw new IllegalArgumentException("plumb.web.auth.password: only {bcrypt}… and {noop}… are understood"
                + " (or a plain password without a {prefix})");
    }

    /** 401 asking for basic credentials; a JSON body for API and actuator clients. */
    private static Mono<Void> askForLogin(org.springframework.web.server.ServerWebExchange exchange,
                                          org.springframework.security.core.AuthenticationException e) {
        var response = exchange.getResponse();
        response.setStatusCode(HttpStatus.UNAUTHORIZED);
        response.getHeaders().set(HttpHeaders.WWW_AUTHENTICATE, "Basic realm=\"" + REALM + "\", charset=\"UTF-8\"");
        String path = exchange.getRequest().getPath().pathWithinApplication().value();
        boolean api = path.startsWith("/api/") || path.equals("/api") || path.startsWith("/actuator");
        String body = api ? Json.error("authentication required: log in with HTTP basic (plumb.web.auth.username)")
                : "Plumb needs a login.\n";
        response.getHeaders().setContentType(api ? MediaType.APPLICATION_JSON : MediaType.TEXT_PLAIN);
        return response.writeWith(Mono.just(response.bufferFactory().wrap(body.getBytes(StandardCharsets.UTF_8))));
    }

    /**
     * Cache-Control: no-store for pages and API answers (profiles are not for shared caches);
     * the static files (scripts, styles, ECharts) stay cacheable.
     */
    private static ServerHttpHeadersWriter noStoreExceptStaticFiles() {
        CacheControlServerHttpHeadersWriter noStore = new CacheControlServerHttpHeadersWriter();
        return exchange -> {
            String path = exchange.getRequest().getPath().pathWithinApplication().value();
            if (path.startsWith("/js/") || path.startsWith("/css/") || path.startsWith("/webjars/")) {
                return Mono.empty();
            }
            return noStore.writeHttpHeaders(exchange);
        };
    }

    /** {noop}: the plain password, compared without leaking its length of common prefix through timing. */
    private static final class ConstantTimePlainText implements PasswordEncoder {
        @Override
        public String encode(CharSequence raw) {
            return raw.toString();
        }

        @Override
        public boolean matches(CharSequence raw, String stored) {
            return stored != null && MessageDigest.isEqual(raw.toString().getBytes(StandardCharsets.UTF_8),
                    stored.getBytes(StandardCharsets.UTF_8));
        }
    }
}

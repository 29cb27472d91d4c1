package dev.plumb.web.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.plumb.webtest.TestWebApp;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpHeaders;
import org.springframework.security.crypto.bcrypt.BCryptPasswordEncoder;

/**
 * Without a login (the default, as in TestWebApp) everything is open to read, but another site
 * still cannot make a visitor's browser change anything; and the password setting is checked at
 * start, not at the first failed login.
 */
class WebSecurityTest {
    static HttpResponse<byte[]> send(String method, String path, Map<String, String> headers) {
        HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(TestWebApp.baseUrl() + path))
                .header("Content-Type", "application/json")
                .method(method, HttpRequest.BodyPublishers.ofString("{\"session\": 1, \"script\": \"graph().save();\"}"));
        headers.forEach(r::header);
        return TestWebApp.send(r);
    }

    @Test
    void withoutALoginReadsAreOpenButCrossSiteWritesAreRefused() {
        assertThat(TestWebApp.get("/api/sessions").statusCode()).isEqualTo(200);
        assertThat(TestWebApp.get("/").statusCode()).isEqualTo(200);

        Map<String, String> crossSite = Map.of("Origin", "http://evil.example", "Sec-Fetch-Site", "cross-site");
        for (String[] request : new String[][] {{"POST", "/api/script"}, {"POST", "/api/alerts/rules"},
                {"PUT", "/api/alerts/rules/1"}, {"DELETE", "/api/alerts/rules/1"}, {"POST", "/api/import"}}) {
            HttpResponse<byte[]> r = send(request[0], request[1], crossSite);
            assertThat(r.statusCode()).as(String.join(" ", request)).isEqualTo(403);
            assertThat(new String(r.body(), StandardCharsets.UTF_8)).startsWith("{\"error\":\"cross-site request refused");
        }
        // the same request from the page itself, or from a client that is not a browser, goes through
        assertThat(send("POST", "/api/script", Map.of("Sec-Fetch-Site", "same-origin")).statusCode()).isNotEqualTo(403);
        assertThat(send("POST", "/api/script", Map.of()).statusCode()).isNotEqualTo(403);
    }

    @Test
    void theBrowsersWordDecides() {
        assertThat(CrossSiteWriteFilter.refusal(headers("Sec-Fetch-Site", "same-origin"))).isNull();
        assertThat(CrossSiteWriteFilter.refusal(headers("Sec-Fetch-Site", "none"))).isNull(); // typed or bookmarked
        assertThat(CrossSiteWriteFilter.refusal(headers("Sec-Fetch-Site", "same-site"))).contains("same-site");
        assertThat(CrossSiteWriteFilter.refusal(headers("Sec-Fetch-Site", "cross-site"))).contains("cross-site");
        // Sec-Fetch-Site wins over an Origin that would match
        assertThat(CrossSiteWriteFilter.refusal(headers("Sec-Fetch-Site", "cross-site", "Origin", "http://plumb:8080",
                "Host", "plumb:8080"))).isNotNull();
        // older browsers: Origin against Host
        assertThat(CrossSiteWriteFilter.refusal(headers("Origin", "http://plumb:8080", "Host", "plumb:8080"))).isNull();
        assertThat(CrossSiteWriteFilter.refusal(headers("Origin", "https://plumb.example.com", "Host", "plumb.example.com")))
                .isNull();
        assertThat(CrossSiteWriteFilter.refusal(headers("Origin", "http://[::1]:8080", "Host", "[::1]:8080"))).isNull();
        assertThat(CrossSiteWriteFilter.refusal(headers("Origin", "http://plumb:8081", "Host", "plumb:8080"))).isNotNull();
        assertThat(CrossSiteWriteFilter.refusal(headers("Origin", "null", "Host", "plumb:8080"))).isNotNull();
        assertThat(CrossSiteWriteFilter.refusal(headers("Host", "plumb:8080"))).isNull(); // curl, plumb import
    }

    @Test
    void thePasswordSettingIsCheckedAtStart() {
        assertThat(WebSecurity.storedPassword("s3cret")).isEqualTo("{noop}s3cret");
        assertThat(WebSecurity.storedPassword("{noop}s3cret")).isEqualTo("{noop}s3cret");
        String hash = "{bcrypt}" + new BCryptPasswordEncoder().encode("s3cret");
        assertThat(WebSecurity.storedPassword(hash)).isEqualTo(hash);
        assertThat(WebSecurity.passwordEncoder().matches("s3cret", hash)).isTrue();
        assertThat(WebSecurity.passwordEncoder().matches("s3creT", hash)).isFalse();
        assertThat(WebSecurity.passwordEncoder().matches("s3cret", "{noop}s3cret")).isTrue();
        assertThat(WebSecurity.passwordEncoder().matches("s3cre", "{noop}s3cret")).isFalse();

        assertThatThrownBy(() -> WebSecurity.storedPassword("{bcrypt}not-a-hash")).hasMessageContaining("plumb hash-password");
        assertThatThrownBy(() -> WebSecurity.storedPassword("{sha256}abc")).hasMessageContaining("only {bcrypt}");
        assertThatThrownBy(() -> new WebAuthProperties("admin", null)).hasMessageContaining("both username and password");
        assertThatThrownBy(() -> new WebAuthProperties(null, "pw")).hasMessageContaining("got only password");
        assertThat(new WebAuthProperties("admin", "s3cret").toString()).doesNotContain("s3cret");
        assertThat(new WebAuthProperties(null, null).enabled()).isFalse();
    }

    private static HttpHeaders headers(String... pairs) {
        HttpHeaders h = new HttpHeaders();
        for (int i = 0; i < pairs.length; i += 2) {
            h.add(pairs[i], pairs[i + 1]);
        }
        return h;
    }
}

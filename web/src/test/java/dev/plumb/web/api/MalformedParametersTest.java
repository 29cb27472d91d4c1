package dev.plumb.web.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.plumb.web.support.SyntheticSession;
import dev.plumb.web.support.TestDatabase;
import dev.plumb.webtest.TestWebApp;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every GET endpoint of the API with parameters a person (or a scanner) gets wrong: each is a
 * 400 with a JSON error that says what is wrong — never a 500, never a stack trace — and a
 * path that tries to climb out of the static resources finds nothing.
 */
class MalformedParametersTest {
    static long id;

    @BeforeAll
    static void session() throws Exception {
        id = SyntheticSession.create(TestDatabase.dataSource(), "malformed-svc").id;
    }

    @Test
    void badParametersOnEveryEndpointAreA400WithAMessage() {
        String s = "/api/sessions/" + id;
        List<String> requests = List.of(
                "/api/sessions?limit=-1", "/api/sessions?limit=abc", "/api/sessions?offset=1e9999",
                "/api/sessions/abc", "/api/sessions/1%27%20OR%201=1",
                s + "/leaks?from=yesterday", s + "/leaks?to=5x", s + "/leaks?minSize=lots", s + "/leaks?maxSize=-1",
                s + "/leaks?function=(unclosed", s + "/leaks?sort=bogus", s + "/leaks?limit=0", s + "/leaks?points=1",
                s + "/memory?points=0", s + "/memory?points=x",
                s + "/flamegraph?filter=everything", s + "/flamegraph?at=noon", s + "/flamegraph?from=1&to=0",
                s + "/export?format=exe", s + "/export?format=pprof&value=calories",
                "/api/compare?base=1", "/api/compare?base=a&target=b", "/api/compare?base=" + id + "&target=" + id
                        + "&filter=x",
                "/api/fleet?range=forever", "/api/fleet?from=1&to=0", "/api/fleet?points=1", "/api/fleet?points=many",
                "/api/alerts?status=on-fire", "/api/alerts/rules/abc",
                "/api/services/malformed-svc/compare?base=only-one");
        org.assertj.core.api.SoftAssertions soft = new org.assertj.core.api.SoftAssertions();
        for (String request : requests) {
            HttpResponse<String> r = TestWebApp.get(request);
            soft.assertThat(r.statusCode()).as("%s → %s", request, r.body()).isEqualTo(400);
            soft.assertThat(r.headers().firstValue("Content-Type").orElse("")).as(request).startsWith("application/json");
            soft.assertThat(r.body()).as(request).contains("\"error\"")
                    .doesNotContain("Exception").doesNotContain("\tat ").doesNotContain("dev.plumb.");
        }
        soft.assertAll();
    }

    @Test
    void pathsThatClimbOutOfTheStaticResourcesFindNothing() {
        List<String> attempts = List.of("/js/..%2F..%2Fapplication.properties", "/css/%2e%2e/%2e%2e/application.properties",
                "/js/../../application.properties", "/webjars/..%2f..%2fapplication.properties",
                "/js/..%5c..%5capplication.properties", "/%2e%2e/%2e%2e/etc/passwd", "/css/..;/application.properties");
        for (String path : attempts) {
            HttpResponse<String> r = TestWebApp.get(path);
            assertThat(r.statusCode()).as("%s → %s", path, r.statusCode()).isIn(400, 404);
            assertThat(r.body()).as(path).doesNotContain("management.endpoints").doesNotContain("root:x:0:0");
        }
    }
}

package dev.plumb.web.pages;

import static org.assertj.core.api.Assertions.assertThat;

import dev.plumb.web.support.SyntheticSession;
import dev.plumb.web.support.TestDatabase;
import dev.plumb.webtest.TestWebApp;
import java.io.IOException;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Names come from the profiled machines (service, host, executable, function names) and from
 * the URL: a hostile one is shown as text on every server-rendered page, never as markup. (The
 * pages' scripts write names with textContent; BrowserTest checks what they draw.)
 */
class EscapingTest {
    static final String SCRIPT = "<script>alert(1)</script>";
    static final String IMG = "\"><img src=x onerror=alert(1)>";
    static final String SCRIPT_ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;";
    static final String IMG_ESCAPED = "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;";

    static SyntheticSession scriptNamed;
    static SyntheticSession imgNamed;

    @BeforeAll
    static void hostileSessions() throws Exception {
        // each payload as the service of one session and as host, deployment, exe and function of the other
        scriptNamed = SyntheticSession.create(TestDatabase.dataSource(), "svc" + SCRIPT, IMG);
        imgNamed = SyntheticSession.create(TestDatabase.dataSource(), "svc" + IMG, SCRIPT);
    }

    static String page(String pathAndQuery) {
        HttpResponse<String> r = TestWebApp.get(pathAndQuery);
        assertThat(r.statusCode()).as(pathAndQuery).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("text/html");
        assertNoMarkup(pathAndQuery, r.body());
        return r.body();
    }

    static void assertNoMarkup(String what, String html) {
        assertThat(html).as(what).doesNotContain(SCRIPT).doesNotContain(IMG).doesNotContain("<img")
                .doesNotContain("onerror=alert(1)>");
    }

    static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    @Test
    void fleetPageShowsEveryHostileNameAsText() {
        // the rows are drawn in the browser from /api/fleet with textContent (BrowserTest
        // hostileNamesAreDrawnAsText); what the server renders is the drill-down scope
        String html = page("/?service=" + encode("svc" + IMG) + "&deployment=" + encode(SCRIPT) + "&host=" + encode(IMG));
        assertThat(html).contains(">svc" + IMG_ESCAPED + "<").contains(">" + SCRIPT_ESCAPED + "<")
                .contains("data-service=\"svc" + IMG_ESCAPED + "\"").contains("data-host=\"" + IMG_ESCAPED + "\"");
    }

    @Test
    void sessionPagesShowEveryHostileNameAsText() {
        for (SyntheticSession s : List.of(scriptNamed, imgNamed)) {
            String html = page("/sessions/" + s.id);
            String own = s == scriptNamed ? IMG_ESCAPED : SCRIPT_ESCAPED;
            assertThat(html).contains("<title>svc" + (s == scriptNamed ? SCRIPT_ESCAPED : IMG_ESCAPED))
                    .contains("<code>" + own + "</code>").contains("<dd>" + own + "</dd>");
        }
    }

    @Test
    void pagesThatEchoTheUrlEscapeIt() {
        // (a service name with a '/' cannot be a path segment here; the payload without one can)
        String html = page("/compare?service=" + encode("svc" + IMG) + "&base=" + encode(IMG) + "&target=" + encode(SCRIPT));
        assertThat(html).contains("data-base=\"" + IMG_ESCAPED + "\"").contains("data-target=\"" + SCRIPT_ESCAPED + "\"")
                .contains("data-service=\"svc" + IMG_ESCAPED + "\"");
        page("/compare?base=" + encode(IMG) + "&target=" + encode(SCRIPT));
        page("/script?session=" + encode(SCRIPT));
        page("/alerts");
        HttpResponse<String> missing = TestWebApp.get("/sessions/" + encode(SCRIPT));
        assertNoMarkup("not-found page", missing.body());
    }

    @Test
    void theApiReturnsNamesAsJsonThatBrowsersMustNotSniffAsHtml() {
        HttpResponse<String> r = TestWebApp.get("/api/sessions/" + scriptNamed.id + "/leaks");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("application/json");
        assertThat(r.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
        assertThat(r.body()).contains("\\\"><img src=x onerror=alert(1)>"); // JSON-escaped quote, the rest is data
    }

    /** th:text escapes; th:utext and [(…)] would not. None is used — keep it that way, or justify it here. */
    @Test
    void noTemplateWritesUnescapedText() throws IOException {
        Path templates = Path.of(System.getProperty("plumb.root"), "web", "src", "main", "resources", "templates");
        try (Stream<Path> files = Files.list(templates)) {
            for (Path f : files.toList()) {
                String text = Files.readString(f);
                assertThat(text).as(f.toString()).doesNotContain("th:utext").doesNotContain("[(").doesNotContain("th:inline");
            }
        }
    }
}

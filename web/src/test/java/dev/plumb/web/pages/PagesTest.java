package dev.plumb.web.pages;

import static dev.plumb.webtest.TestWebApp.get;
import static org.assertj.core.api.Assertions.assertThat;

import dev.plumb.web.support.SyntheticSession;
import dev.plumb.web.support.TestDatabase;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class PagesTest {
    static SyntheticSession session;
    static SyntheticSession hostile;

    @BeforeAll
    static void setUp() throws Exception {
        session = SyntheticSession.create(TestDatabase.dataSource(), "pages-svc");
        hostile = SyntheticSession.create(TestDatabase.dataSource(), "<script>alert('x')</script>");
    }

    static String html(String path, int status) {
        HttpResponse<String> r = get(path);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(ct -> assertThat(ct).startsWith("text/html"));
        return r.body();
    }

    @Test
    void fleetIsAShellThatTheApiFills() {
        assertThat(html("/", 200)).contains("id=\"fleet-table\"").contains("id=\"fleet-search\"")
                .contains("id=\"fleet-range\"").contains("id=\"fleet-chart\"").contains("/js/fleet.js")
                .contains("/webjars/echarts/5.3.1/dist/echarts.min.js").contains("data-level=\"fleet\"");
        // a host's page: crumbs link back up, each scope a query string
        String host = html("/?service=pages-svc&deployment=v1.2.3&host=host-a", 200);
        assertThat(host).contains("data-level=\"host\"").contains("data-service=\"pages-svc\"")
                .contains("href=\"/?service=pages-svc\"").contains("href=\"/?service=pages-svc&amp;deployment=v1.2.3\"")
                .contains("<title>host-a · Plumb</title>");
        // a host without its deployment is no scope: the page falls back to the service
        assertThat(html("/?service=pages-svc&host=host-a", 200)).contains("data-level=\"service\"");
    }

    @Test
    void sessionPageHasHeaderGraphAndLeakTable() {
        String body = html("/sessions/" + session.id, 200);
        assertThat(body).contains("pages-svc").contains("host-a").contains("4242")
                .contains("id=\"leak-table\"").contains("id=\"memory-chart\"")
                .contains("data-session-id=\"" + session.id + "\"")
                .contains("/webjars/echarts/5.3.1/dist/echarts.min.js").contains("/js/session.js")
                .contains("157 KiB").contains("1 min 40 s")
                // the crumbs lead back up to the session's host, deployment and service on the fleet page
                .contains("href=\"/?service=pages-svc&amp;deployment=v1.2.3&amp;host=host-a\"");
    }

    @Test
    void dataIsEscaped() {
        assertThat(html("/?service=%3Cscript%3Ealert('x')%3C/script%3E", 200)).doesNotContain("<script>alert")
                .contains("&lt;script&gt;alert(");
        assertThat(html("/sessions/" + hostile.id, 200)).doesNotContain("<script>alert").contains("&lt;script&gt;");
    }

    @Test
    void unknownSessionIs404Page() {
        assertThat(html("/sessions/99999999", 404)).contains("Session 99999999 not found");
        assertThat(html("/sessions/abc", 404)).contains("session ids are positive integers");
    }

    @Test
    void assetsAreServed() {
        for (String path : new String[] {"/webjars/echarts/5.3.1/dist/echarts.min.js", "/js/session.js",
                "/js/format.js", "/css/plumb.css"}) {
            assertThat(get(path).statusCode()).as(path).isEqualTo(200);
        }
    }

    @Test
    void scriptAndComparePagesAreShellsThatOnlyPassIdsOn() {
        assertThat(html("/script?session=" + session.id, 200)).contains("id=\"script-text\"")
                .contains("only_passing_through_function(\"honeycomb\")")
                .contains("data-session-id=\"" + session.id + "\"").contains("/js/script.js");
        assertThat(html("/script?session=%3Cscript%3E", 200)).doesNotContain("<script>\"").doesNotContain("&lt;script");
        assertThat(html("/compare?base=" + session.id + "&target=" + hostile.id, 200))
                .contains("data-base=\"" + session.id + "\"").contains("data-target=\"" + hostile.id + "\"")
                .contains("/js/compare.js");
        assertThat(html("/compare?base=1%22onload%3D", 200)).doesNotContain("onload");
        assertThat(html("/compare?service=pages-svc&base=v1&target=v2%22x", 200)).contains("data-service=\"pages-svc\"")
                .contains("data-base=\"v1\"").contains("data-target=\"v2&quot;x\"");
        assertThat(html("/sessions/" + session.id, 200)).contains("id=\"flamegraph\"").contains("id=\"filter-sort\"");
    }

    @Test
    void theFormerDeployComparePageRedirectsToCompare() {
        HttpResponse<String> r = get("/services/shop%20api/compare?base=v1&target=v2");
        assertThat(r.statusCode()).isEqualTo(303);
        assertThat(r.headers().firstValue("Location")).hasValue("/compare?service=shop%20api&base=v1&target=v2");
    }
}

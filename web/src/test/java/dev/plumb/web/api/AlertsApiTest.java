package dev.plumb.web.api;

import static dev.plumb.web.api.SessionsApiTest.json;
import static dev.plumb.webtest.TestWebApp.get;
import static dev.plumb.webtest.TestWebApp.send;
import static org.assertj.core.api.Assertions.assertThat;

import dev.plumb.web.alerts.AlertEvaluator;
import dev.plumb.web.support.SyntheticSession;
import dev.plumb.web.support.TestDatabase;
import dev.plumb.webtest.TestWebApp;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** Rule CRUD with its errors, the alerts list, the /alerts page, and an evaluation on real rows. */
class AlertsApiTest {

    static String error(HttpResponse<String> response, int status) {
        JsonNode body = json(response, status);
        assertThat(body.size()).isEqualTo(1);
        return body.get("error").asString();
    }

    @Test
    void builtInRuleIsListedFirstAndCannotBeChanged() {
        JsonNode rules = json(get("/api/alerts/rules"), 200).get("items");
        JsonNode builtIn = rules.get(0);
        assertThat(builtIn.get("id").asString()).isEqualTo("builtin");
        assertThat(builtIn.get("builtIn").asBoolean()).isTrue();
        assertThat(builtIn.get("minR2").asDouble()).isEqualTo(0.9);
        assertThat(builtIn.get("forSeconds").asLong()).isEqualTo(600);
        assertThat(json(get("/api/alerts/rules/builtin"), 200).get("name").asString()).contains("built-in");
        assertThat(error(send("DELETE", "/api/alerts/rules/builtin", null), 400)).contains("plumb.alerts.default-rule");
        assertThat(error(send("PUT", "/api/alerts/rules/builtin", "{\"name\":\"x\"}"), 400)).contains("built-in");
    }

    @Test
    void rulesAreCreatedReadUpdatedAndDeleted() {
        JsonNode created = json(send("POST", "/api/alerts/rules",
                "{\"name\":\"proxy leaks\",\"service\":\"proxy\",\"minSlopeBytesPerSecond\":2048,\"forSeconds\":300}"), 201);
        String id = created.get("id").asString();
        assertThat(created.get("service").asString()).isEqualTo("proxy");
        assertThat(created.get("deployment").isNull()).isTrue();
        assertThat(created.get("minR2").asDouble()).isEqualTo(0.9);
        assertThat(created.get("enabled").asBoolean()).isTrue();
        assertThat(json(get("/api/alerts/rules/" + id), 200).get("name").asString()).isEqualTo("proxy leaks");

        JsonNode updated = json(send("PUT", "/api/alerts/rules/" + id,
                "{\"name\":\"proxy leaks\",\"service\":\"proxy\",\"minR2\":0.95,\"memoryLimitBytes\":1073741824,"
                        + "\"maxTimeToLimitSeconds\":3600,\"enabled\":false}"), 200);
        assertThat(updated.get("minR2").asDouble()).isEqualTo(0.95);
        assertThat(updated.get("memoryLimitBytes").asLong()).isEqualTo(1073741824L);
        assertThat(updated.get("enabled").asBoolean()).isFalse();
        assertThat(json(get("/api/alerts/rules"), 200).get("items").valueStream()
                .map(r -> r.get("id").asString())).contains(id);

        assertThat(send("DELETE", "/api/alerts/rules/" + id, null).statusCode()).isEqualTo(204);
        assertThat(error(get("/api/alerts/rules/" + id), 404)).contains("not found");
        assertThat(error(send("DELETE", "/api/alerts/rules/" + id, null), 404)).contains("not found");
        assertThat(error(send("PUT", "/api/alerts/rules/" + id, "{\"name\":\"x\"}"), 404)).contains("not found");
    }

    @Test
    void badRulesAreRejectedWithAMessage() {
        assertThat(error(send("POST", "/api/alerts/rules", "{\"service\":\"x\"}"), 400)).contains("name");
        assertThat(error(send("POST", "/api/alerts/rules", "{\"name\":\"x\",\"minR2\":2}"), 400)).contains("minR2");
        assertThat(error(send("POST", "/api/alerts/rules", "{\"name\":\"x\",\"minSlopeBytesPerSecond\":-1}"), 400))
                .contains("minSlopeBytesPerSecond");
        assertThat(error(send("POST", "/api/alerts/rules", "{\"name\":\"x\",\"maxTimeToLimitSeconds\":60}"), 400))
                .contains("memoryLimitBytes");
        assertThat(error(send("POST", "/api/alerts/rules", "{\"name\":\"x\",\"forSeconds\":-5}"), 400))
                .contains("forSeconds");
        assertThat(error(send("POST", "/api/alerts/rules", "{not json"), 400)).isNotBlank();
        assertThat(error(get("/api/alerts/rules/abc"), 400)).contains("rule id");
        assertThat(error(get("/api/alerts?status=weird"), 400)).contains("status");
    }

    @Test
    void evaluationFiresAScopedRuleOnALinearSessionExportsGaugesAndResolvesOnceItAgesOut() throws Exception {
        SyntheticSession s = SyntheticSession.create(TestDatabase.dataSource(), "alert-svc");
        json(send("POST", "/api/alerts/rules",
                "{\"name\":\"alert-svc leaks\",\"service\":\"alert-svc\",\"minSlopeBytesPerSecond\":100,\"forSeconds\":0}"),
                201);
        AlertEvaluator evaluator = TestWebApp.context().getBean(AlertEvaluator.class);

        // 10 s after the synthetic process ended: within the default 5 min grace
        evaluator.evaluate(SyntheticSession.START.plusSeconds(110));
        JsonNode mine = firingFor("alert-svc");
        assertThat(mine).as("firing alert for alert-svc").isNotNull();
        assertThat(mine.get("labels").get("host").asString()).isEqualTo("host-a");
        assertThat(mine.get("labels").get("deployment").asString()).isEqualTo("v1.2.3");
        assertThat(mine.get("labels").get("alertname").asString()).isEqualTo("PlumbLinearLeak");
        assertThat(mine.get("annotations").get("top_backtraces").asString())
                .startsWith("honeycomb::span::new ← tracing::dispatch ← proxy::handle");
        assertThat(mine.get("annotations").get("view_url").asString()).endsWith("/sessions/" + s.id);
        assertThat(Double.parseDouble(mine.get("annotations").get("slope_bytes_per_second").asString()))
                .isGreaterThan(900);

        String metrics = get("/actuator/prometheus").body();
        String tags = "{deployment=\"v1.2.3\",host=\"host-a\",service=\"alert-svc\"}";
        assertThat(metrics).contains("plumb_leaked_bytes" + tags + " " + (double) SyntheticSession.LEAKED_BYTES);
        assertThat(metrics).contains("plumb_leak_rate_bytes_per_second" + tags);

        // long after: the process is out of the evaluation set, the alert resolves
        evaluator.evaluate(SyntheticSession.START.plusSeconds(100 + 3600));
        assertThat(firingFor("alert-svc")).isNull();
        JsonNode resolved = json(get("/api/alerts?status=resolved"), 200).get("items").valueStream()
                .filter(a -> "alert-svc".equals(a.get("labels").get("service").asString())).findFirst().orElseThrow();
        assertThat(resolved.get("endsAt").asString()).isEqualTo(SyntheticSession.START.plusSeconds(3700).toString());
    }

    static JsonNode firingFor(String service) {
        return json(get("/api/alerts"), 200).get("items").valueStream()
                .filter(a -> service.equals(a.get("labels").get("service").asString()) && "firing".equals(a.get("status").asString()))
                .findFirst().orElse(null);
    }

    @Test
    void alertsPageRenders() {
        HttpResponse<String> page = get("/alerts");
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.body()).contains("Rules").contains("/js/alerts.js").contains("Active alerts");
        assertThat(get("/js/alerts.js").statusCode()).isEqualTo(200);
    }

    @Test
    void deployComparePageMovedToCompareWithItsInputsEscaped() {
        HttpResponse<String> moved = get("/services/%3Cb%3Esvc/compare?base=v1&target=%22v2");
        assertThat(moved.statusCode()).isEqualTo(303);
        String location = moved.headers().firstValue("Location").orElseThrow();
        assertThat(location).isEqualTo("/compare?service=%3Cb%3Esvc&base=v1&target=%22v2");
        HttpResponse<String> page = get(location);
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.body()).contains("data-service=\"&lt;b&gt;svc\"").contains("data-target=\"&quot;v2\"")
                .doesNotContain("<b>svc").contains("/js/compare.js");
    }
}

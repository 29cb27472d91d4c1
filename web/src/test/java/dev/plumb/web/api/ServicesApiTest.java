package dev.plumb.web.api;

import static dev.plumb.web.api.SessionsApiTest.json;
import static dev.plumb.webtest.TestWebApp.get;
import static org.assertj.core.api.Assertions.assertThat;

import dev.plumb.web.support.SyntheticSession;
import dev.plumb.web.support.TestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * Deploy comparison and deployment verdicts on two synthetic deployments of one service:
 * "v1" leaks through honeycomb::span::new on two hosts, "v2" frees those allocations 10 ms
 * after making them (the fix). Both use the same stacks, as two deploys of the same code do.
 */
class ServicesApiTest {
    static final String SERVICE = "cmp-svc";
    static SyntheticSession v1a;

    @BeforeAll
    static void twoDeployments() throws Exception {
        DataSource ds = TestDatabase.dataSource();
        v1a = SyntheticSession.create(ds, SERVICE);
        SyntheticSession v1b = SyntheticSession.create(ds, SERVICE);
        SyntheticSession v2 = SyntheticSession.create(ds, SERVICE);
        try (Connection c = ds.getConnection()) {
            sameStacksAs(c, v1a, v1b);
            sameStacksAs(c, v1a, v2);
            try (PreparedStatement ps = c.prepareStatement("UPDATE sessions SET deployment = ?, host = ? WHERE id = ?")) {
                set(ps, "v1", "host-a", v1a.id);
                set(ps, "v1", "host-b", v1b.id);
                set(ps, "v2", "host-a", v2.id);
            }
            try (PreparedStatement ps = c.prepareStatement("""
                    INSERT INTO frees (day, session_id, alloc_id, freed_us)
                    SELECT day, session_id, alloc_id, allocated_us + 10000 FROM allocations
                     WHERE session_id = ? AND stack_id = ?""")) {
                ps.setLong(1, v2.id);
                ps.setLong(2, v1a.linearStack);
                ps.executeUpdate();
            }
            SyntheticSession.rebuildUsage(c, v1b.id);
            SyntheticSession.rebuildUsage(c, v2.id);
        }
    }

    static void set(PreparedStatement ps, String deployment, String host, long id) throws Exception {
        ps.setString(1, deployment);
        ps.setString(2, host);
        ps.setLong(3, id);
        ps.executeUpdate();
    }

    /** Points the other session's allocations at the first one's stacks (same code path, same stack). */
    static void sameStacksAs(Connection c, SyntheticSession first, SyntheticSession other) throws Exception {
        long[][] pairs = {{other.linearStack, first.linearStack}, {other.startupStack, first.startupStack},
            {other.ringStack, first.ringStack}, {other.tempStack, first.tempStack}, {other.tinyStack, first.tinyStack}};
        try (PreparedStatement ps = c.prepareStatement(
                "UPDATE allocations SET stack_id = ? WHERE session_id = ? AND stack_id = ?")) {
            for (long[] p : pairs) {
                ps.setLong(1, p[1]);
                ps.setLong(2, other.id);
                ps.setLong(3, p[0]);
                ps.executeUpdate();
            }
        }
    }

    static JsonNode row(JsonNode items, String function) {
        return items.valueStream().filter(r -> function.equals(r.get("frames").get(0).get("function").asString()))
                .findFirst().orElseThrow(() -> new AssertionError(function + " not in " + items));
    }

    @Test
    void theFixedLeakIsFixedWithAnIntervalBelowZero() {
        JsonNode items = json(get("/api/services/" + SERVICE + "/compare?base=v1&target=v2"), 200).get("items");
        JsonNode span = row(items, "honeycomb::span::new");
        assertThat(span.get("change").asString()).isEqualTo("fixed");
        assertThat(span.get("baseSlope").asDouble()).isCloseTo(1000, org.assertj.core.data.Offset.offset(50.0));
        assertThat(span.get("targetSlope").asDouble()).isZero();
        assertThat(span.get("baseSessions").asInt()).isEqualTo(2);
        assertThat(span.get("ci95").get(1).asDouble()).isNegative();
        assertThat(span.get("delta").asDouble()).isBetween(span.get("ci95").get(0).asDouble(), span.get("ci95").get(1).asDouble());
        assertThat(row(items, "config::load").get("change").asString()).isEqualTo("unchanged");
        // the other way round, the same leak is introduced
        JsonNode back = row(json(get("/api/services/" + SERVICE + "/compare?base=v2&target=v1"), 200).get("items"),
                "honeycomb::span::new");
        assertThat(back.get("change").asString()).isEqualTo("introduced");
    }

    @Test
    void deploymentVerdictAggregatesHosts() {
        JsonNode v1 = json(get("/api/services/" + SERVICE + "/deployments/v1/verdict"), 200);
        assertThat(v1.get("verdict").asString()).isEqualTo("linear");
        assertThat(v1.get("hosts").size()).isEqualTo(2);
        assertThat(v1.get("hosts").valueStream().map(h -> h.get("deviates").asBoolean())).containsOnly(false);
        assertThat(v1.get("totalSlope").asDouble()).isCloseTo(2 * v1.get("slope").asDouble(),
                org.assertj.core.data.Offset.offset(1.0));
        JsonNode v2 = json(get("/api/services/" + SERVICE + "/deployments/v2/verdict"), 200);
        assertThat(v2.get("verdict").asString()).isNotEqualTo("linear");
    }

    @Test
    void unknownDeploymentOrMissingParametersAreJsonErrors() {
        assertThat(json(get("/api/services/" + SERVICE + "/deployments/nope/verdict"), 404).get("error").asString())
                .contains("no sessions");
        assertThat(json(get("/api/services/" + SERVICE + "/compare?base=v1&target=nope"), 404).get("error").asString())
                .contains("deployment 'nope'");
        assertThat(json(get("/api/services/" + SERVICE + "/compare?base=v1"), 400).get("error").asString())
                .contains("base and target");
    }
}

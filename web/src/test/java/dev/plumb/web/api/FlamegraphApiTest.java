package dev.plumb.web.api;

import static dev.plumb.web.api.SessionsApiTest.error;
import static dev.plumb.web.api.SessionsApiTest.json;
import static dev.plumb.webtest.TestWebApp.get;
import static org.assertj.core.api.Assertions.assertThat;

import dev.plumb.web.support.SyntheticSession;
import dev.plumb.web.support.TestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** The flamegraph and the session compare, on the synthetic session and a copy of it after a "deploy". */
class FlamegraphApiTest {
    static SyntheticSession session;
    static long target;

    @BeforeAll
    static void setUp() throws Exception {
        session = SyntheticSession.create(TestDatabase.dataSource(), "flame-svc");
        target = deployedCopy(session);
    }

    /**
     * The same process after a deploy, on the same backtraces: the linear leak allocates twice as
     * much per call, the tiny leak is gone, everything else is unchanged.
     */
    static long deployedCopy(SyntheticSession s) throws Exception {
        try (Connection c = TestDatabase.dataSource().getConnection()) {
            long id;
            try (PreparedStatement ps = c.prepareStatement("""
                    INSERT INTO sessions (agent_session, host, service, deployment, pid, exe, started_at, ended_at)
                    SELECT gen_random_uuid(), host, service, 'v1.2.4', pid + 1, exe, started_at, ended_at
                      FROM sessions WHERE id = ? RETURNING id""")) {
                ps.setLong(1, s.id);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    id = rs.getLong(1);
                }
            }
            try (PreparedStatement ps = c.prepareStatement("""
                    INSERT INTO allocations (day, session_id, alloc_id, stack_id, size, allocated_us, weight)
                    SELECT (SELECT day FROM sessions WHERE id = ?), ?, alloc_id, stack_id,
                           CASE WHEN stack_id = ? THEN size * 2 ELSE size END, allocated_us, weight
                      FROM allocations WHERE session_id = ? AND stack_id <> ?""")) {
                ps.setLong(1, id);
                ps.setLong(2, id);
                ps.setLong(3, s.linearStack);
                ps.setLong(4, s.id);
                ps.setLong(5, s.tinyStack);
                ps.executeUpdate();
            }
            try (PreparedStatement ps = c.prepareStatement(
                    "INSERT INTO frees (day, session_id, alloc_id, freed_us) SELECT (SELECT day FROM sessions WHERE id = ?), ?,"
                    + " alloc_id, freed_us FROM frees WHERE session_id = ?")) {
                ps.setLong(1, id);
                ps.setLong(2, id);
                ps.setLong(3, s.id);
                ps.executeUpdate();
            }
            SyntheticSession.rebuildUsage(c, id);
            return id;
        }
    }

    /** path of names from the root ("all;main;config::load") → bytes. */
    static Map<String, Long> paths(JsonNode nodes, String field) {
        Map<Integer, String> pathOf = new HashMap<>();
        Map<String, Long> out = new HashMap<>();
        for (int i = 0; i < nodes.size(); i++) {
            JsonNode n = nodes.get(i);
            int parent = n.get("parent").asInt();
            assertThat(parent).isLessThan(i);
            String path = parent < 0 ? n.get("name").asString() : pathOf.get(parent) + ";" + n.get("name").asString();
            pathOf.put(i, path);
            out.put(path, n.get(field).asLong());
        }
        return out;
    }

    static JsonNode flame(String query) {
        return json(get("/api/sessions/" + session.id + "/flamegraph" + query), 200);
    }

    @Test
    void leakedFlamegraphIsATreeFromTheRoot() {
        JsonNode f = flame("?filter=leaked");
        assertThat(f.get("filter").asString()).isEqualTo("leaked");
        assertThat(f.get("totalBytes").asLong()).isEqualTo(SyntheticSession.LEAKED_BYTES);
        Map<String, Long> p = paths(f.get("nodes"), "bytes");
        assertThat(p).containsEntry("all", SyntheticSession.LEAKED_BYTES)
                .containsEntry("all;proxy::handle", 100_000L)
                .containsEntry("all;proxy::handle;tracing::dispatch;honeycomb::span::new", 100_000L)
                .containsEntry("all;main", 50_000L + 10_240 + 100)
                .containsEntry("all;main;config::load", 50_000L)
                .containsEntry("all;main;metrics::record;ring::push", 10_240L)
                .containsEntry("all;main;tiny::leak", 100L)
                .doesNotContainKey("all;proxy::handle;temp::buffer");
        // children largest first
        assertThat(f.get("nodes").get(1).get("name").asString()).isEqualTo("proxy::handle");
        assertThat(paths(f.get("nodes"), "count")).containsEntry("all;main;config::load", 10L);
    }

    @Test
    void allTemporaryAndLiveAtT() {
        assertThat(paths(flame("").get("nodes"), "bytes"))
                .containsEntry("all", SyntheticSession.BYTES_ALLOCATED)
                .containsEntry("all;proxy::handle", 100_000L + 200 * 4096)
                .containsEntry("all;proxy::handle;temp::buffer", 200L * 4096);
        assertThat(flame("?filter=temporary").get("totalBytes").asLong()).isEqualTo(80L * 512 + 200 * 4096);
        long at = SyntheticSession.START.toEpochMilli() + 30_000;
        Map<String, Long> live = paths(flame("?filter=all&at=" + at).get("nodes"), "bytes");
        assertThat(live).containsEntry("all", 30_000L + 50_000 + 20 * 512)
                .containsEntry("all;main;metrics::record;ring::push", 20L * 512)
                .doesNotContainKey("all;main;tiny::leak");
        // the session page's range: allocations made from 50 s to 60 s that are still alive at the end
        long from = SyntheticSession.START.toEpochMilli() + 50_000;
        assertThat(flame("?filter=leaked&from=" + from + "&to=" + (from + 10_000)).get("totalBytes").asLong())
                .isEqualTo(10 * 1000 + 100);
    }

    @Test
    void flamegraphErrors() {
        assertThat(error("/api/sessions/" + session.id + "/flamegraph?filter=everything", 400))
                .contains("filter must be all, leaked or temporary");
        assertThat(error("/api/sessions/" + session.id + "/flamegraph?at=yesterday", 400)).contains("at must be");
        assertThat(error("/api/sessions/999999999/flamegraph", 404)).contains("not found");
    }

    @Test
    void compareTwoSessions() {
        JsonNode c = json(get("/api/compare?base=" + session.id + "&target=" + target), 200);
        assertThat(c.get("filter").asString()).isEqualTo("leaked");
        assertThat(c.get("base").get("bytesLeaked").asLong()).isEqualTo(SyntheticSession.LEAKED_BYTES);
        assertThat(c.get("target").get("bytesLeaked").asLong()).isEqualTo(200_000L + 50_000 + 10_240);
        assertThat(c.get("base").get("leakRate").asDouble()).isEqualTo(1603.4);
        assertThat(c.get("target").get("leakRate").asDouble()).isEqualTo(2602.4);
        assertThat(c.get("leakRateChange").asDouble()).isEqualTo(999.0);
        assertThat(c.get("target").get("deployment").asString()).isEqualTo("v1.2.4");

        JsonNode stacks = c.get("stacks");
        assertThat(stacks.get(0).get("stackId").asLong()).isEqualTo(session.linearStack);
        assertThat(stacks.get(0).get("deltaBytes").asLong()).isEqualTo(100_000);
        assertThat(stacks.get(0).get("targetRate").asDouble()).isEqualTo(2000.0);
        assertThat(stacks.get(0).get("frames").get(0).get("function").asString()).isEqualTo("honeycomb::span::new");
        assertThat(stacks.get(1).get("stackId").asLong()).isEqualTo(session.tinyStack);
        assertThat(stacks.get(1).get("deltaBytes").asLong()).isEqualTo(-100);
        assertThat(stacks.get(1).get("targetBytes").asLong()).isZero();
        assertThat(stacks.get(2).get("deltaBytes").asLong()).isZero();

        Map<String, Long> base = paths(c.get("flamegraph"), "base");
        Map<String, Long> grown = paths(c.get("flamegraph"), "target");
        assertThat(base).containsEntry("all;proxy::handle", 100_000L).containsEntry("all;main;tiny::leak", 100L);
        assertThat(grown).containsEntry("all;proxy::handle", 200_000L).containsEntry("all;main;tiny::leak", 0L)
                .containsEntry("all;main;config::load", 50_000L);
    }

    @Test
    void compareErrors() {
        assertThat(error("/api/compare?base=" + session.id, 400)).contains("base and target");
        assertThat(error("/api/compare?base=x&target=1", 400)).contains("session id");
        assertThat(error("/api/compare?base=" + session.id + "&target=999999999", 404)).contains("999999999");
        assertThat(error("/api/compare?base=" + session.id + "&target=" + target + "&filter=bad", 400))
                .contains("filter");
    }
}

package dev.plumb.web.api;

import static dev.plumb.web.api.SessionsApiTest.json;
import static dev.plumb.webtest.TestWebApp.send;
import static org.assertj.core.api.Assertions.assertThat;

import dev.plumb.web.support.SyntheticSession;
import dev.plumb.web.support.TestDatabase;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;

/** POST /api/script on the synthetic session, with 101 points: point i is at t = i s. */
class ScriptApiTest {
    static final ObjectMapper JSON = JsonMapper.builder().build();
    static final String SEED = "let leaked = allocations().only_leaked(); graph().add(\"HoneycombLayer\", "
            + "leaked.only_passing_through_function(\"honeycomb\")).add(\"all leaked\", leaked).save();";
    static SyntheticSession session;

    @BeforeAll
    static void setUp() throws Exception {
        session = SyntheticSession.create(TestDatabase.dataSource(), "script-svc");
    }

    static JsonNode run(Object sessionId, String script, int status) {
        String body = JSON.writeValueAsString(Map.of("session", sessionId, "script", script, "points", 101));
        return json(send("POST", "/api/script", body), status);
    }

    static long[] values(JsonNode series) {
        List<Long> out = new ArrayList<>();
        for (JsonNode p : series.get("points")) {
            out.add(p.get(1).asLong());
        }
        return out.stream().mapToLong(Long::longValue).toArray();
    }

    @Test
    void theSeedScriptDrawsHoneycombAndAllLeaked() {
        JsonNode series = run(session.id, SEED, 200).get("series");
        assertThat(series).hasSize(2);
        assertThat(series.get(0).get("name").asString()).isEqualTo("HoneycombLayer");
        assertThat(series.get(1).get("name").asString()).isEqualTo("all leaked");
        JsonNode first = series.get(0).get("points").get(0);
        assertThat(first.get(0).asLong()).isEqualTo(SyntheticSession.START.toEpochMilli());
        assertThat(series.get(0).get("points").get(100).get(0).asLong())
                .isEqualTo(SyntheticSession.START.toEpochMilli() + 100_000);

        long[] honeycomb = values(series.get(0));
        for (int i = 0; i <= 100; i++) {
            assertThat(honeycomb[i]).as("honeycomb at %d s", i).isEqualTo(1000L * i);
        }
        long[] all = values(series.get(1));
        assertThat(all[0]).isZero();
        assertThat(all[2]).isEqualTo(2000 + 3 * 5000); // linear ×2, config::load at 1.0, 1.5, 2.0
        assertThat(all[50]).isEqualTo(50_000 + 50_000 + 100); // linear, all of startup, tiny at 50 s
        assertThat(all[90]).isEqualTo(90_000 + 50_000 + 100 + 10 * 512); // the ring's last 20 pushes start at 80.5 s
        assertThat(all[100]).isEqualTo(SyntheticSession.LEAKED_BYTES);
    }

    @Test
    void temporaryTimeWindowsAndSizes() {
        JsonNode series = run(session.id, """
                let temp = allocations().only_temporary();
                graph()
                  .add("temporary", temp)
                  .add("late leaks", allocations().only_leaked().only_from(50))
                  .add("big", allocations().only_larger_than(999).only_smaller_than(4096))
                  .add("not main", allocations().only_leaked().only_not_passing_through_function("^main$"))
                  .add("alive at 30 s", allocations().only_alive_at(s(30)).only_passing_through_function("ring"))
                  .add("lived ≥ 1 s", temp.only_alive_for_at_least(s(1)))
                  .save();
                """, 200).get("series");
        assertThat(series).hasSize(6);
        long[] temp = values(series.get(0));
        assertThat(temp[100]).isZero(); // everything temporary was freed again
        assertThat(temp[21]).isEqualTo(20 * 512); // the ring's first 20 entries, freed after 20 more pushes
        assertThat(values(series.get(1))[100]).isEqualTo(50_000 + 100 + 20 * 512);
        assertThat(values(series.get(2))[100]).isEqualTo(SyntheticSession.LINEAR_BYTES); // the 1000 B ones
        assertThat(values(series.get(3))[100]).isEqualTo(SyntheticSession.LINEAR_BYTES);
        long[] aliveAt30 = values(series.get(4));
        // ring pushes i = 10 … 29 (at 10.5 … 29.5 s) are alive at 30 s; push i is freed at i + 20.5 s
        assertThat(aliveAt30[30]).isEqualTo(20 * 512);
        assertThat(aliveAt30[40]).isEqualTo(10 * 512);
        assertThat(aliveAt30[100]).isZero();
        assertThat(values(series.get(5))[100]).isZero();
        assertThat(values(series.get(5))[21]).isEqualTo(20 * 512); // ring entries live 20 s, temp buffers 10 ms
    }

    @Test
    void errorsCarryLineAndColumn() {
        JsonNode e = run(session.id, "let x = allocations();\ngraph().add(\"x\", x.only_leakd()).save();", 400);
        assertThat(e.get("line").asInt()).isEqualTo(2);
        assertThat(e.get("column").asInt()).isEqualTo(20);
        assertThat(e.get("error").asString()).startsWith("line 2, column 20: allocations have no method 'only_leakd'");

        e = run(session.id, "graph().add(\"x\", allocations().only_passing_through_function(\"(\")).save();", 400);
        assertThat(e.get("column").asInt()).isEqualTo(62);
        assertThat(e.get("error").asString()).contains("invalid regular expression");
    }

    @Test
    void regexesJavaAcceptsButPostgresqlDoesNotAreReportedAtTheirString() {
        // possessive quantifiers are Java-only
        JsonNode e = run(session.id, "graph()\n  .add(\"x\", allocations().only_passing_through_function(\"a*+\")).save();",
                400);
        assertThat(e.get("line").asInt()).isEqualTo(2);
        assertThat(e.get("column").asInt()).isEqualTo(57);
        assertThat(e.get("error").asString()).contains("PostgreSQL rejects the regular expression");
    }

    @Test
    void sqlInAStringIsJustARegexThatMatchesNothing() {
        JsonNode series = run(session.id, "graph().add(\"x\", allocations().only_passing_through_function("
                + "\"x' OR '1'='1'; DELETE FROM allocations; --\")).save();", 200).get("series");
        assertThat(values(series.get(0))).containsOnly(0L);
        assertThat(values(run(session.id, SEED, 200).get("series").get(1))[100])
                .isEqualTo(SyntheticSession.LEAKED_BYTES);
    }

    @Test
    void badRequests() {
        assertThat(run(999_999_999L, SEED, 404).get("error").asString()).contains("not found");
        assertThat(run(-1, SEED, 400).get("error").asString()).contains("session");
        assertThat(json(send("POST", "/api/script", "{\"session\": 1}"), 400).get("error").asString())
                .contains("script is required");
        assertThat(json(send("POST", "/api/script", "{\"session\": "), 400).get("error").asString())
                .doesNotContain("Exception");
        assertThat(run(session.id, "x".repeat(30_000), 400).get("error").asString()).contains("longer than");
    }
}

package dev.plumb.web.api;

import static dev.plumb.webtest.TestWebApp.get;
import static org.assertj.core.api.Assertions.assertThat;

import dev.plumb.web.support.SyntheticSession;
import dev.plumb.web.support.TestDatabase;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;

class SessionsApiTest {
    static final ObjectMapper JSON = JsonMapper.builder().build();
    static SyntheticSession session;

    @BeforeAll
    static void setUp() throws Exception {
        session = SyntheticSession.create(TestDatabase.dataSource(), "api-svc");
    }

    static JsonNode json(HttpResponse<String> response, int status) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(
                ct -> assertThat(ct).startsWith("application/json"));
        return JSON.readTree(response.body());
    }

    static String error(String path, int status) {
        JsonNode body = json(get(path), status);
        assertThat(body.size()).isEqualTo(1);
        String message = body.get("error").asString();
        assertThat(message).doesNotContain("Exception").doesNotContain("\tat ");
        return message;
    }

    static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    @Test
    void listsSessions() {
        JsonNode page = json(get("/api/sessions?limit=1000"), 200);
        assertThat(page.get("total").asLong()).isGreaterThanOrEqualTo(1);
        JsonNode mine = null;
        for (JsonNode s : page.get("items")) {
            if (s.get("id").asLong() == session.id) {
                mine = s;
            }
        }
        assertThat(mine).isNotNull();
        assertThat(mine.get("service").asString()).isEqualTo("api-svc");
        assertThat(mine.get("deployment").asString()).isEqualTo("v1.2.3");
        assertThat(mine.get("host").asString()).isEqualTo("host-a");
        assertThat(mine.get("pid").asInt()).isEqualTo(4242);
        assertThat(mine.get("exe").asString()).isEqualTo("/usr/bin/proxy");
        assertThat(mine.get("startedAt").asString()).isEqualTo("2024-05-01T00:00:00Z");
        assertThat(mine.get("endedAt").asString()).isEqualTo("2024-05-01T00:01:40Z");
        assertThat(mine.get("state").asString()).isEqualTo("ended");
        assertThat(json(get("/api/sessions?limit=1&offset=0"), 200).get("items").size()).isEqualTo(1);
    }

    @Test
    void sessionDetailWithTotals() {
        JsonNode s = json(get("/api/sessions/" + session.id), 200);
        assertThat(s.get("service").asString()).isEqualTo("api-svc");
        assertThat(s.get("allocations").asLong()).isEqualTo(SyntheticSession.ALLOCATIONS);
        assertThat(s.get("frees").asLong()).isEqualTo(SyntheticSession.FREES);
        assertThat(s.get("bytesAllocated").asLong()).isEqualTo(SyntheticSession.BYTES_ALLOCATED);
        assertThat(s.get("bytesFreed").asLong())
                .isEqualTo(SyntheticSession.BYTES_ALLOCATED - SyntheticSession.LEAKED_BYTES);
        assertThat(s.get("bytesLeaked").asLong()).isEqualTo(SyntheticSession.LEAKED_BYTES);
        assertThat(s.get("droppedEvents").asLong()).isEqualTo(7);
    }

    @Test
    void leakTable() {
        JsonNode items = json(get("/api/sessions/" + session.id + "/leaks"), 200).get("items");
        assertThat(items.size()).isEqualTo(4);
        List<Long> stacks = new ArrayList<>();
        List<Long> bytes = new ArrayList<>();
        List<String> verdicts = new ArrayList<>();
        for (JsonNode g : items) {
            stacks.add(g.get("stackId").asLong());
            bytes.add(g.get("bytesLeaked").asLong());
            verdicts.add(g.get("verdict").asString());
        }
        assertThat(stacks).containsExactly(session.linearStack, session.startupStack, session.ringStack,
                session.tinyStack);
        assertThat(bytes).containsExactly(100_000L, 50_000L, 10_240L, 100L);
        assertThat(verdicts).containsExactly("linear", "startup", "bounded", "noise");
        JsonNode top = items.get(0);
        assertThat(top.get("count").asLong()).isEqualTo(100);
        assertThat(top.get("slope").asDouble()).isBetween(950.0, 1050.0);
        assertThat(top.get("r2").asDouble()).isGreaterThan(0.99);
        JsonNode frame = top.get("frames").get(0);
        assertThat(frame.get("function").asString()).isEqualTo("honeycomb::span::new");
        assertThat(frame.get("module").asString()).isEqualTo("libproxy.so");
        assertThat(frame.get("file").asString()).isEqualTo("src/honeycomb/span/new.rs");
        assertThat(frame.get("line").asInt()).isEqualTo(10);
        JsonNode series = top.get("series");
        assertThat(series.size()).isEqualTo(40);
        assertThat(series.get(39).get(0).asLong()).isEqualTo(SyntheticSession.START_US / 1000 + 100_000);
        assertThat(series.get(39).get(1).asLong()).isEqualTo(100_000);
    }

    @Test
    void leakFilters() {
        String base = "/api/sessions/" + session.id + "/leaks";
        // ISO-8601 and epoch-millisecond bounds select the same allocations
        JsonNode iso = json(get(base + "?from=2024-05-01T00:00:50Z"), 200).get("items");
        JsonNode millis = json(get(base + "?from=" + (SyntheticSession.START_US / 1000 + 50_000)), 200).get("items");
        assertThat(iso.toString()).isEqualTo(millis.toString());
        assertThat(iso.get(0).get("bytesLeaked").asLong()).isEqualTo(50_000);
        assertThat(iso.size()).isEqualTo(3);
        JsonNode window = json(get(base + "?from=2024-05-01T00:00:00Z&to=" + enc("2024-05-01T02:00:10+02:00")), 200)
                .get("items");
        assertThat(window.get(0).get("bytesLeaked").asLong()).isEqualTo(50_000);
        assertThat(window.get(1).get("bytesLeaked").asLong()).isEqualTo(10_000);
        // the series spans the selected window
        assertThat(window.get(0).get("series").get(39).get(0).asLong())
                .isEqualTo(SyntheticSession.START_US / 1000 + 10_000);
        JsonNode big = json(get(base + "?minSize=1000"), 200).get("items");
        assertThat(big.size()).isEqualTo(2);
        JsonNode ring = json(get(base + "?function=" + enc("^ring::")), 200).get("items");
        assertThat(ring.size()).isEqualTo(1);
        assertThat(ring.get(0).get("stackId").asLong()).isEqualTo(session.ringStack);
        assertThat(json(get(base + "?limit=1"), 200).get("items").size()).isEqualTo(1);
    }

    @Test
    void memoryGraph() {
        JsonNode items = json(get("/api/sessions/" + session.id + "/memory"), 200).get("items");
        assertThat(items.size()).isEqualTo(200);
        JsonNode last = items.get(199);
        assertThat(last.get("t").asLong()).isEqualTo(SyntheticSession.START_US / 1000 + 100_000);
        assertThat(last.get("heapBytes").asLong()).isEqualTo(SyntheticSession.LEAKED_BYTES);
        assertThat(last.get("leakedBytes").asLong()).isEqualTo(SyntheticSession.LEAKED_BYTES);
        assertThat(items.get(0).get("heapBytes").asLong()).isZero();
        assertThat(json(get("/api/sessions/" + session.id + "/memory?points=11"), 200).get("items").size())
                .isEqualTo(11);
    }

    @Test
    void badParametersAre400() {
        String base = "/api/sessions/" + session.id + "/leaks";
        assertThat(error(base + "?from=yesterday", 400)).contains("from").contains("ISO-8601").contains("yesterday");
        assertThat(error(base + "?minSize=-1", 400)).contains("minSize").contains("non-negative");
        assertThat(error(base + "?minSize=lots", 400)).contains("minSize");
        assertThat(error(base + "?function=" + enc("(unclosed"), 400)).contains("function");
        // valid for java.util.regex (possessive), rejected by PostgreSQL: SQLState 2201B
        assertThat(error(base + "?function=" + enc("a*+"), 400)).contains("function")
                .contains("PostgreSQL regular expression");
        assertThat(error(base + "?from=2024-05-02T00:00:00Z&to=2024-05-01T00:00:00Z", 400)).contains("from");
        assertThat(error(base + "?limit=0", 400)).contains("limit");
        assertThat(error("/api/sessions?limit=abc", 400)).contains("limit");
        assertThat(error("/api/sessions?offset=-5", 400)).contains("offset");
        assertThat(error("/api/sessions/" + session.id + "/memory?points=1", 400)).contains("points");
        assertThat(error("/api/sessions/abc", 400)).contains("session id").contains("abc");
        assertThat(error("/api/sessions/abc/leaks", 400)).contains("session id");
    }

    @Test
    void unknownThingsAre404() {
        assertThat(error("/api/sessions/99999999", 404)).isEqualTo("session 99999999 not found");
        assertThat(error("/api/sessions/99999999/leaks", 404)).isEqualTo("session 99999999 not found");
        assertThat(error("/api/sessions/99999999/memory", 404)).isEqualTo("session 99999999 not found");
        assertThat(error("/api/nothing-here", 404)).contains("/api/nothing-here");
    }

    static List<Long> stackIds(JsonNode items) {
        List<Long> ids = new ArrayList<>();
        items.forEach(n -> ids.add(n.get("stackId").asLong()));
        return ids;
    }

    @Test
    void leakTableSortsByBytesCountOrGrowthAndFiltersBySizeRange() {
        String base = "/api/sessions/" + session.id + "/leaks";
        assertThat(stackIds(json(get(base + "?sort=bytes"), 200).get("items")))
                .containsExactly(session.linearStack, session.startupStack, session.ringStack, session.tinyStack);
        assertThat(stackIds(json(get(base + "?sort=count"), 200).get("items")))
                .containsExactly(session.linearStack, session.ringStack, session.startupStack, session.tinyStack);
        JsonNode growth = json(get(base + "?sort=growth&limit=2"), 200).get("items");
        assertThat(growth).hasSize(2);
        assertThat(growth.get(0).get("stackId").asLong()).isEqualTo(session.linearStack);
        assertThat(growth.get(0).get("slope").asDouble()).isGreaterThanOrEqualTo(growth.get(1).get("slope").asDouble());
        assertThat(stackIds(json(get(base + "?minSize=100&maxSize=600"), 200).get("items")))
                .containsExactly(session.ringStack, session.tinyStack);
        assertThat(error(base + "?sort=fastest", 400)).contains("sort must be bytes, count or growth");
        assertThat(error(base + "?minSize=10&maxSize=5", 400)).contains("maxSize");
    }
}

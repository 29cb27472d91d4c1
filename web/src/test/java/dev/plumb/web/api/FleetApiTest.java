package dev.plumb.web.api;

import static dev.plumb.web.api.SessionsApiTest.enc;
import static dev.plumb.web.api.SessionsApiTest.error;
import static dev.plumb.web.api.SessionsApiTest.json;
import static dev.plumb.webtest.TestWebApp.get;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

import dev.plumb.web.support.SyntheticFleet;
import dev.plumb.web.support.SyntheticSession;
import dev.plumb.web.support.TestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * GET /api/fleet, /api/services and the deployment mode of /api/compare on real PostgreSQL, over
 * a {@link SyntheticFleet} of 2 services × 2 deployments × 2 hosts. Every series value is checked
 * against a plain sum over the stored rows at that instant — not against the bucketing query.
 */
class FleetApiTest {
    static final String P = "fleetapi";
    static final Instant V1 = Instant.parse("2023-03-01T00:00:00Z");
    static SyntheticFleet fleet;
    static DataSource ds;

    @BeforeAll
    static void setUp() throws Exception {
        ds = TestDatabase.dataSource();
        fleet = SyntheticFleet.create(ds, P, V1);
    }

    static JsonNode fleetJson(String query) {
        return json(get("/api/fleet?" + query), 200);
    }

    /** The child row named name (service, deployment or host, whichever the row is). */
    static JsonNode child(JsonNode node, String name) {
        return node.get("children").valueStream().filter(c -> name.equals(c.get(c.get("level").asString()).asString()))
                .findFirst().orElseThrow(() -> new AssertionError(name + " not among " + names(node)));
    }

    static List<String> names(JsonNode node) {
        return node.get("children").valueStream().map(c -> c.get(c.get("level").asString()).asString()).toList();
    }

    static long[] values(JsonNode points) {
        return points.valueStream().mapToLong(p -> p.get(1).asLong()).toArray();
    }

    /** Heap (allocated minus freed) and leaked (allocated, never freed) bytes of a session at tUs, straight from the rows. */
    static long[] stored(long sessionId, long tUs) throws Exception {
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement("""
                SELECT coalesce((SELECT sum(size * weight) FROM allocations
                                  WHERE session_id = ? AND allocated_us <= ?), 0)
                     - coalesce((SELECT sum(a.size * a.weight) FROM frees f
                                   JOIN allocations a ON a.session_id = f.session_id AND a.alloc_id = f.alloc_id
                                  WHERE f.session_id = ? AND f.freed_us <= ?), 0) AS heap,
                       coalesce((SELECT sum(a.size * a.weight) FROM allocations a
                                  WHERE a.session_id = ? AND a.allocated_us <= ?
                                    AND NOT EXISTS (SELECT 1 FROM frees f
                                                     WHERE f.session_id = a.session_id AND f.alloc_id = a.alloc_id)), 0)
                       AS leaked""")) {
            for (int i = 0; i < 3; i++) {
                ps.setLong(2 * i + 1, sessionId);
                ps.setLong(2 * i + 2, tUs);
            }
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return new long[] {Math.round(rs.getDouble("heap")), Math.round(rs.getDouble("leaked"))};
            }
        }
    }

    @Test
    void everyRowsSeriesIsWhatWasStoredAtThatTime() throws Exception {
        long from = V1.toEpochMilli();
        JsonNode f = fleetJson("q=" + P + "&from=" + from + "&to=" + (from + 100_000) + "&points=11");
        assertThat(f.get("from").asLong()).isEqualTo(from);
        assertThat(f.get("to").asLong()).isEqualTo(from + 100_000);
        assertThat(f.get("range").asString()).isEqualTo("custom");
        JsonNode root = f.get("fleet");
        assertThat(root.get("sessions").asInt()).as("v2 starts after the range").isEqualTo(4);
        assertThat(names(root)).containsExactly(fleet.checkout(), fleet.search());
        long[] rootHeap = new long[11];
        for (String service : fleet.services()) {
            JsonNode s = child(root, service);
            assertThat(names(s)).containsExactly("v1");
            JsonNode d = child(s, "v1");
            assertThat(names(d)).containsExactlyElementsOf(fleet.hosts());
            long[] deploymentHeap = new long[11];
            long[] deploymentLeaked = new long[11];
            for (String host : fleet.hosts()) {
                JsonNode h = child(d, host);
                SyntheticSession session = fleet.session(service, "v1", host);
                assertThat(h.get("heap").size()).isEqualTo(11);
                for (int i = 0; i < 11; i++) {
                    long t = from + 10_000L * i;
                    long[] expected = stored(session.id, t * 1000);
                    assertThat(h.get("heap").get(i).get(0).asLong()).isEqualTo(t);
                    assertThat(h.get("heap").get(i).get(1).asLong()).as("heap of %s at %d s", host, i * 10)
                            .isEqualTo(expected[0]);
                    assertThat(h.get("leaked").get(i).get(1).asLong()).as("leaked of %s at %d s", host, i * 10)
                            .isEqualTo(expected[1]);
                    deploymentHeap[i] += expected[0];
                    deploymentLeaked[i] += expected[1];
                }
                // known values: at 50 s the linear leak holds 50 000, startup 50 000, the ring 20 × 512, tiny 100
                assertThat(values(h.get("heap"))[5]).isEqualTo(50_000 + 50_000 + 10_240 + 100);
                assertThat(values(h.get("leaked"))[5]).isEqualTo(50_000 + 50_000 + 100);
                assertThat(h.get("heapBytes").asLong()).isEqualTo(SyntheticSession.LEAKED_BYTES);
                assertThat(h.get("leakedBytes").asLong()).isEqualTo(SyntheticSession.LEAKED_BYTES);
                assertThat(h.get("processes").get(0).get("id").asLong()).isEqualTo(session.id);
            }
            assertThat(values(d.get("heap"))).containsExactly(deploymentHeap);
            assertThat(values(d.get("leaked"))).containsExactly(deploymentLeaked);
            assertThat(values(s.get("heap"))).containsExactly(deploymentHeap);
            for (int i = 0; i < 11; i++) {
                rootHeap[i] += deploymentHeap[i];
            }
        }
        assertThat(values(root.get("heap"))).containsExactly(rootHeap);
    }

    @Test
    void aProcessCountsOnlyWhileItIsAliveAndRatesComeFromTheVerdicts() {
        long from = V1.toEpochMilli();
        long to = fleet.v2Start.toEpochMilli() + 100_000; // 1100 s: points every 100 s
        JsonNode root = fleetJson("q=" + P + "&from=" + from + "&to=" + to + "&points=12").get("fleet");
        assertThat(root.get("sessions").asInt()).isEqualTo(8);
        assertThat(root.get("hosts").asInt()).isEqualTo(2);
        JsonNode checkout = child(root, fleet.checkout());
        assertThat(names(checkout)).as("newest deployment first").containsExactly("v2", "v1");
        long v1 = 2 * fleet.leakedAtEnd(fleet.checkout(), "v1");
        long v2 = 2 * fleet.leakedAtEnd(fleet.checkout(), "v2");
        // v1 lives [0, 100 s]: point 1 holds what it held at its end; v2 lives [1000 s, 1100 s].
        // Points 100 s apart sit on whole minutes (the coarse rollup grain), so point 10 is at
        // 1020 s, 20 s into v2's life: part of what v2 ends with
        assertThat(values(child(checkout, "v1").get("heap"))).containsExactly(0, v1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
        List<Long> v2Heap = java.util.Arrays.stream(values(child(checkout, "v2").get("heap"))).boxed().toList();
        assertThat(v2Heap.subList(0, 10)).containsOnly(0L);
        assertThat(v2Heap.get(10)).isPositive().isLessThan(v2);
        assertThat(v2Heap.get(11)).isEqualTo(v2);
        List<Long> heap = java.util.Arrays.stream(values(checkout.get("heap"))).boxed().toList();
        assertThat(heap.subList(0, 2)).containsExactly(0L, v1);
        assertThat(heap.subList(2, 10)).containsOnly(0L);
        assertThat(heap.subList(10, 12)).containsExactly(v2Heap.get(10), v2);
        // what the service holds now is what each host's newest process (v2) held when last seen
        assertThat(checkout.get("heapBytes").asLong()).isEqualTo(v2);
        assertThat(checkout.get("compare").get("base").asString()).isEqualTo("v1");
        assertThat(checkout.get("compare").get("target").asString()).isEqualTo("v2");
        assertThat(checkout.get("lastSeen").asString()).isEqualTo(fleet.v2Start.plusSeconds(100).toString());
        assertThat(checkout.get("running").asInt()).isZero();

        // the range covers whole processes, so each host's rate and verdict are its session verdict
        for (String service : fleet.services()) {
            for (String deployment : SyntheticFleet.DEPLOYMENTS) {
                JsonNode d = child(child(root, service), deployment);
                JsonNode verdict = json(get("/api/services/" + enc(service) + "/deployments/" + deployment
                        + "/verdict"), 200);
                double sum = 0;
                for (JsonNode host : verdict.get("hosts")) {
                    JsonNode row = child(d, host.get("host").asString());
                    assertThat(row.get("leakRate").asDouble()).isEqualTo(host.get("slope").asDouble());
                    assertThat(row.get("verdict").asString()).isEqualTo(host.get("verdict").asString());
                    assertThat(row.get("processes").get(0).get("verdict").asString())
                            .isEqualTo(host.get("verdict").asString());
                    sum += host.get("slope").asDouble();
                }
                assertThat(d.get("leakRate").asDouble()).as("a deployment leaks what its hosts leak")
                        .isCloseTo(sum, offset(0.02));
                assertThat(d.get("verdict").asString()).isEqualTo(verdict.get("verdict").asString());
            }
        }
        assertThat(child(child(root, fleet.checkout()), "v1").get("verdict").asString()).isEqualTo("linear");
        assertThat(child(child(root, fleet.search()), "v2").get("verdict").asString()).isEqualTo("linear");
        assertThat(child(child(root, fleet.checkout()), "v2").get("verdict").asString()).isNotEqualTo("linear");
        assertThat(child(child(root, fleet.checkout()), "v1").get("leakRate").asDouble())
                .isGreaterThan(child(child(root, fleet.checkout()), "v2").get("leakRate").asDouble() + 1000);
    }

    @Test
    void withoutARangeTheViewSpansTheScopesProcesses() {
        JsonNode f = fleetJson("q=" + P);
        assertThat(f.get("range").asString()).isEqualTo("all");
        assertThat(f.get("from").asLong()).isEqualTo(V1.toEpochMilli());
        assertThat(f.get("to").asLong()).isEqualTo(fleet.v2Start.toEpochMilli() + 100_000);
        assertThat(f.get("points").asInt()).isEqualTo(60);
        assertThat(f.get("fleet").get("heap").size()).isEqualTo(60);
        assertThat(f.get("anySessions").asBoolean()).isTrue();
        assertThat(f.get("truncated").asBoolean()).isFalse();
    }

    @Test
    void searchMatchesServiceDeploymentOrHostAndScopesNarrow() {
        JsonNode byService = fleetJson("q=" + P + "-checkout").get("fleet");
        assertThat(names(byService)).containsExactly(fleet.checkout());
        assertThat(byService.get("sessions").asInt()).isEqualTo(4);

        String host = fleet.hosts().get(1);
        JsonNode byHost = fleetJson("q=" + enc(host.toUpperCase())).get("fleet");
        assertThat(byHost.get("sessions").asInt()).as("case-insensitive").isEqualTo(4);
        for (String service : fleet.services()) {
            for (String deployment : SyntheticFleet.DEPLOYMENTS) {
                assertThat(names(child(child(byHost, service), deployment))).containsExactly(host);
            }
        }

        JsonNode byDeployment = fleetJson("service=" + enc(fleet.checkout()) + "&q=V2").get("fleet");
        assertThat(names(child(byDeployment, fleet.checkout()))).containsExactly("v2");
        assertThat(byDeployment.get("sessions").asInt()).isEqualTo(2);

        JsonNode one = fleetJson("service=" + enc(fleet.search()) + "&deployment=v1&host=" + enc(fleet.hosts().get(0)));
        JsonNode hostRow = child(child(child(one.get("fleet"), fleet.search()), "v1"), fleet.hosts().get(0));
        assertThat(hostRow.get("processes").size()).isEqualTo(1);
        assertThat(hostRow.get("processes").get(0).get("id").asLong())
                .isEqualTo(fleet.session(fleet.search(), "v1", fleet.hosts().get(0)).id);
        assertThat(one.get("from").asLong()).isEqualTo(V1.toEpochMilli());

        JsonNode none = fleetJson("q=" + P + "-no-such-thing");
        assertThat(none.get("fleet").get("sessions").asInt()).isZero();
        assertThat(none.get("fleet").get("children").size()).isZero();
        assertThat(none.get("from").isNull()).isTrue();
        assertThat(none.get("anySessions").asBoolean()).isTrue();
    }

    @Test
    void aFixedRangeLeavesOutProcessesOutsideIt() {
        long v2 = fleet.v2Start.toEpochMilli();
        JsonNode root = fleetJson("q=" + P + "&from=" + enc(fleet.v2Start.toString()) + "&to=" + (v2 + 50_000))
                .get("fleet");
        assertThat(root.get("sessions").asInt()).isEqualTo(4);
        assertThat(names(child(root, fleet.checkout()))).containsExactly("v2");
        // the range ends halfway through v2: the verdict and "now" are over that half
        JsonNode host = child(child(child(root, fleet.search()), "v2"), fleet.hosts().get(0));
        assertThat(host.get("leakedBytes").asLong()).isEqualTo(50_000 + 50_000 + 100);
    }

    @Test
    void relativeRangesCountBackFromNow() throws Exception {
        String recent = P + "-recent";
        Instant now = Instant.now();
        SyntheticSession.create(ds, recent, "r1", "r-host", now.minusSeconds(200));
        SyntheticSession.create(ds, recent, "r0", "r-host", now.minusSeconds(3 * 3600));
        JsonNode hour = fleetJson("q=" + recent + "&range=1h");
        assertThat(hour.get("range").asString()).isEqualTo("1h");
        assertThat(hour.get("fleet").get("sessions").asInt()).isEqualTo(1);
        assertThat(names(child(hour.get("fleet"), recent))).containsExactly("r1");
        assertThat(hour.get("to").asLong() - hour.get("from").asLong()).isEqualTo(3_600_000);
        assertThat(hour.get("to").asLong()).isBetween(now.toEpochMilli(), Instant.now().toEpochMilli());
        assertThat(fleetJson("q=" + recent + "&range=6h").get("fleet").get("sessions").asInt()).isEqualTo(2);
        assertThat(fleetJson("q=" + P + "&range=7d").get("fleet").get("sessions").asInt())
                .as("the 2023 fleet is not in the last 7 days").isEqualTo(2);
    }

    @Test
    void badParametersAreJsonErrors() {
        assertThat(error("/api/fleet?range=2h", 400)).contains("range must be one of").contains("1h").contains("2h");
        assertThat(error("/api/fleet?from=1000", 400)).contains("from and to go together");
        assertThat(error("/api/fleet?from=2000&to=1000", 400)).contains("from must not be after to");
        assertThat(error("/api/fleet?from=yesterday&to=1000", 400)).contains("from").contains("ISO-8601");
        assertThat(error("/api/fleet?range=1h&from=1&to=2", 400)).contains("either range or from and to");
        assertThat(error("/api/fleet?points=1", 400)).contains("points must be an integer from 2 to 500");
        assertThat(error("/api/fleet?points=many", 400)).contains("points");
        assertThat(error("/api/fleet?q=" + "x".repeat(201), 400)).contains("q is longer than 200");
    }

    @Test
    void servicesListTheirDeploymentsNewestFirst() {
        JsonNode items = json(get("/api/services"), 200).get("items");
        JsonNode checkout = items.valueStream().filter(s -> s.get("service").asString().equals(fleet.checkout()))
                .findFirst().orElseThrow();
        assertThat(checkout.get("deployments").valueStream().map(d -> d.get("deployment").asString()))
                .containsExactly("v2", "v1");
        assertThat(checkout.get("deployments").get(0).get("sessions").asLong()).isEqualTo(2);
        assertThat(checkout.get("deployments").get(0).get("hosts").asLong()).isEqualTo(2);
        assertThat(checkout.get("deployments").get(1).get("firstStartedAt").asString()).isEqualTo(V1.toString());
    }

    @Test
    void twoDeploymentsCompareWithDiffFlamegraphDeltasAndRateChange() {
        JsonNode c = json(get("/api/compare?service=" + enc(fleet.checkout()) + "&base=v1&target=v2"), 200);
        assertThat(c.get("mode").asString()).isEqualTo("deployments");
        assertThat(c.get("base").get("deployment").asString()).isEqualTo("v1");
        assertThat(c.get("base").get("sessions").asInt()).isEqualTo(2);
        assertThat(c.get("base").get("id").isNull()).isTrue();
        // per process: the mean over the two hosts
        assertThat(c.get("base").get("bytesLeaked").asLong()).isEqualTo(fleet.leakedAtEnd(fleet.checkout(), "v1"));
        assertThat(c.get("target").get("bytesLeaked").asLong()).isEqualTo(fleet.leakedAtEnd(fleet.checkout(), "v2"));
        assertThat(c.get("base").get("verdict").asString()).isEqualTo("linear");

        JsonNode span = c.get("stacks").get(0);
        assertThat(span.get("frames").get(0).get("function").asString()).isEqualTo("honeycomb::span::new");
        assertThat(span.get("baseBytes").asLong()).isEqualTo(SyntheticSession.LINEAR_BYTES);
        assertThat(span.get("deltaBytes").asLong()).isEqualTo(-SyntheticSession.LINEAR_BYTES);
        assertThat(span.get("rate").get("change").asString()).isEqualTo("fixed");
        assertThat(span.get("rate").get("baseSessions").asInt()).isEqualTo(2);
        assertThat(span.get("rate").get("ci95").get(1).asDouble()).isNegative();

        JsonNode change = c.get("rateChange");
        assertThat(change.get("delta").asDouble()).isNegative();
        assertThat(change.get("delta").asDouble()).isBetween(change.get("ci95").get(0).asDouble(),
                change.get("ci95").get(1).asDouble());
        assertThat(change.get("baseSessions").asInt()).isEqualTo(2);

        Map<String, Long> base = FlamegraphApiTest.paths(c.get("flamegraph"), "base");
        Map<String, Long> target = FlamegraphApiTest.paths(c.get("flamegraph"), "target");
        assertThat(base).containsEntry("all;proxy::handle", SyntheticSession.LINEAR_BYTES);
        assertThat(target).containsEntry("all;proxy::handle", 0L)
                .containsEntry("all;main;config::load", SyntheticSession.STARTUP_BYTES);
    }

    @Test
    void deploymentCompareErrors() {
        String svc = "/api/compare?service=" + enc(fleet.checkout());
        assertThat(error(svc + "&base=v1", 400)).contains("needs base and target deployments");
        assertThat(error(svc + "&base=v1&target=v9", 404)).contains("deployment 'v9'");
        assertThat(error(svc + "&base=v1&target=v2&filter=bad", 400)).contains("filter");
    }
}

package dev.plumb.web.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.plumb.agent.capture.CaptureLibrary;
import dev.plumb.agent.capture.CaptureReader;
import dev.plumb.agent.run.ProfiledRun;
import dev.plumb.agent.ship.GathererAddress;
import dev.plumb.agent.ship.SessionLabels;
import dev.plumb.agent.ship.SessionShipper;
import dev.plumb.web.cli.RunningServer;
import dev.plumb.web.cli.ServerOptions;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.StandardProtocolFamily;
import java.net.URI;
import java.net.UnixDomainSocketAddress;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Condensing changes how many rows are stored, not what the views show. The bundled leaky
 * example under the real capture library, through the agent to the gatherer and PostgreSQL:
 * run once with condensing and once with {@code --condense-after 0}, and, for the per-second
 * memory graph (which two runs cannot share, their clocks differ), one recorded capture
 * stream shipped three times: not condensed, condensed after 10 s and after 1 s.
 */
class CondensingEndToEndTest {
    static final long TRACE_BYTES = 4096;

    @TempDir
    static Path dir;
    static RunningServer server;
    static DataSource db;
    static final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    static final JsonMapper json = JsonMapper.builder().build();

    @BeforeAll
    static void start() throws Exception {
        server = RunningServer.start(new ServerOptions(0, 0, dir.resolve("data"), null, null, null, null, List.of()));
        db = server.context().getBean(DataSource.class);
    }

    @AfterAll
    static void stop() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    static Path leaky() {
        return Path.of(System.getProperty("plumb.root"), "examples", "target", "leaky");
    }

    @Test
    void twoRunsWithAndWithoutCondensingShowTheSameLeaksFlamegraphsAndTotalsFromFarFewerRows() throws Exception {
        int requests = 1500;
        long on = profile("condense-on", SessionShipper.DEFAULT_CONDENSE_AFTER, requests);
        long off = profile("condense-off", Duration.ZERO, requests);

        JsonNode leaks = get("/api/sessions/" + on + "/leaks?limit=1000").path("items");
        assertThat(leakTable(leaks)).isEqualTo(leakTable(get("/api/sessions/" + off + "/leaks?limit=1000").path("items")));
        JsonNode top = leaks.path(0);
        assertThat(top.path("frames").path(0).path("function").asString()).isEqualTo("remember_request_trace");
        assertThat(top.path("bytesLeaked").asLong()).isEqualTo(requests * TRACE_BYTES);
        assertThat(top.path("count").asLong()).isEqualTo(requests);

        for (String filter : List.of("all", "leaked", "temporary")) {
            JsonNode a = get("/api/sessions/" + on + "/flamegraph?filter=" + filter);
            JsonNode b = get("/api/sessions/" + off + "/flamegraph?filter=" + filter);
            assertThat(a.path("totalBytes").asLong()).as("%s bytes", filter).isEqualTo(b.path("totalBytes").asLong())
                    .isPositive();
            assertThat(a.path("totalCount").asLong()).as("%s count", filter).isEqualTo(b.path("totalCount").asLong());
        }
        JsonNode sessionOn = get("/api/sessions/" + on);
        JsonNode sessionOff = get("/api/sessions/" + off);
        for (String total : List.of("allocations", "frees", "bytesAllocated", "bytesFreed", "bytesLeaked")) {
            assertThat(sessionOn.path(total).asLong()).as(total).isEqualTo(sessionOff.path(total).asLong());
        }

        Rows rowsOn = rows(on);
        Rows rowsOff = rows(off);
        assertThat(rowsOff.allocations()).as("without condensing, a row per allocation")
                .isEqualTo(sessionOff.path("allocations").asLong());
        assertThat(rowsOn.allocations() * 3).as("allocation rows: %s condensed vs %s", rowsOn, rowsOff)
                .isLessThan(rowsOff.allocations());
        assertThat(rowsOn.freed() * 10).as("rows of freed allocations: %s vs %s", rowsOn, rowsOff)
                .isLessThan(rowsOff.freed());
    }

    @Test
    void oneCaptureShippedCondensedOrNotGivesTheSamePerSecondMemoryGraphAndRollup() throws Exception {
        Path raw = captureRaw(List.of(leaky().toString(), "--requests", "1200", "--interval-ms", "3"));
        long off = replay(raw, "replay-off", Duration.ZERO);
        long tenSeconds = replay(raw, "replay-10s", Duration.ofSeconds(10));
        long oneSecond = replay(raw, "replay-1s", Duration.ofSeconds(1));

        List<List<Object>> graph = memoryPerSecond(off);
        assertThat(graph.size()).as("the run spans several seconds: %s", graph).isGreaterThanOrEqualTo(4);
        assertThat(graph).isEqualTo(rawMemoryPerSecond(off));
        for (long condensed : List.of(tenSeconds, oneSecond)) {
            assertThat(memoryPerSecond(condensed)).as("memory graph per second").isEqualTo(graph);
            assertThat(rawMemoryPerSecond(condensed)).as("the same from the raw rows").isEqualTo(graph);
            assertThat(rollup(condensed)).as("per backtrace and second").isEqualTo(rollup(off));
            assertThat(leakTable(get("/api/sessions/" + condensed + "/leaks?limit=1000").path("items")))
                    .isEqualTo(leakTable(get("/api/sessions/" + off + "/leaks?limit=1000").path("items")));
            for (String filter : List.of("all", "leaked", "temporary")) {
                assertThat(get("/api/sessions/" + condensed + "/flamegraph?filter=" + filter).path("nodes"))
                        .as("flamegraph %s", filter)
                        .isEqualTo(get("/api/sessions/" + off + "/flamegraph?filter=" + filter).path("nodes"));
            }
            JsonNode memory = get("/api/sessions/" + condensed + "/memory").path("items");
            JsonNode memoryOff = get("/api/sessions/" + off + "/memory").path("items");
            assertThat(memory.path(memory.size() - 1)).as("the graph's last point").isEqualTo(memoryOff.path(memoryOff.size() - 1));
        }
        assertThat(rows(tenSeconds).allocations() * 3).isLessThan(rows(off).allocations());

        // The latency samples live about two seconds once the ring is full: folded with a 10 s
        // threshold, shipped one by one (with their frees later) with a 1 s threshold.
        assertThat(freedRowsOf(off, "record_latency_sample")).as("ring samples replaced").isGreaterThan(10);
        assertThat(freedRowsOf(oneSecond, "record_latency_sample")).isEqualTo(freedRowsOf(off, "record_latency_sample"));
        assertThat(freedRowsOf(tenSeconds, "record_latency_sample")).isLessThan(freedRowsOf(off, "record_latency_sample"));
        assertThat(individualRows(oneSecond, "record_latency_sample")).isEqualTo(individualRows(off, "record_latency_sample"));
    }

    /** The example under plumb run's path (ProfiledRun); returns the session id. */
    static long profile(String service, Duration condenseAfter, int requests) throws Exception {
        ByteArrayOutputStream agentOutput = new ByteArrayOutputStream();
        int exit = new ProfiledRun(List.of(leaky().toString(), "--requests", String.valueOf(requests), "--interval-ms", "1"),
                new GathererAddress("localhost", server.gathererPort()),
                new SessionLabels("e2e-host", service, "v1", "", Map.of()), Duration.ofSeconds(60),
                new PrintStream(agentOutput, true)).condenseAfter(condenseAfter).run();
        assertThat(exit).as("agent said: %s", agentOutput).isZero();
        assertThat(agentOutput.toString()).doesNotContain("NOT delivered");
        return sessionOf(service);
    }

    /** Runs a command under the capture library and keeps its raw capture stream in a file. */
    static Path captureRaw(List<String> command) throws Exception {
        Path socket = dir.resolve("capture.sock");
        Path raw = dir.resolve("leaky.capture");
        try (ServerSocketChannel listener = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            listener.bind(UnixDomainSocketAddress.of(socket));
            listener.configureBlocking(false);
            ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .redirectError(ProcessBuilder.Redirect.DISCARD);
            pb.environment().put("LD_PRELOAD", CaptureLibrary.extract().toString());
            pb.environment().put("PLUMB_SOCKET", socket.toString());
            Process process = pb.start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            SocketChannel stream = null;
            while (stream == null) {
                boolean exited = !process.isAlive();
                stream = listener.accept();
                if (stream == null) {
                    assertThat(exited).as("the program exited without the capture library connecting").isFalse();
                    assertThat(System.nanoTime()).as("the capture library connects within 60 s").isLessThan(deadline);
                    Thread.sleep(5);
                }
            }
            try (SocketChannel s = stream; InputStream in = Channels.newInputStream(s)) {
                s.configureBlocking(true);
                Files.copy(in, raw, StandardCopyOption.REPLACE_EXISTING); // until the library closes it after END
            }
            assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(process.exitValue()).isZero();
        }
        return raw;
    }

    /** Ships a recorded capture stream through the agent's shipper to the gatherer; returns the session id. */
    static long replay(Path raw, String service, Duration condenseAfter) throws Exception {
        SessionShipper shipper = new SessionShipper(new GathererAddress("localhost", server.gathererPort()),
                new SessionLabels("e2e-host", service, "v1", "", Map.of()), null, condenseAfter);
        try (InputStream in = new BufferedInputStream(Files.newInputStream(raw)); shipper) {
            new CaptureReader(in, shipper).run();
        }
        assertThat(shipper.failure()).isNull();
        return sessionOf(service);
    }

    static long sessionOf(String service) throws Exception {
        for (JsonNode s : get("/api/sessions").path("items")) {
            if (service.equals(s.path("service").asString())) {
                assertThat(s.path("state").asString()).isEqualTo("ended");
                return s.path("id").asLong();
            }
        }
        throw new AssertionError("no session of " + service);
    }

    static JsonNode get(String path) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(server.webUrl() + path))
                .timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as("GET %s → %s", path, r.body()).isEqualTo(200);
        return json.readTree(r.body());
    }

    /** Each leak group as (backtrace, bytes, count), in the table's order. */
    static List<String> leakTable(JsonNode items) {
        List<String> rows = new ArrayList<>();
        for (JsonNode g : items) {
            List<String> frames = g.path("frames").valueStream().map(f -> f.path("function").asString()).toList();
            rows.add(String.join(";", frames) + " " + g.path("bytesLeaked").asLong() + " B in " + g.path("count").asLong());
        }
        assertThat(rows).as("leak groups").isNotEmpty();
        return rows;
    }

    record Rows(long allocations, long freed) {
    }

    static Rows rows(long session) throws Exception {
        List<List<Object>> r = query("""
                SELECT count(*), count(f.alloc_id) FROM allocations a
                  LEFT JOIN frees f ON f.session_id = a.session_id AND f.alloc_id = a.alloc_id
                 WHERE a.session_id = ?""", session);
        return new Rows((Long) r.get(0).get(0), (Long) r.get(0).get(1));
    }

    /** The memory graph at one-second resolution from the rollup: (second, heap, leaked) at each second's end. */
    static List<List<Object>> memoryPerSecond(long session) throws Exception {
        return query("""
                SELECT second, sum(sum(alloc_bytes - free_bytes)) OVER w, sum(sum(alloc_bytes - released_bytes)) OVER w
                  FROM stack_usage WHERE session_id = ?
                 GROUP BY second WINDOW w AS (ORDER BY second) ORDER BY second""", session);
    }

    /** The same graph from the raw allocation and free rows, without the rollup. */
    static List<List<Object>> rawMemoryPerSecond(long session) throws Exception {
        return query("""
                SELECT second, sum(sum(heap)) OVER w, sum(sum(leaked)) OVER w FROM (
                    SELECT a.allocated_us / 1000000 AS second, a.size * a.weight AS heap,
                           CASE WHEN f.alloc_id IS NULL THEN a.size * a.weight ELSE 0 END AS leaked
                      FROM allocations a LEFT JOIN frees f ON f.session_id = a.session_id AND f.alloc_id = a.alloc_id
                     WHERE a.session_id = ?1
                    UNION ALL
                    SELECT f.freed_us / 1000000, -a.size * a.weight, 0
                      FROM frees f JOIN allocations a ON a.session_id = f.session_id AND a.alloc_id = f.alloc_id
                     WHERE f.session_id = ?1) e
                 GROUP BY second WINDOW w AS (ORDER BY second) ORDER BY second""".replace("?1", "?"), session, session);
    }

    static List<List<Object>> rollup(long session) throws Exception {
        return query("""
                SELECT stack_id, second, allocs, alloc_bytes, frees, free_bytes, released, released_bytes
                  FROM stack_usage WHERE session_id = ? ORDER BY stack_id, second""", session);
    }

    /** Rows of freed allocations whose innermost frame is {@code function}. */
    static long freedRowsOf(long session, String function) throws Exception {
        return (Long) query("""
                SELECT count(*) FROM allocations a
                  JOIN frees f ON f.session_id = a.session_id AND f.alloc_id = a.alloc_id
                  JOIN stack_frames sf ON sf.stack_id = a.stack_id AND sf.position = 0
                 WHERE a.session_id = ? AND sf.function = ?""", session, function).get(0).get(0);
    }

    /** The (id, size, time, weight, free time) of every allocation through {@code function}, in id order. */
    static List<List<Object>> individualRows(long session, String function) throws Exception {
        return query("""
                SELECT a.alloc_id, a.size, a.allocated_us, a.weight, f.freed_us FROM allocations a
                  LEFT JOIN frees f ON f.session_id = a.session_id AND f.alloc_id = a.alloc_id
                  JOIN stack_frames sf ON sf.stack_id = a.stack_id AND sf.position = 0
                 WHERE a.session_id = ? AND sf.function = ? ORDER BY a.alloc_id""", session, function);
    }

    static List<List<Object>> query(String sql, Object... params) throws Exception {
        try (Connection c = db.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) {
                ps.setObject(i + 1, params[i]);
            }
            List<List<Object>> rows = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                int n = rs.getMetaData().getColumnCount();
                while (rs.next()) {
                    List<Object> row = new ArrayList<>(n);
                    for (int i = 1; i <= n; i++) {
                        row.add(rs.getObject(i));
                    }
                    rows.add(row);
                }
            }
            return rows;
        }
    }
}

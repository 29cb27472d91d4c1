package dev.plumb.web.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.plumb.agent.cli.AgentCli;
import dev.plumb.agent.run.ProfiledRun;
import dev.plumb.agent.ship.GathererAddress;
import dev.plumb.agent.ship.SessionLabels;
import dev.plumb.web.cli.PlumbCli;
import dev.plumb.web.cli.RunningServer;
import dev.plumb.web.cli.ServerOptions;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The whole path: the real example program under the real capture library, the agent,
 * TCP to the gatherer, PostgreSQL, and the REST API — on random ports.
 */
class LeakyExampleEndToEndTest {
    static final int REQUESTS = 300;
    static final long LEAK_PER_REQUEST = 4096;
    static final long STARTUP_BYTES = 1_048_576;

    @TempDir
    static Path dataDir;
    static RunningServer server;
    static long sessionId;
    static final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    static final JsonMapper json = JsonMapper.builder().build();

    @BeforeAll
    static void profileTheExample() throws Exception {
        server = RunningServer.start(new ServerOptions(0, 0, dataDir, null, null, null, null, List.of()));
        Path example = Path.of(System.getProperty("plumb.root"), "examples", "target", "leaky");
        ByteArrayOutputStream agentOutput = new ByteArrayOutputStream();
        int exit = new ProfiledRun(List.of(example.toString(), "--requests", String.valueOf(REQUESTS), "--interval-ms", "1"),
                new GathererAddress("localhost", server.gathererPort()),
                new SessionLabels("e2e-host", "leaky-e2e", "build-1", "", Map.of()),
                Duration.ofSeconds(30), new PrintStream(agentOutput, true)).run();
        assertThat(exit).as("example exit code; agent said: %s", agentOutput).isZero();
        assertThat(agentOutput.toString()).doesNotContain("NOT delivered");

        JsonNode sessions = get("/api/sessions");
        JsonNode ours = null;
        for (JsonNode s : sessions.path("items")) {
            if ("leaky-e2e".equals(s.path("service").asString())) {
                ours = s;
            }
        }
        assertThat(ours).as("session of the example in %s", sessions).isNotNull();
        sessionId = ours.path("id").asLong();
        assertThat(ours.path("state").asString()).isEqualTo("ended");
        assertThat(ours.path("host").asString()).isEqualTo("e2e-host");
        assertThat(ours.path("deployment").asString()).isEqualTo("build-1");
        assertThat(ours.path("exe").asString()).endsWith("leaky");
    }

    @AfterAll
    static void stop() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    static JsonNode get(String path) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(server.webUrl() + path))
                .timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as("GET %s → %s", path, r.body()).isEqualTo(200);
        return json.readTree(r.body());
    }

    @Test
    void topLeakIsThePerRequestLeakWithItsExactBytes() throws Exception {
        JsonNode items = get("/api/sessions/" + sessionId + "/leaks").path("items");
        JsonNode top = items.path(0);
        assertThat(top.path("frames").path(0).path("function").asString()).isEqualTo("remember_request_trace");
        assertThat(top.path("bytesLeaked").asLong()).isEqualTo(REQUESTS * LEAK_PER_REQUEST);
        assertThat(top.path("count").asLong()).isEqualTo(REQUESTS);
        List<String> callers = top.path("frames").valueStream().map(f -> f.path("function").asString()).toList();
        assertThat(callers).contains("handle_request", "main");
    }

    @Test
    void startupAllocationIsListedToo() throws Exception {
        JsonNode items = get("/api/sessions/" + sessionId + "/leaks").path("items");
        JsonNode startup = null;
        for (JsonNode group : items) {
            for (JsonNode frame : group.path("frames")) {
                if ("load_config".equals(frame.path("function").asString())) {
                    startup = group;
                }
            }
        }
        assertThat(startup).as("a group through load_config in %s", items).isNotNull();
        assertThat(startup.path("bytesLeaked").asLong()).isEqualTo(STARTUP_BYTES);
        assertThat(startup.path("count").asLong()).isEqualTo(1);
    }

    @Test
    void totalsMatchWhatTheExampleDid() throws Exception {
        JsonNode session = get("/api/sessions/" + sessionId);
        long bounded = Math.min((REQUESTS + 19) / 20, 32) * 16384L;
        // Everything the example keeps: its leaks, its config and its ring. The C runtime may
        // keep a few buffers of its own (stdio), so the total is at least the example's part.
        assertThat(session.path("bytesLeaked").asLong())
                .isGreaterThanOrEqualTo(REQUESTS * LEAK_PER_REQUEST + STARTUP_BYTES + bounded);
        assertThat(session.path("allocations").asLong()).isGreaterThanOrEqualTo(REQUESTS * 4L);
        assertThat(session.path("frees").asLong()).isGreaterThanOrEqualTo(REQUESTS * 3L);
        assertThat(session.path("droppedEvents").asLong()).isZero();
    }

    @Test
    void memoryGraphEndsWithTheLeakedBytes() throws Exception {
        JsonNode items = get("/api/sessions/" + sessionId + "/memory").path("items");
        assertThat(items.size()).isGreaterThan(10);
        JsonNode last = items.path(items.size() - 1);
        JsonNode session = get("/api/sessions/" + sessionId);
        assertThat(last.path("leakedBytes").asLong()).isEqualTo(session.path("bytesLeaked").asLong());
        assertThat(last.path("heapBytes").asLong()).isGreaterThanOrEqualTo(last.path("leakedBytes").asLong());
    }

    @Test
    void pprofExportOfTheRealRunImportsBackWithTheSameTotals() throws Exception {
        HttpResponse<byte[]> pprof = http.send(HttpRequest.newBuilder(URI.create(server.webUrl() + "/api/sessions/"
                + sessionId + "/export?format=pprof")).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(pprof.statusCode()).isEqualTo(200);
        Path file = dataDir.resolve("leaky.pb.gz");
        Files.write(file, pprof.body());

        // through the CLI, as a user would: plumb import --server URL FILE
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = AgentCli.newCommandLine(new PlumbCli());
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        int exit = cli.execute("import", "--server", server.webUrl(), "--service", "leaky-roundtrip", file.toString());
        assertThat(exit).as("stdout %s stderr %s", out, err).isZero();
        Matcher url = Pattern.compile("Session:  http://localhost:\\d+/sessions/(\\d+)").matcher(out.toString());
        assertThat(url.find()).as(out.toString()).isTrue();

        JsonNode original = get("/api/sessions/" + sessionId);
        JsonNode copy = get("/api/sessions/" + url.group(1));
        for (String total : List.of("allocations", "frees", "bytesAllocated", "bytesFreed", "bytesLeaked")) {
            assertThat(copy.path(total).asLong()).as(total).isEqualTo(original.path(total).asLong());
        }
        JsonNode top = get("/api/sessions/" + url.group(1) + "/leaks").path("items").path(0);
        assertThat(top.path("frames").path(0).path("function").asString()).isEqualTo("remember_request_trace");
        assertThat(top.path("bytesLeaked").asLong()).isEqualTo(REQUESTS * LEAK_PER_REQUEST);
    }

    @Test
    void plumbImportNamesWhatIsWrongWithARejectedFile() throws Exception {
        Path junk = dataDir.resolve("junk.bin");
        Files.write(junk, new byte[] {1, 2, 3, 4});
        StringWriter err = new StringWriter();
        CommandLine cli = AgentCli.newCommandLine(new PlumbCli());
        cli.setOut(new PrintWriter(new StringWriter()));
        cli.setErr(new PrintWriter(err));
        assertThat(cli.execute("import", "--server", server.webUrl(), junk.toString())).isEqualTo(1);
        assertThat(err.toString()).contains("junk.bin was not imported: unknown format");

        assertThat(cli.execute("import", "--server", server.webUrl(), dataDir.resolve("missing.gz").toString())).isEqualTo(2);
        assertThat(cli.execute("import", "--server", "ftp://x", junk.toString())).isEqualTo(2);
        assertThat(cli.execute("import", "--server", "http://localhost:1", junk.toString())).isEqualTo(3);
        assertThat(err.toString()).contains("cannot reach the Plumb server at http://localhost:1");
    }

    @Test
    void sessionPageRenders() throws Exception {
        HttpResponse<String> page = http.send(HttpRequest.newBuilder(URI.create(server.webUrl() + "/sessions/" + sessionId))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.body()).contains("leaky-e2e");
    }
}

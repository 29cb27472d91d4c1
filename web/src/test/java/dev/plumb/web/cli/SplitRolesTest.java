package dev.plumb.web.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.plumb.agent.cli.AgentCli;
import dev.plumb.agent.ship.GathererAddress;
import dev.plumb.agent.ship.GathererClient;
import dev.plumb.wire.Batch;
import dev.plumb.wire.FrameCodec;
import dev.plumb.wire.Hello;
import java.util.Map;
import java.util.UUID;
import dev.plumb.web.support.TestDatabase;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The split deployment's two roles (what the container images run): each starts on its own
 * against one external PostgreSQL, serves the probes the Helm chart points at, and runs only
 * its own beans.
 */
class SplitRolesTest {
    static final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @Test
    void webRoleServesTheApiAndProbesWithoutAGatherer() throws Exception {
        try (RunningServer web = RunningServer.start(externalDatabase(), ServerRole.WEB)) {
            assertThat(status(web, "/api/sessions")).isEqualTo(200);
            assertThat(status(web, "/actuator/health/readiness")).isEqualTo(200);
            assertThat(status(web, "/actuator/health/liveness")).isEqualTo(200);
            assertThatThrownBy(web::gathererPort).hasMessageContaining("WEB role, which has no gatherer");
        }
    }

    @Test
    void gathererRoleAcceptsAgentsAndServesOnlyActuator() throws Exception {
        try (RunningServer gatherer = RunningServer.start(externalDatabase(), ServerRole.GATHERER)) {
            try (Socket agent = new Socket()) {
                agent.connect(new InetSocketAddress("localhost", gatherer.gathererPort()), 5000);
            }
            assertThat(status(gatherer, "/actuator/health/readiness")).isEqualTo(200);
            assertThat(status(gatherer, "/actuator/health/liveness")).isEqualTo(200);
            assertThat(status(gatherer, "/actuator/prometheus")).isEqualTo(200);
            assertThat(status(gatherer, "/api/sessions")).isEqualTo(404);
        }
    }

    @Test
    void gathererRoleExportsIngestMetrics() throws Exception {
        try (RunningServer gatherer = RunningServer.start(externalDatabase(), ServerRole.GATHERER)) {
            Hello hello = new Hello(FrameCodec.PROTOCOL_VERSION, "", UUID.randomUUID(), "h", "metrics-test", "v1", 1,
                    "/bin/x", 1_000_000L, Map.of());
            Batch.Alloc a = new Batch.Alloc(1, 1, 64, 1_000_000L);
            Batch batch = new Batch(1, List.of(new Batch.StackDef(1, List.of(new Batch.StackFrame("f", "m", "", 0)))),
                    List.of(a, new Batch.Alloc(2, 1, 32, 1_000_001L)), List.of(Batch.Free.of(a, 1_000_002L)), 0);
            try (GathererClient agent = GathererClient.connect(new GathererAddress("localhost", gatherer.gathererPort()),
                    hello)) {
                agent.send(batch);
                agent.awaitAck(1, Duration.ofSeconds(30));
                String metrics = body(gatherer, "/actuator/prometheus");
                assertThat(metrics).contains("plumb_gatherer_agents_connected 1.0", "plumb_gatherer_queue_batches",
                        "plumb_gatherer_commit_seconds_count", "plumb_gatherer_lag_ack_seconds_count",
                        "plumb_gatherer_batches_total{outcome=\"stored\"} 1.0", "plumb_gatherer_events_total 3.0");
            }
        }
    }

    private static String body(RunningServer server, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(server.webUrl() + path)).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    @Test
    void rolesWithoutADatabaseSayWhatIsMissing() {
        for (String role : List.of("web", "gatherer")) {
            StringWriter err = new StringWriter();
            CommandLine cli = AgentCli.newCommandLine(new PlumbCli()).setErr(new PrintWriter(err));
            assertThat(cli.execute(role)).as(role).isEqualTo(2);
            assertThat(err.toString()).contains(role + " needs a database: --db-url JDBC_URL (or PLUMB_DB_URL)");
        }
    }

    @Test
    void rolesHaveHelp() {
        for (String role : List.of("web", "gatherer")) {
            StringWriter out = new StringWriter();
            CommandLine cli = AgentCli.newCommandLine(new PlumbCli()).setOut(new PrintWriter(out));
            assertThat(cli.execute(role, "--help")).isZero();
            assertThat(out.toString()).contains("Usage: plumb " + role, "--db-url", "PLUMB_DB_PASSWORD");
        }
    }

    /** The test database stands in for the external PostgreSQL; ports 0 pick free ones. */
    private static ServerOptions externalDatabase() {
        var db = TestDatabase.get();
        return new ServerOptions(0, 0, null, db.jdbcUrl(), db.user(), "", null, List.of());
    }

    private static int status(RunningServer server, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(server.webUrl() + path)).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.discarding()).statusCode();
    }
}

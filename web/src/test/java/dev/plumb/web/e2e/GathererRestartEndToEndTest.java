package dev.plumb.web.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.plumb.agent.run.ProfiledRun;
import dev.plumb.agent.ship.GathererAddress;
import dev.plumb.agent.ship.SessionLabels;
import dev.plumb.gatherer.ingest.GathererServer;
import dev.plumb.web.cli.RunningServer;
import dev.plumb.web.cli.ServerOptions;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gatherer goes away in the middle of a profiled run and comes back: the agent
 * reconnects under the same session and every allocation arrives exactly once.
 */
class GathererRestartEndToEndTest {
    static final int REQUESTS = 2000;

    @TempDir
    Path dataDir;

    @Test
    void everyAllocationArrivesOnceAcrossAGathererRestart() throws Exception {
        int gathererPort;
        try (ServerSocket s = new ServerSocket(0)) {
            gathererPort = s.getLocalPort();
        }
        try (RunningServer server = RunningServer.start(
                new ServerOptions(0, gathererPort, dataDir, null, null, null, null, List.of()))) {
            GathererServer gatherer = server.context().getBean(GathererServer.class);
            DataSource db = server.context().getBean(DataSource.class);
            Path example = Path.of(System.getProperty("plumb.root"), "examples", "target", "leaky");
            ByteArrayOutputStream agentOutput = new ByteArrayOutputStream();
            CompletableFuture<Integer> run = CompletableFuture.supplyAsync(() -> {
                try {
                    return new ProfiledRun(List.of(example.toString(), "--requests", String.valueOf(REQUESTS),
                            "--interval-ms", "2"), new GathererAddress("localhost", gathererPort),
                            new SessionLabels("h", "restart-e2e", "v1", "", Map.of()), Duration.ofSeconds(60),
                            new PrintStream(agentOutput, true)).run();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });

            awaitTrue(() -> storedAllocations(db) > 0, () -> "the first batches to be stored; agent said: " + agentOutput);
            gatherer.stop();
            Thread.sleep(1500); // the outage itself; the program keeps allocating meanwhile
            assertThat(run).as("the program was still running during the outage").isNotDone();
            gatherer.start();

            assertThat(run.get(120, TimeUnit.SECONDS)).as("agent output: %s", agentOutput).isZero();
            assertThat(agentOutput.toString()).doesNotContain("NOT delivered").contains("connections");
            assertThat(StoredLeaks.ofRequestTraces(db, "restart-e2e")).isEqualTo(new StoredLeaks(REQUESTS, REQUESTS * 4096L, 1, 0));
        }
    }

    private static long storedAllocations(DataSource db) {
        try (Connection c = db.getConnection();
             PreparedStatement ps = c.prepareStatement("""
                     SELECT count(*) FROM allocations a JOIN sessions s ON s.id = a.session_id
                      WHERE s.service = 'restart-e2e'""");
             ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static void awaitTrue(java.util.function.BooleanSupplier condition, java.util.function.Supplier<String> what)
            throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what.get());
            }
            Thread.sleep(20);
        }
    }
}

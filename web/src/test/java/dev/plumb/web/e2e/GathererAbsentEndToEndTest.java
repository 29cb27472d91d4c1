package dev.plumb.web.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.plumb.agent.record.RecordingUploader;
import dev.plumb.agent.run.ProfiledRun;
import dev.plumb.agent.ship.GathererAddress;
import dev.plumb.agent.ship.SessionLabels;
import dev.plumb.web.cli.RunningServer;
import dev.plumb.web.cli.ServerOptions;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `plumb run` without a gatherer: the program runs anyway; if the gatherer appears during the
 * run everything is delivered, and if it never does the profile is saved for `plumb upload`,
 * which then delivers it exactly once.
 */
class GathererAbsentEndToEndTest {
    static final int REQUESTS = 1500;

    @TempDir
    Path tmp;

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private ProfiledRun leaky(int gathererPort, String service, int intervalMs, Duration flushTimeout,
                              ByteArrayOutputStream out) {
        Path example = Path.of(System.getProperty("plumb.root"), "examples", "target", "leaky");
        return new ProfiledRun(List.of(example.toString(), "--requests", String.valueOf(REQUESTS), "--interval-ms",
                String.valueOf(intervalMs)), new GathererAddress("localhost", gathererPort),
                new SessionLabels("h", service, "v1", "", Map.of()), flushTimeout, new PrintStream(out, true))
                .saveUndeliveredTo(tmp.resolve("spool"));
    }

    @Test
    void aGathererThatAppearsDuringTheRunGetsEverything() throws Exception {
        int port = freePort();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        CompletableFuture<Integer> run = CompletableFuture.supplyAsync(() -> {
            try {
                return leaky(port, "late-gatherer", 2, Duration.ofSeconds(60), out).run();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        // the program is under way with nobody listening; then the gatherer starts
        Thread.sleep(1000);
        assertThat(run).as("still running when the gatherer starts").isNotDone();
        try (RunningServer server = RunningServer.start(new ServerOptions(0, port, tmp.resolve("data"), null, null,
                null, null, List.of()))) {
            assertThat(run.get(120, TimeUnit.SECONDS)).as("%s", out).isZero();
            assertThat(out.toString()).doesNotContain("saved in").doesNotContain("NOT delivered");
            assertThat(StoredLeaks.ofRequestTraces(server.context().getBean(DataSource.class), "late-gatherer"))
                    .isEqualTo(new StoredLeaks(REQUESTS, REQUESTS * 4096L, 1, 0));
        }
        assertThat(tmp.resolve("spool")).doesNotExist();
    }

    @Test
    void aGathererThatNeverAppearsLeavesARecordingThatUploadsExactlyOnce() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertThat(leaky(freePort(), "no-gatherer", 0, Duration.ofSeconds(2), out).run()).isZero();
        assertThat(out.toString()).contains("saved in").contains("plumb upload");
        Path saved;
        try (var files = Files.list(tmp.resolve("spool"))) {
            saved = files.toList().get(0);
        }
        try (RunningServer server = RunningServer.start(new ServerOptions(0, 0, tmp.resolve("data2"), null, null,
                null, null, List.of()))) {
            GathererAddress gatherer = new GathererAddress("localhost", server.gathererPort());
            PrintStream quiet = new PrintStream(new ByteArrayOutputStream(), true);
            assertThat(new RecordingUploader(gatherer, "", quiet).upload(saved).complete()).isTrue();
            assertThat(new RecordingUploader(gatherer, "", quiet).upload(saved).batchesSent()).isZero();
            assertThat(StoredLeaks.ofRequestTraces(server.context().getBean(DataSource.class), "no-gatherer"))
                    .isEqualTo(new StoredLeaks(REQUESTS, REQUESTS * 4096L, 1, 0));
        }
    }
}

package dev.plumb.web.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.plumb.agent.record.RecordingServer;
import dev.plumb.agent.record.RecordingUploader;
import dev.plumb.agent.run.ProfiledRun;
import dev.plumb.agent.ship.GathererAddress;
import dev.plumb.agent.ship.SessionLabels;
import dev.plumb.web.cli.RunningServer;
import dev.plumb.web.cli.ServerOptions;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Record offline, upload later: the example's leak arrives exactly once even when the file is
 * uploaded twice, and a truncated recording uploads its intact prefix and names the damage.
 */
class RecordAndUploadEndToEndTest {
    // More than one batch (20,000 rows), as the truncation test needs, even condensed: the
    // temporaries fold into a few rows, but each request's leaked trace is a row of its own.
    static final int REQUESTS = 25_000;

    @TempDir
    Path tmp;

    private Path record(String service) throws Exception {
        Path recording = tmp.resolve(service + ".plumb");
        Path parts = Files.createDirectories(tmp.resolve(service + "-parts"));
        Path example = Path.of(System.getProperty("plumb.root"), "examples", "target", "leaky");
        try (RecordingServer recorder = new RecordingServer(recording, parts)) {
            int exit = new ProfiledRun(List.of(example.toString(), "--requests", String.valueOf(REQUESTS), "--interval-ms", "0"),
                    new GathererAddress("127.0.0.1", recorder.port()), new SessionLabels("rec-host", service, "v1", "", Map.of()),
                    Duration.ofSeconds(30), new PrintStream(new ByteArrayOutputStream(), true)).run();
            assertThat(exit).isZero();
        }
        return recording;
    }

    @Test
    void uploadingTwiceStoresEverythingOnce() throws Exception {
        Path recording = record("recorded");
        try (RunningServer server = RunningServer.start(new ServerOptions(0, 0, tmp.resolve("data"), null, null, null,
                null, List.of()))) {
            DataSource db = server.context().getBean(DataSource.class);
            GathererAddress gatherer = new GathererAddress("localhost", server.gathererPort());
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            RecordingUploader.Result first = new RecordingUploader(gatherer, "", new PrintStream(out, true)).upload(recording);
            assertThat(first.complete()).isTrue();
            assertThat(first.sessions()).isEqualTo(1);
            assertThat(first.batchesAlreadyStored()).isZero();
            assertThat(StoredLeaks.ofRequestTraces(db, "recorded")).isEqualTo(new StoredLeaks(REQUESTS, REQUESTS * 4096L, 1, 0));

            RecordingUploader.Result again = new RecordingUploader(gatherer, "", new PrintStream(out, true)).upload(recording);
            assertThat(again.batchesSent()).isZero();
            assertThat(again.batchesAlreadyStored()).isEqualTo(first.batchesSent());
            assertThat(StoredLeaks.ofRequestTraces(db, "recorded")).isEqualTo(new StoredLeaks(REQUESTS, REQUESTS * 4096L, 1, 0));
        }
    }

    @Test
    void aTruncatedRecordingUploadsItsIntactPrefixAndSaysWhere() throws Exception {
        Path recording = record("truncated");
        byte[] whole = Files.readAllBytes(recording);
        Path cut = tmp.resolve("cut.plumb");
        Files.write(cut, Arrays.copyOf(whole, whole.length - 100));
        try (RunningServer server = RunningServer.start(new ServerOptions(0, 0, tmp.resolve("data2"), null, null, null,
                null, List.of()))) {
            DataSource db = server.context().getBean(DataSource.class);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            RecordingUploader.Result result = new RecordingUploader(new GathererAddress("localhost", server.gathererPort()),
                    "", new PrintStream(out, true)).upload(cut);
            assertThat(result.complete()).isFalse();
            assertThat(result.damage()).contains("damaged at byte").contains("stream ended inside");
            assertThat(out.toString()).contains("intact part before it was uploaded");
            StoredLeaks stored = StoredLeaks.ofRequestTraces(db, "truncated");
            assertThat(stored.count()).as("some of the leak made it").isPositive().isLessThanOrEqualTo(REQUESTS);
            assertThat(stored.sessions()).isEqualTo(1);
            assertThat(stored.runningSessions()).as("the session is ended at its last event, not left running").isZero();
        }
    }

    @Test
    void aRecordingCutBeforeItsFirstBatchEndsTheSessionWhereItBegan() throws Exception {
        Path recording = record("cut-early");
        Path cut = tmp.resolve("early.plumb");
        Files.write(cut, Arrays.copyOf(Files.readAllBytes(recording), 200)); // HELLO, then part of a batch
        try (RunningServer server = RunningServer.start(new ServerOptions(0, 0, tmp.resolve("data3"), null, null, null,
                null, List.of()))) {
            RecordingUploader.Result result = new RecordingUploader(new GathererAddress("localhost", server.gathererPort()),
                    "", new PrintStream(new ByteArrayOutputStream(), true)).upload(cut);
            assertThat(result.complete()).isFalse();
            assertThat(result.sessions()).isEqualTo(1);
            try (Connection c = server.context().getBean(DataSource.class).getConnection();
                 PreparedStatement ps = c.prepareStatement(
                         "SELECT ended_at = started_at FROM sessions WHERE service = 'cut-early'");
                 ResultSet rs = ps.executeQuery()) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getBoolean(1)).as("ended where it began").isTrue();
            }
        }
    }
}

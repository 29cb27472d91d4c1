package dev.plumb.web.faults;

import static org.assertj.core.api.Assertions.assertThat;

import dev.plumb.gatherer.GathererApplication;
import dev.plumb.gatherer.ingest.GathererServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The quick faults of the fault suite (bench/run faults has them all, longer): a real
 * `plumb run` JVM under bench/subreaper profiling examples/leaky or bench/alloc_bench, a
 * gatherer (in this JVM) on an embedded PostgreSQL this test stops and locks. Each fault is
 * checked for what was sent vs stored, duplicates, and the program's own exit code and output.
 */
class FaultsEndToEndTest {
    static final int REQUESTS = 3000;

    @TempDir
    static Path work;
    static FaultLab lab;
    static ConfigurableApplicationContext gatherer;
    /** examples/leaky, 3,000 requests 2 ms apart (≈ 6.5 s), run bare once: the reference for every leaky fault. */
    static ProfiledProgram.Outcome bareLeaky;

    @BeforeAll
    static void start() throws Exception {
        Path root = Path.of(System.getProperty("plumb.root"));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        lab = new FaultLab(root, work, List.of(java, "-cp",
                System.getProperty("java.class.path"), "dev.plumb.web.cli.PlumbCli"));
        lab.startDatabase();
        int port = FaultLab.freePort();
        gatherer = new SpringApplicationBuilder(GathererApplication.class)
                .properties(Map.of("spring.datasource.url", lab.jdbcUrl(), "spring.datasource.username", "postgres",
                        "plumb.gatherer.port", String.valueOf(port), "spring.datasource.hikari.connection-timeout", "1000",
                        "logging.level.dev.plumb", "WARN"))
                .run();
        lab.useGatherer(port);
        bareLeaky = ProfiledProgram.bare(lab, "leaky-bare", leaky());
    }

    @AfterAll
    static void stop() throws Exception {
        if (gatherer != null) {
            gatherer.close();
        }
        if (lab != null) {
            lab.close();
        }
    }

    private static List<String> leaky() {
        return List.of(lab.leaky().toString(), "--requests", String.valueOf(REQUESTS), "--interval-ms", "2");
    }

    private static final long LEAKY_ALLOCS = 1 + 4L * REQUESTS + (REQUESTS + 19) / 20;

    /** Waits until the run is well under way: batches committed (with condensing, leaks arrive 10 s late). */
    private static void awaitBatches(String service, long batches) throws InterruptedException {
        FaultLab.await(() -> StoredSession.batchesOf(lab.jdbcUrl(), service) >= batches, Duration.ofSeconds(90),
                () -> batches + " batches of " + service + " committed");
    }

    /** Everything the library sent was taken by the agent, shipped, stored once; the program behaved as bare. */
    private static StoredSession assertDeliveredExactlyOnce(String service, String exe, ProfiledProgram.Outcome bare,
                                                            ProfiledProgram.Outcome out, boolean fullMode) throws Exception {
        assertThat(out.programExit()).as("the program's own exit code; agent: %s", out.agentOutput()).isEqualTo(bare.programExit());
        assertThat(out.stdout()).as("the program's own output").isEqualTo(bare.stdout());
        AgentSummary summary = out.summary(exe);
        assertThat(summary).as("plumb run's summary for %s in: %s", exe, out.agentOutput()).isNotNull();
        assertThat(summary.notDelivered()).as("events NOT delivered").isZero();
        assertThat(summary.libraryEvents()).as("library events = agent's events + samples the spool dropped")
                .isPositive().isEqualTo(summary.agentEvents() + summary.spoolDroppedSamples());
        StoredSession stored = StoredSession.of(lab.jdbcUrl(), service, exe);
        assertThat(stored).isNotNull();
        assertThat(stored.events()).as("stored = shipped rows: %s", summary).isEqualTo(summary.shippedRows());
        assertThat(stored.noDuplicates()).as("no duplicates: %s", stored).isTrue();
        assertThat(stored.noOrphans()).as("no free without its allocation: %s", stored).isTrue();
        if (fullMode) {
            // full mode: weights are counts (a condensed row weighs its members), so every event is accounted for
            assertThat(stored.rowAllocs()).as("allocations, weighted").isEqualTo((double) summary.allocations());
            assertThat(stored.rowFrees()).as("frees, weighted").isEqualTo((double) summary.frees());
        }
        assertThat(stored.ended()).isTrue();
        return stored;
    }

    @Test
    void killingTheAgentMidBatchLeavesTheProgramRunningAndStoresWhatWasAcknowledgedOnce() throws Exception {
        String service = "faults-e";
        ProfiledProgram.Outcome bare = bareLeaky;
        ProfiledProgram run = lab.run("e-run", service, List.of(), leaky());
        awaitBatches(service, 3);
        run.killAgent();
        ProfiledProgram.Outcome out = run.await(Duration.ofSeconds(60));

        assertThat(out.programOrphaned()).as("the agent died before the program ended").isTrue();
        assertThat(out.programExit()).as("the program's own exit code").isEqualTo(bare.programExit()).isZero();
        assertThat(out.stdout()).isEqualTo(bare.stdout());
        assertThat(out.programSeconds()).as("the program did not wait for its dead agent")
                .isLessThan(bare.programSeconds() * 2 + 5);
        StoredSession stored = StoredSession.of(lab.jdbcUrl(), service, "/leaky");
        assertThat(stored.allocations()).isPositive();
        assertThat(stored.noDuplicates()).as("%s", stored).isTrue();
        assertThat(stored.noOrphans()).as("no free without its allocation: %s", stored).isTrue();
        assertThat(stored.programAllocs()).isLessThan(LEAKY_ALLOCS);
        assertThat(stored.ended()).as("nobody ended the session").isFalse();
    }

    @Test
    void aSlowDatabaseDelaysDeliveryButNotTheProgram() throws Exception {
        String service = "faults-d";
        ProfiledProgram.Outcome bare = bareLeaky;
        ProfiledProgram run = lab.run("d-run", service, List.of(), leaky());
        awaitBatches(service, 3);
        CompletableFuture<Void> released = lab.holdLock("sessions", Duration.ofSeconds(4));
        FaultLab.await(() -> lab.lockWaiters() > 0, Duration.ofSeconds(10), () -> "the gatherer to wait for the lock");
        released.get(30, TimeUnit.SECONDS);
        ProfiledProgram.Outcome out = run.await(Duration.ofSeconds(90));

        StoredSession stored = assertDeliveredExactlyOnce(service, "/leaky", bare, out, true);
        assertThat(stored.programAllocs()).isEqualTo(LEAKY_ALLOCS);
        assertThat(out.summary("/leaky").waits()).as("the program never waited for the agent").isZero();
    }

    @Test
    void aDatabaseOutageIsWaitedOutWithNothingLostOrDuplicated() throws Exception {
        String service = "faults-b";
        ProfiledProgram.Outcome bare = bareLeaky;
        ProfiledProgram run = lab.run("b-run", service, List.of(), leaky());
        awaitBatches(service, 3);
        lab.stopDatabase();
        TimeUnit.SECONDS.sleep(3); // the outage itself: the gatherer answers error 6 meanwhile
        lab.startDatabase();
        ProfiledProgram.Outcome out = run.await(Duration.ofSeconds(120));

        StoredSession stored = assertDeliveredExactlyOnce(service, "/leaky", bare, out, true);
        assertThat(stored.programAllocs()).isEqualTo(LEAKY_ALLOCS);
        assertThat(out.summary("/leaky").connections()).as("the agent reconnected after the outage").isGreaterThan(1);
    }

    @Test
    void aFullSpoolMakesAFullModeProgramWaitAndASampledOneDropSamples() throws Exception {
        GathererServer server = gatherer.getBean(GathererServer.class);
        List<String> program = List.of(lab.allocBench().toString(), "2", "20000");
        ProfiledProgram.Outcome bare = ProfiledProgram.bare(lab, "c-bare", program);

        // Condensing off: with it, a burst this short is absorbed by the agent's young buffer (up to
        // 1M allocations held in memory) and nothing is cut into a batch before the program ends.
        server.stop(); // decoding waits for the gatherer; the 64 KiB spool fills
        ProfiledProgram full = lab.run("c-full", "faults-c-full", List.of("--spool-limit", "64k", "--condense-after", "0",
                "--stats-interval", "1"), program);
        FaultLab.await(() -> full.agentOutputSoFar().contains("waiting for the gatherer"), Duration.ofSeconds(60),
                () -> "the agent to report that decoding waits for the gatherer");
        TimeUnit.SECONDS.sleep(2); // the gatherer stays away this much longer: the program must wait it out
        server.start();
        ProfiledProgram.Outcome fullOut = full.await(Duration.ofSeconds(120));
        assertDeliveredExactlyOnce("faults-c-full", "/alloc_bench", bare, fullOut, true);
        AgentSummary fullSummary = fullOut.summary("/alloc_bench");
        assertThat(fullSummary.waitMillis()).as("full mode: the program waited for the gatherer instead of losing events: %s",
                fullSummary).isGreaterThanOrEqualTo(1500);
        assertThat(fullSummary.spoolDroppedSamples()).isZero();

        server.stop();
        ProfiledProgram sampled = lab.run("c-sampled", "faults-c-sampled",
                List.of("--mode", "sampled", "--sample-bytes", "1024", "--spool-limit", "64k", "--condense-after", "0"), program);
        Path finished = lab.work().resolve("c-sampled/program.seconds");
        FaultLab.await(() -> Files.exists(finished), Duration.ofSeconds(60),
                () -> "the sampled-mode program to finish while the gatherer is away");
        server.start();
        ProfiledProgram.Outcome sampledOut = sampled.await(Duration.ofSeconds(120));
        assertDeliveredExactlyOnce("faults-c-sampled", "/alloc_bench", bare, sampledOut, false);
        AgentSummary sampledSummary = sampledOut.summary("/alloc_bench");
        assertThat(sampledSummary.spoolDroppedSamples()).as("sampled mode: samples dropped, counted").isPositive();
        // it finished while the gatherer was away (above); short waits while the pump copies a burst remain
        assertThat(sampledSummary.waitMillis()).as("the sampled-mode program did not wait for the gatherer: %s", sampledSummary)
                .isLessThan(1000);
    }
}

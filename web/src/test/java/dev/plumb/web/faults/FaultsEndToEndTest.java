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

    private static void awaitStored(String service, long allocations) throws InterruptedException {
        FaultLab.await(() -> StoredSession.allocationsOf(lab.jdbcUrl(), service) >= allocations, Duration.ofSeconds(90),
                () -> allocations + " allocations of " + service + " stored");
    }

    /** Everything the library sent was taken by the agent, shipped, stored once; the program behaved as bare. */
    private static StoredSession assertDeliveredExactlyOnce(String service, String exe, ProfiledProgram.Outcome bare,
                                                            ProfiledProgram.Outcome out) throws Exception {
        assertThat(out.programExit()).as("the program's own exit code; agent: %s", out.agentOutput()).isEqualTo(bare.programExit());
        assertThat(out.stdout()).as("the program's own output").isEqualTo(bare.stdout());
        AgentSummary summary = out.summary(exe);
        assertThat(summary).as("plumb run's summary for %s in: %s", exe, out.agentOutput()).isNotNull();
        assertThat(summary.notDelivered()).as("events NOT delivered").isZero();
        assertThat(summary.libraryEvents()).as("library events = agent's events + samples the spool dropped")
                .isPositive().isEqualTo(summary.agentEvents() + summary.spoolDroppedSamples());
        StoredSession stored = StoredSession.of(lab.jdbcUrl(), service, exe);
        assertThat(stored).isNotNull();
        assertThat(stored.events()).as("stored = shipped").isEqualTo(summary.allocations() + summary.frees());
        assertThat(stored.noDuplicates()).as("no duplicates: %s", stored).isTrue();
        assertThat(stored.isPrefix()).as("nothing missing: %s", stored).isTrue();
        assertThat(stored.ended()).isTrue();
        return stored;
    }

    @Test
    void killingTheAgentMidBatchLeavesTheProgramRunningAndStoresWhatWasAcknowledgedOnce() throws Exception {
        String service = "faults-e";
        ProfiledProgram.Outcome bare = bareLeaky;
        ProfiledProgram run = lab.run("e-run", service, List.of(), leaky());
        awaitStored(service, 1_000);
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
        assertThat(stored.isPrefix()).as("acknowledged batches, whole: %s", stored).isTrue();
        assertThat(stored.programAllocs()).isLessThan(LEAKY_ALLOCS);
        assertThat(stored.ended()).as("nobody ended the session").isFalse();
    }

    @Test
    void aSlowDatabaseDelaysDeliveryButNotTheProgram() throws Exception {
        String service = "faults-d";
        ProfiledProgram.Outcome bare = bareLeaky;
        ProfiledProgram run = lab.run("d-run", service, List.of(), leaky());
        awaitStored(service, 1_000);
        CompletableFuture<Void> released = lab.holdLock("sessions", Duration.ofSeconds(4));
        FaultLab.await(() -> lab.lockWaiters() > 0, Duration.ofSeconds(10), () -> "the gatherer to wait for the lock");
        released.get(30, TimeUnit.SECONDS);
        ProfiledProgram.Outcome out = run.await(Duration.ofSeconds(90));

        StoredSession stored = assertDeliveredExactlyOnce(service, "/leaky", bare, out);
        assertThat(stored.programAllocs()).isEqualTo(LEAKY_ALLOCS);
        assertThat(out.summary("/leaky").waits()).as("the program never waited for the agent").isZero();
    }

    @Test
    void aDatabaseOutageIsWaitedOutWithNothingLostOrDuplicated() throws Exception {
        String service = "faults-b";
        ProfiledProgram.Outcome bare = bareLeaky;
        ProfiledProgram run = lab.run("b-run", service, List.of(), leaky());
        awaitStored(service, 1_000);
        lab.stopDatabase();
        TimeUnit.SECONDS.sleep(3); // the outage itself: the gatherer answers error 6 meanwhile
        lab.startDatabase();
        ProfiledProgram.Outcome out = run.await(Duration.ofSeconds(120));

        StoredSession stored = assertDeliveredExactlyOnce(service, "/leaky", bare, out);
        assertThat(stored.programAllocs()).isEqualTo(LEAKY_ALLOCS);
        assertThat(out.summary("/leaky").connections()).as("the agent reconnected after the outage").isGreaterThan(1);
    }

    @Test
    void aFullSpoolMakesAFullModeProgramWaitAndASampledOneDropSamples() throws Exception {
        GathererServer server = gatherer.getBean(GathererServer.class);
        List<String> program = List.of(lab.allocBench().toString(), "2", "20000");
        ProfiledProgram.Outcome bare = ProfiledProgram.bare(lab, "c-bare", program);

        server.stop(); // decoding waits for the gatherer; the 64 KiB spool fills
        ProfiledProgram full = lab.run("c-full", "faults-c-full", List.of("--spool-limit", "64k"), program);
        FaultLab.await(() -> largestSpoolFile(lab.work().resolve("c-full")) >= 64 * 1024, Duration.ofSeconds(60),
                () -> "the agent's spool to reach its limit");
        TimeUnit.SECONDS.sleep(2); // the gatherer stays away this much longer: the program must wait it out
        server.start();
        ProfiledProgram.Outcome fullOut = full.await(Duration.ofSeconds(120));
        assertDeliveredExactlyOnce("faults-c-full", "/alloc_bench", bare, fullOut);
        AgentSummary fullSummary = fullOut.summary("/alloc_bench");
        assertThat(fullSummary.waitMillis()).as("full mode: the program waited for the gatherer instead of losing events: %s",
                fullSummary).isGreaterThanOrEqualTo(1500);
        assertThat(fullSummary.spoolDroppedSamples()).isZero();

        server.stop();
        ProfiledProgram sampled = lab.run("c-sampled", "faults-c-sampled",
                List.of("--mode", "sampled", "--sample-bytes", "1024", "--spool-limit", "64k"), program);
        Path finished = lab.work().resolve("c-sampled/program.seconds");
        FaultLab.await(() -> Files.exists(finished), Duration.ofSeconds(60),
                () -> "the sampled-mode program to finish while the gatherer is away");
        server.start();
        ProfiledProgram.Outcome sampledOut = sampled.await(Duration.ofSeconds(120));
        assertDeliveredExactlyOnce("faults-c-sampled", "/alloc_bench", bare, sampledOut);
        AgentSummary sampledSummary = sampledOut.summary("/alloc_bench");
        assertThat(sampledSummary.spoolDroppedSamples()).as("sampled mode: samples dropped, counted").isPositive();
        // it finished while the gatherer was away (above); short waits while the pump copies a burst remain
        assertThat(sampledSummary.waitMillis()).as("the sampled-mode program did not wait for the gatherer: %s", sampledSummary)
                .isLessThan(1000);
    }

    /** Size of the largest raw spool file (capture-N.raw) under a run's directory. */
    private static long largestSpoolFile(Path runDir) {
        try (var files = Files.walk(runDir)) {
            return files.filter(f -> f.getFileName().toString().matches("capture-\\d+\\.raw"))
                    .mapToLong(f -> f.toFile().length()).max().orElse(0);
        } catch (java.io.IOException | java.io.UncheckedIOException e) {
            return 0; // a file vanished while walking
        }
    }
}

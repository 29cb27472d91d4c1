package dev.plumb.web.faults;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * `bench/run faults`: the fault suite. Each fault is done to a real `plumb run` (its own JVM,
 * under bench/subreaper) streaming to a real `plumb gatherer` process on a separately started
 * PostgreSQL, and checked the same way:
 * <ul>
 *   <li>sent vs stored: the capture library's own event count = what the agent took from it
 *       (allocations + frees + ignored frees [+ samples the full spool left out]) = rows stored;</li>
 *   <li>nothing twice: no duplicate rows, and the per-second rollup counted every row once;</li>
 *   <li>the program: its exit code and stdout as in a bare run, its wall time and how long it
 *       waited for the agent (the library's counters).</li>
 * </ul>
 * Arguments: none; environment: REQUESTS (leaky's requests, default 20000, 1 ms apart),
 * PG_OUTAGE (seconds PostgreSQL is stopped, 30), LOCK_SECONDS (slow database, 20),
 * GATHERER_DOWN (seconds between kill -9 and restart, 5), FAULTS (comma-separated subset of
 * a,b,c,d,e; default all), FAULTS_VERBOSE (print every agent's output), PLUMB_JAR.
 */
public final class FaultBench {
    private final FaultLab lab;
    private final int requests = env("REQUESTS", 20_000);
    private final List<String> rows = new ArrayList<>();
    private int failures;

    private FaultBench(FaultLab lab) {
        this.lab = lab;
    }

    public static void main(String[] args) throws Exception {
        Path root = Path.of(System.getProperty("plumb.root", ".")).toAbsolutePath().normalize();
        Path jar = Path.of(System.getenv().getOrDefault("PLUMB_JAR", root.resolve("web/target/plumb.jar").toString()));
        Path work = Path.of(args.length > 0 ? args[0] : System.getProperty("java.io.tmpdir")).resolve("plumb-faults-" + ProcessHandle.current().pid());
        String faults = System.getenv().getOrDefault("FAULTS", "a,b,c,d,e");
        try (FaultLab lab = new FaultLab(root, work, List.of("java", "-jar", jar.toString()))) {
            FaultBench bench = new FaultBench(lab);
            lab.startDatabase();
            lab.startGatherer();
            if (faults.contains("a")) {
                bench.killGatherer(Duration.ofSeconds(env("GATHERER_DOWN", 5)));
            }
            if (faults.contains("b")) {
                bench.stopDatabase(Duration.ofSeconds(env("PG_OUTAGE", 30)));
            }
            if (faults.contains("c")) {
                bench.fullSpool();
            }
            if (faults.contains("d")) {
                bench.slowDatabase(Duration.ofSeconds(env("LOCK_SECONDS", 20)));
            }
            if (faults.contains("e")) {
                bench.killAgent();
            }
            System.out.println();
            System.out.println("| fault | workload | library sent | agent took (+ ignored frees, + samples the spool dropped) | rows shipped (temporaries → condensed rows) | rows stored | stored, weighted | duplicates | exit code (bare → run) | stdout same | program s (bare → run) | program waited for the agent | result |");
            System.out.println("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
            bench.rows.forEach(System.out::println);
            System.out.println("faults_failed=" + bench.failures);
            System.out.printf("nproc=%d java=%s work=%s%n", Runtime.getRuntime().availableProcessors(),
                    System.getProperty("java.version"), work);
            if (bench.failures > 0) {
                System.exit(1);
            }
        }
    }

    private static int env(String name, int def) {
        String v = System.getenv(name);
        return v == null || v.isBlank() ? def : Integer.parseInt(v.trim());
    }

    private List<String> leakyProgram() {
        return List.of(lab.leaky().toString(), "--requests", String.valueOf(requests), "--interval-ms", "1");
    }

    private long expectedLeakyAllocs() {
        return 1 + 4L * requests + (requests + 19) / 20;
    }

    /** Waits until the run is well under way: batches committed (with condensing, leaks arrive --condense-after late). */
    private void waitForBatches(String service, long batches) throws InterruptedException {
        FaultLab.await(() -> StoredSession.batchesOf(lab.jdbcUrl(), service) >= batches, Duration.ofMinutes(3),
                () -> batches + " batches of " + service + " to be committed");
    }

    private String storedSoFar(String service) {
        return String.format(Locale.ROOT, "%,d batches, %,d allocation rows", StoredSession.batchesOf(lab.jdbcUrl(), service),
                StoredSession.allocationsOf(lab.jdbcUrl(), service));
    }

    private static void log(String format, Object... args) {
        System.err.printf(Locale.ROOT, "faults: " + format + "%n", args);
    }

    // ---- (a) ----

    void killGatherer(Duration down) throws Exception {
        String service = "fault-a";
        ProfiledProgram.Outcome bare = ProfiledProgram.bare(lab, "a-bare", leakyProgram());
        ProfiledProgram run = lab.run("a-run", service, List.of("--stats-interval", "2"), leakyProgram());
        waitForBatches(service, 8);
        lab.killGatherer();
        log("(a) gatherer killed with SIGKILL; %s stored at that moment; restarting in %d s", storedSoFar(service), down.toSeconds());
        TimeUnit.SECONDS.sleep(down.toSeconds()); // the outage itself
        long startAt = System.nanoTime();
        lab.startGatherer();
        log("(a) gatherer back after %.1f s more (its start-up)", (System.nanoTime() - startAt) / 1e9);
        ProfiledProgram.Outcome out = run.await(Duration.ofMinutes(10));
        complete("(a) kill -9 the gatherer mid-stream, restart after " + down.toSeconds() + " s + start-up",
                "leaky " + requests + " req", service, "/leaky", bare, out, expectedLeakyAllocs(), true);
    }

    // ---- (b) ----

    void stopDatabase(Duration outage) throws Exception {
        String service = "fault-b";
        ProfiledProgram.Outcome bare = ProfiledProgram.bare(lab, "b-bare", leakyProgram());
        ProfiledProgram run = lab.run("b-run", service, List.of("--stats-interval", "2"), leakyProgram());
        waitForBatches(service, 8);
        lab.stopDatabase();
        log("(b) PostgreSQL stopped for %d s", outage.toSeconds());
        TimeUnit.SECONDS.sleep(outage.toSeconds()); // the outage itself
        boolean gathererUp = lab.gathererAlive();
        lab.startDatabase();
        log("(b) PostgreSQL started again; the gatherer %s through the outage", gathererUp ? "stayed up" : "DIED");
        ProfiledProgram.Outcome out = run.await(Duration.ofMinutes(10));
        if (!gathererUp) {
            failures++;
        }
        complete("(b) PostgreSQL stopped for " + outage.toSeconds() + " s, started again",
                "leaky " + requests + " req", service, "/leaky", bare, out, expectedLeakyAllocs(), true);
    }

    // ---- (c) ----

    void fullSpool() throws Exception {
        List<String> program = List.of(lab.allocBench().toString(), "2", "100000");
        // full mode: the gatherer is away, decoding waits for it, the 4 MiB spool fills: the program must wait, not drop
        String service = "fault-c-full";
        ProfiledProgram.Outcome bare = ProfiledProgram.bare(lab, "c-bare", program);
        lab.killGatherer();
        // condensing off: with it, a burst of temporaries this short is absorbed by the agent's young
        // buffer (in memory, up to 1M allocations) and never backs up into the spool
        ProfiledProgram run = lab.run("c-full", service, List.of("--spool-limit", "4m", "--condense-after", "0",
                "--stats-interval", "1"), program);
        TimeUnit.SECONDS.sleep(15); // the gatherer stays away this long
        boolean stillRunning = run.isRunning();
        log("(c) full mode, 4 MiB spool, gatherer away 15 s: program %s", stillRunning ? "still running (waiting)" : "already done");
        lab.startGatherer();
        ProfiledProgram.Outcome out = run.await(Duration.ofMinutes(15));
        complete("(c) spool limit 4 MiB, full mode, condensing off, gatherer away 15 s", "alloc_bench 2×100k", service, "/alloc_bench",
                bare, out, -1, true);

        // sampled mode: same outage, 64 KiB spool: samples are dropped (counted), the program never waits
        service = "fault-c-sampled";
        lab.killGatherer();
        ProfiledProgram sampled = lab.run("c-sampled", service, List.of("--mode", "sampled", "--sample-bytes", "4096",
                "--spool-limit", "64k", "--condense-after", "0", "--stats-interval", "1"), program);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (System.nanoTime() < deadline && !java.nio.file.Files.exists(lab.work().resolve("c-sampled/program.seconds"))) {
            TimeUnit.MILLISECONDS.sleep(50);
        }
        lab.startGatherer();
        ProfiledProgram.Outcome sampledOut = sampled.await(Duration.ofMinutes(10));
        complete("(c) spool limit 64 KiB, sampled mode (4 KiB), condensing off, gatherer away", "alloc_bench 2×100k", service,
                "/alloc_bench", bare, sampledOut, -1, true);
    }

    // ---- (d) ----

    void slowDatabase(Duration lock) throws Exception {
        String service = "fault-d";
        ProfiledProgram.Outcome bare = ProfiledProgram.bare(lab, "d-bare", leakyProgram());
        ProfiledProgram run = lab.run("d-run", service, List.of("--stats-interval", "1"), leakyProgram());
        waitForBatches(service, 8);
        CompletableFuture<Void> released = lab.holdLock("sessions", lock);
        log("(d) ACCESS EXCLUSIVE lock on sessions held for %d s", lock.toSeconds());
        released.get(lock.toSeconds() + 60, TimeUnit.SECONDS);
        ProfiledProgram.Outcome out = run.await(Duration.ofMinutes(10));
        log("(d) most capture waiting on the agent's disk at once: %,d KiB", out.maxSpoolLagKib());
        complete("(d) sessions table locked " + lock.toSeconds() + " s (slow database)", "leaky " + requests + " req",
                service, "/leaky", bare, out, expectedLeakyAllocs(), true);
    }

    // ---- (e) ----

    void killAgent() throws Exception {
        String service = "fault-e";
        ProfiledProgram.Outcome bare = ProfiledProgram.bare(lab, "e-bare", leakyProgram());
        ProfiledProgram run = lab.run("e-run", service, List.of("--stats-interval", "1"), leakyProgram());
        waitForBatches(service, 20);
        run.killAgent();
        log("(e) plumb run's JVM killed with SIGKILL; %s stored at that moment", storedSoFar(service));
        ProfiledProgram.Outcome out = run.await(Duration.ofMinutes(10));
        TimeUnit.SECONDS.sleep(3); // let whatever the gatherer had received settle before counting
        complete("(e) kill -9 the agent (plumb run's JVM) mid-batch", "leaky " + requests + " req", service, "/leaky",
                bare, out, expectedLeakyAllocs(), false);
    }

    /**
     * Checks and reports one fault. {@code delivered}: the agent survived, so everything must have
     * arrived; otherwise what arrived must be consistent (no duplicates, no free without its
     * allocation) and the program must have been orphaned and finished anyway.
     */
    private void complete(String fault, String workload, String service, String exe, ProfiledProgram.Outcome bare,
                          ProfiledProgram.Outcome out, long expectedProgramAllocs, boolean delivered) throws Exception {
        StoredSession stored = StoredSession.of(lab.jdbcUrl(), service, exe);
        AgentSummary summary = out.summary(exe);
        boolean fullMode = !workload.contains("sampled") && !fault.contains("sampled");
        List<String> problems = new ArrayList<>();
        boolean exitSame = out.programExit() == bare.programExit();
        boolean stdoutSame = out.stdout().equals(bare.stdout());
        if (!exitSame) {
            problems.add("exit code " + out.programExit() + " instead of " + bare.programExit());
        }
        if (!stdoutSame) {
            problems.add("stdout differs: [" + out.stdout().strip() + "] vs [" + bare.stdout().strip() + "]");
        }
        if (stored == null) {
            problems.add("no session stored");
        } else {
            if (!stored.noDuplicates()) {
                problems.add("duplicates: " + stored);
            }
            if (!stored.noOrphans()) {
                problems.add("frees without their allocation: " + stored);
            }
        }
        String sent = "—";
        String took = "—";
        String shipped = "—";
        String weighted = "—";
        if (delivered) {
            if (summary == null) {
                problems.add("no summary from plumb run for " + exe + ":\n" + out.agentOutput());
            } else {
                sent = String.format(Locale.ROOT, "%,d", summary.libraryEvents());
                took = String.format(Locale.ROOT, "%,d", summary.allocations() + summary.frees())
                        + (summary.ignoredFrees() + summary.spoolDroppedSamples() > 0 ? String.format(Locale.ROOT,
                        " (+ %,d, + %,d)", summary.ignoredFrees(), summary.spoolDroppedSamples()) : "");
                shipped = String.format(Locale.ROOT, "%,d (%,d → %,d)", summary.shippedRows(), summary.condensed(),
                        summary.condensedRows());
                if (summary.libraryEvents() != summary.agentEvents() + summary.spoolDroppedSamples()) {
                    problems.add("library sent " + summary.libraryEvents() + " events, agent took " + summary.agentEvents()
                            + " + " + summary.spoolDroppedSamples() + " dropped samples");
                }
                if (summary.notDelivered() > 0) {
                    problems.add(summary.notDelivered() + " events NOT delivered");
                }
                if (stored != null && stored.events() != summary.shippedRows()) {
                    problems.add("agent shipped " + summary.shippedRows() + " rows, stored " + stored.events());
                }
                if (stored != null && fullMode) {
                    // full mode: weights are counts (a condensed row weighs its members)
                    boolean all = stored.rowAllocs() == summary.allocations() && stored.rowFrees() == summary.frees();
                    weighted = String.format(Locale.ROOT, "%,.0f %s", stored.rowAllocs() + stored.rowFrees(), all ? "= all" : "MISSING");
                    if (!all) {
                        problems.add("weighted rows " + stored.rowAllocs() + " + " + stored.rowFrees() + " != events "
                                + summary.allocations() + " + " + summary.frees());
                    }
                }
                if (stored != null && !stored.ended()) {
                    problems.add("session not ended");
                }
            }
            if (stored != null && expectedProgramAllocs >= 0 && stored.programAllocs() != expectedProgramAllocs) {
                problems.add("program allocations stored " + stored.programAllocs() + ", expected " + expectedProgramAllocs);
            }
        } else {
            if (!out.programOrphaned()) {
                problems.add("the program was not orphaned: the agent was not killed before it ended");
            }
            if (stored != null && stored.ended()) {
                problems.add("session ended although its agent was killed");
            }
            if (stored != null && expectedProgramAllocs >= 0 && stored.programAllocs() >= expectedProgramAllocs) {
                problems.add("everything arrived although the agent was killed: was it killed too late?");
            }
        }
        String storedText = stored == null ? "—" : String.format(Locale.ROOT, "%,d", stored.events())
                + (delivered ? "" : String.format(Locale.ROOT, " (%,d batches; %,d of %,d program allocations)",
                stored.lastSeq(), stored.programAllocs(), expectedProgramAllocs));
        String waited = summary == null ? "—" : String.format(Locale.ROOT, "%,d× %,d ms", summary.waits(), summary.waitMillis());
        String result = problems.isEmpty() ? "pass" : "FAIL";
        rows.add(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s | %s | %s | %d → %d | %s | %.2f → %.2f | %s | %s |",
                fault, workload, sent, took, shipped, storedText, weighted, stored == null ? "—" : stored.noDuplicates() ? "0" : "YES",
                bare.programExit(), out.programExit(), stdoutSame ? "yes" : "NO", bare.programSeconds(), out.programSeconds(),
                waited, result));
        log("%s: %s", fault, result);
        log("  stored %s", stored);
        log("  summary %s", summary);
        log("  program: exit %d (bare %d), %.2f s (bare %.2f s), orphaned %s; whole run %.1f s", out.programExit(),
                bare.programExit(), out.programSeconds(), bare.programSeconds(), out.programOrphaned(), out.totalSeconds());
        problems.forEach(p -> log("  PROBLEM: %s", p));
        if (!problems.isEmpty()) {
            failures++;
        }
        if (!problems.isEmpty() || System.getenv("FAULTS_VERBOSE") != null) {
            log("  agent output:%n%s", out.agentOutput());
        }
    }
}

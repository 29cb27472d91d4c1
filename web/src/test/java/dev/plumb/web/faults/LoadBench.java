package dev.plumb.web.faults;

import dev.plumb.wire.Ack;
import dev.plumb.wire.Batch;
import dev.plumb.wire.Frame;
import dev.plumb.wire.FrameCodec;
import dev.plumb.wire.FrameReader;
import dev.plumb.wire.Hello;
import dev.plumb.wire.Welcome;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAccumulator;

/**
 * `bench/run load`: AGENTS simulated agents (threads speaking the protocol on real sockets, each
 * its own session) stream at a steady rate — a batch of EVENTS_PER_SECOND events every second
 * per agent, half allocations, half frees of earlier allocations, one allocation in ten never
 * freed — for DURATION seconds into one `plumb server` process (gatherer + web + embedded
 * PostgreSQL). Every SAMPLE_SECONDS the server JVM's RSS and PostgreSQL's memory (the sum of its
 * processes' PSS, so shared buffers count once) are sampled. Reported: max RSS, whether it stays
 * bounded (max of the second half ≤ 1.2 × max of the first half), events sent vs stored, errors.
 *
 * <p>Environment: AGENTS (500), DURATION (600), EVENTS_PER_SECOND (20, per agent),
 * SAMPLE_SECONDS (5), SERVER_JAVA_OPTS (none: the JVM's defaults, as ./plumb server runs), PLUMB_JAR.
 */
public final class LoadBench {
    private static final int STACKS = 50;

    private final int agents = env("AGENTS", 500);
    private final int duration = env("DURATION", 600);
    private final int perSecond = env("EVENTS_PER_SECOND", 20);
    private final int sampleSeconds = env("SAMPLE_SECONDS", 5);
    private final String service = "load-" + UUID.randomUUID().toString().substring(0, 8);
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong acked = new AtomicLong();
    private final AtomicLong errors = new AtomicLong();
    private final AtomicLong batches = new AtomicLong();
    private final LongAccumulator maxAckMillis = new LongAccumulator(Math::max, 0);
    private final LongAccumulator maxLateMillis = new LongAccumulator(Math::max, 0);
    private volatile boolean stop;

    private static int env(String name, int def) {
        String v = System.getenv(name);
        return v == null || v.isBlank() ? def : Integer.parseInt(v.trim());
    }

    public static void main(String[] args) throws Exception {
        Path root = Path.of(System.getProperty("plumb.root", ".")).toAbsolutePath().normalize();
        Path jar = Path.of(System.getenv().getOrDefault("PLUMB_JAR", root.resolve("web/target/plumb.jar").toString()));
        Path work = Files.createDirectories(Path.of(args.length > 0 ? args[0] : System.getProperty("java.io.tmpdir"))
                .resolve("plumb-load-" + ProcessHandle.current().pid()));
        System.exit(new LoadBench().run(jar, work) ? 0 : 1);
    }

    private static void log(String format, Object... args) {
        System.err.printf(Locale.ROOT, "load: " + format + "%n", args);
    }

    boolean run(Path jar, Path work) throws Exception {
        int gathererPort = FaultLab.freePort();
        int webPort = FaultLab.freePort();
        List<String> cmd = new ArrayList<>(List.of("java"));
        String opts = System.getenv().getOrDefault("SERVER_JAVA_OPTS", "");
        if (!opts.isBlank()) {
            cmd.addAll(List.of(opts.trim().split("\\s+")));
        }
        cmd.addAll(List.of("-jar", jar.toString(), "server", "--data-dir", work.resolve("server").toString(),
                "--web-port", String.valueOf(webPort), "--gatherer-port", String.valueOf(gathererPort)));
        Path serverLog = work.resolve("server.log");
        Process server = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(serverLog.toFile()).start();
        try {
            FaultLab.await(() -> FaultLab.accepts(gathererPort) || !server.isAlive(), java.time.Duration.ofMinutes(3),
                    () -> "plumb server to listen");
            if (!server.isAlive()) {
                throw new IllegalStateException("plumb server exited: " + Files.readString(serverLog));
            }
            long postmaster = postmasterPid(work.resolve("server/postgres"));
            int pgPort = pgPort(work.resolve("server/postgres"));
            log("plumb server pid %d (%s), PostgreSQL postmaster %d on port %d; %d agents x %d events/s for %d s",
                    server.pid(), opts.isBlank() ? "JVM defaults" : opts, postmaster, pgPort, agents, perSecond, duration);
            return measure(server.pid(), postmaster, gathererPort, pgPort, serverLog, work);
        } finally {
            server.destroy();
            if (!server.waitFor(60, TimeUnit.SECONDS)) {
                server.destroyForcibly();
            }
        }
    }

    private boolean measure(long serverPid, long postmaster, int port, int pgPort, Path serverLog, Path work) throws Exception {
        List<long[]> samples = new ArrayList<>(); // t ms, jvm rss KiB, pg pss KiB, pg rss KiB, acked events
        CountDownLatch connected = new CountDownLatch(agents);
        List<Thread> threads = new ArrayList<>();
        long t0 = System.nanoTime();
        for (int a = 0; a < agents; a++) {
            int id = a;
            Thread t = new Thread(() -> agent(id, port, t0, connected), "agent-" + a);
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
        long end = t0 + TimeUnit.SECONDS.toNanos(duration);
        try (PrintWriter csv = new PrintWriter(Files.newBufferedWriter(work.resolve("samples.csv")))) {
            csv.println("seconds,server_rss_kib,postgres_pss_kib,postgres_rss_kib,acked_events");
            long next = t0;
            long lastPrint = 0;
            while (System.nanoTime() < end) {
                long[] pg = postgresMemory(postmaster);
                long t = (System.nanoTime() - t0) / 1_000_000;
                long[] s = {t, rssKib(serverPid), pg[0], pg[1], acked.get()};
                samples.add(s);
                csv.printf(Locale.ROOT, "%.1f,%d,%d,%d,%d%n", t / 1000.0, s[1], s[2], s[3], s[4]);
                csv.flush();
                if (t - lastPrint >= 60_000 || lastPrint == 0) {
                    log("t=%4ds server RSS %,d MiB, PostgreSQL PSS %,d MiB, %,d events acknowledged, %d errors",
                            t / 1000, s[1] / 1024, s[2] / 1024, s[4], errors.get());
                    lastPrint = Math.max(1, t);
                }
                next += TimeUnit.SECONDS.toNanos(sampleSeconds);
                long sleep = next - System.nanoTime();
                if (sleep > 0) {
                    TimeUnit.NANOSECONDS.sleep(Math.min(sleep, Math.max(0, end - System.nanoTime())));
                }
            }
        }
        stop = true;
        for (Thread t : threads) {
            t.join(TimeUnit.MINUTES.toMillis(5));
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        long stored = stored(pgPort);
        long serverErrors = Files.readAllLines(serverLog).stream().filter(l -> l.contains(" ERROR ")).count();

        long half = duration * 1000L / 2;
        long max1 = samples.stream().filter(s -> s[0] < half).mapToLong(s -> s[1]).max().orElse(0);
        long max2 = samples.stream().filter(s -> s[0] >= half).mapToLong(s -> s[1]).max().orElse(0);
        long pg1 = samples.stream().filter(s -> s[0] < half).mapToLong(s -> s[2]).max().orElse(0);
        long pg2 = samples.stream().filter(s -> s[0] >= half).mapToLong(s -> s[2]).max().orElse(0);
        long pgRssMax = samples.stream().mapToLong(s -> s[3]).max().orElse(0);
        boolean bounded = max2 <= 1.2 * max1;
        long lost = acked.get() - stored; // acknowledged but not in the database
        System.out.printf(Locale.ROOT, "agents=%d duration_s=%.0f events_per_agent_per_s=%d connected=%d%n", agents, seconds,
                perSecond, agents - connected.getCount());
        System.out.printf(Locale.ROOT, "events sent=%,d acknowledged=%,d stored=%,d lost=%d (%,.0f events/s; %,d batches)%n",
                sent.get(), acked.get(), stored, lost, sent.get() / seconds, batches.get());
        System.out.printf(Locale.ROOT, "errors: agents=%d server_log_ERROR_lines=%d; slowest ack %,d ms; latest batch %,d ms behind schedule%n",
                errors.get(), serverErrors, maxAckMillis.get(), maxLateMillis.get());
        System.out.printf(Locale.ROOT, "server JVM RSS: max %,d MiB; first half max %,d MiB, second half max %,d MiB (%.2fx) -> %s%n",
                Math.max(max1, max2) / 1024, max1 / 1024, max2 / 1024, max1 == 0 ? 0 : (double) max2 / max1,
                bounded ? "bounded" : "NOT BOUNDED");
        System.out.printf(Locale.ROOT, "PostgreSQL: PSS max %,d MiB (first half %,d, second half %,d); sum of RSS max %,d MiB%n",
                Math.max(pg1, pg2) / 1024, pg1 / 1024, pg2 / 1024, pgRssMax / 1024);
        System.out.printf(Locale.ROOT, "samples: %d every %d s in %s%n", samples.size(), sampleSeconds, work.resolve("samples.csv"));
        boolean ok = bounded && lost == 0 && sent.get() == acked.get() && errors.get() == 0 && serverErrors == 0 && connected.getCount() == 0;
        System.out.println("load_result=" + (ok ? "pass" : "FAIL"));
        return ok;
    }

    /** One agent: HELLO, then one batch per second on schedule, each acknowledged before the next; a last batch ends the session. */
    private void agent(int id, int port, long t0, CountDownLatch connected) {
        try {
            // spread the agents' batches over the second, as independent processes would be
            TimeUnit.MILLISECONDS.sleep((long) id * 1000 / agents);
            try (Socket socket = new Socket("127.0.0.1", port)) {
                socket.setSoTimeout(120_000);
                OutputStream out = new BufferedOutputStream(socket.getOutputStream(), 1 << 16);
                FrameReader in = new FrameReader(new BufferedInputStream(socket.getInputStream(), 1 << 16));
                Hello hello = new Hello(FrameCodec.PROTOCOL_VERSION, "", UUID.randomUUID(), "load-host-" + (id % 50), service,
                        "v1", 10_000 + id, "/srv/load/agent", System.currentTimeMillis() * 1000, Map.of("agent", String.valueOf(id)));
                Frame welcome = exchange(out, in, FrameCodec.encode(hello));
                if (!(welcome instanceof Welcome)) {
                    throw new IOException("no WELCOME: " + welcome);
                }
                connected.countDown();
                long seq = 0;
                long nextAllocId = 1;
                ArrayDeque<Batch.Alloc> live = new ArrayDeque<>();
                long start = System.nanoTime();
                for (long k = 0; ; k++) {
                    long due = start + TimeUnit.SECONDS.toNanos(k);
                    long wait = due - System.nanoTime();
                    if (wait > 0) {
                        TimeUnit.NANOSECONDS.sleep(wait);
                    } else {
                        maxLateMillis.accumulate(-wait / 1_000_000);
                    }
                    boolean last = stop;
                    long now = System.currentTimeMillis() * 1000;
                    List<Batch.StackDef> stacks = seq == 0 ? stackDefs() : List.of();
                    List<Batch.Alloc> allocs = new ArrayList<>();
                    List<Batch.Free> frees = new ArrayList<>();
                    for (int i = 0; i < perSecond / 2; i++) {
                        long allocId = nextAllocId++;
                        Batch.Alloc a = new Batch.Alloc(allocId, (int) (1 + allocId % STACKS), 16 + (allocId * 37) % 8192, now + i);
                        allocs.add(a);
                        if (allocId % 10 != 0) {
                            live.addLast(a); // one in ten is never freed: a slow leak
                        }
                    }
                    while (frees.size() < perSecond - allocs.size() && live.size() > perSecond) {
                        frees.add(Batch.Free.of(live.removeFirst(), now + 500));
                    }
                    seq++;
                    byte[] frame = FrameCodec.encode(new Batch(seq, stacks, allocs, frees, last ? now + 1000 : 0));
                    sent.addAndGet(allocs.size() + frees.size());
                    long sentAt = System.nanoTime();
                    Frame reply = exchange(out, in, frame);
                    if (!(reply instanceof Ack ack) || ack.seq() != seq) {
                        throw new IOException("expected ACK " + seq + ", got " + reply);
                    }
                    maxAckMillis.accumulate((System.nanoTime() - sentAt) / 1_000_000);
                    acked.addAndGet(allocs.size() + frees.size());
                    batches.incrementAndGet();
                    if (last) {
                        return;
                    }
                }
            }
        } catch (Exception e) {
            if (errors.incrementAndGet() <= 5) {
                log("agent %d failed: %s", id, e);
            }
        }
    }

    private static List<Batch.StackDef> stackDefs() {
        List<Batch.StackDef> defs = new ArrayList<>();
        for (int s = 1; s <= STACKS; s++) {
            defs.add(new Batch.StackDef(s, List.of(new Batch.StackFrame("alloc_site_" + s, "load", "load.c", s),
                    new Batch.StackFrame("handler_" + (s % 7), "load", "load.c", 100 + s),
                    new Batch.StackFrame("main", "load", "load.c", 1))));
        }
        return defs;
    }

    private static Frame exchange(OutputStream out, FrameReader in, byte[] frame) throws Exception {
        out.write(frame);
        out.flush();
        return in.read();
    }

    private long stored(int pgPort) throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://localhost:" + pgPort + "/postgres", "postgres", "");
             PreparedStatement ps = c.prepareStatement("SELECT (SELECT count(*) FROM allocations a JOIN sessions s ON s.id = a.session_id"
                     + " WHERE s.service = ?) + (SELECT count(*) FROM frees f JOIN sessions s ON s.id = f.session_id WHERE s.service = ?)")) {
            ps.setString(1, service);
            ps.setString(2, service);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    private static long postmasterPid(Path dataDir) throws Exception {
        return Long.parseLong(Files.readAllLines(dataDir.resolve("postmaster.pid")).get(0).trim());
    }

    private static int pgPort(Path dataDir) throws Exception {
        return Integer.parseInt(Files.readAllLines(dataDir.resolve("postmaster.pid")).get(3).trim());
    }

    /** VmRSS of a process, KiB (0 if it is gone). */
    static long rssKib(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", String.valueOf(pid), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | RuntimeException gone) {
            // exited
        }
        return 0;
    }

    /** PostgreSQL's memory: {sum of PSS, sum of RSS} over the postmaster and its children, KiB. */
    static long[] postgresMemory(long postmaster) {
        long pss = 0;
        long rss = 0;
        List<ProcessHandle> processes = new ArrayList<>();
        ProcessHandle.of(postmaster).ifPresent(p -> {
            processes.add(p);
            p.children().forEach(processes::add);
        });
        for (ProcessHandle p : processes) {
            rss += rssKib(p.pid());
            try {
                for (String line : Files.readAllLines(Path.of("/proc", String.valueOf(p.pid()), "smaps_rollup"))) {
                    if (line.startsWith("Pss:")) {
                        pss += Long.parseLong(line.replaceAll("[^0-9]", ""));
                    }
                }
            } catch (IOException | RuntimeException gone) {
                // a backend that exited meanwhile
            }
        }
        return new long[] {pss, rss};
    }
}

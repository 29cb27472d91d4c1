package dev.plumb.gatherer.bench;

import dev.plumb.gatherer.GathererApplication;
import dev.plumb.gatherer.db.EmbeddedDatabase;
import dev.plumb.gatherer.ingest.GathererServer;
import dev.plumb.gatherer.store.RawCopy;
import dev.plumb.wire.Ack;
import dev.plumb.wire.Batch;
import dev.plumb.wire.Frame;
import dev.plumb.wire.FrameCodec;
import dev.plumb.wire.FrameReader;
import dev.plumb.wire.Hello;
import dev.plumb.wire.Welcome;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * `bench/run ingest`: N simulated agents stream a fixed number of allocation events into a
 * real gatherer on a real socket (embedded PostgreSQL), each batch acknowledged before the
 * next (the gatherer's own per-connection discipline); the rows persisted per second are
 * compared with a raw binary COPY of as many equivalent rows into the same tables, measured
 * before and after the ingest in the same run (their mean is the baseline).
 *
 * <p>Arguments: agents, events per agent, events per batch.
 */
public final class IngestBench {
    private static final int STACKS = 50;

    public static void main(String[] args) throws Exception {
        int agents = args.length > 0 ? Integer.parseInt(args[0]) : 500;
        int perAgent = args.length > 1 ? Integer.parseInt(args[1]) : 8_000;
        int perBatch = args.length > 2 ? Integer.parseInt(args[2]) : 1_000;
        long events = (long) agents * perAgent;
        System.err.printf("bench: %d agents x %,d events (batches of %,d) = %,d events%n", agents, perAgent, perBatch, events);
        try (EmbeddedDatabase db = EmbeddedDatabase.start(null)) {
            ConfigurableApplicationContext context = new SpringApplicationBuilder(GathererApplication.class)
                    .properties(Map.of("spring.datasource.url", db.jdbcUrl(), "spring.datasource.username", db.user(),
                            "plumb.gatherer.port", "0", "spring.datasource.hikari.maximum-pool-size", "12",
                            "logging.level.dev.plumb", "WARN"))
                    .run();
            try {
                int port = context.getBean(GathererServer.class).port();
                DataSource ds = db.dataSource();
                warmUp(port);
                double copyBefore = rawCopyRowsPerSecond(ds, events / 2);
                String service = "bench-" + UUID.randomUUID();
                double jvmCpu0 = jvmCpuSeconds();
                double pgCpu0 = postgresCpuSeconds(db.port());
                long start = System.nanoTime();
                runAgents(port, service, agents, perAgent, perBatch);
                double seconds = (System.nanoTime() - start) / 1e9;
                double jvmCpu = jvmCpuSeconds() - jvmCpu0;
                double pgCpu = postgresCpuSeconds(db.port()) - pgCpu0;
                long stored = count(ds, "SELECT (SELECT count(*) FROM allocations a JOIN sessions s ON s.id = a.session_id"
                        + " WHERE s.service = '" + service + "') + (SELECT count(*) FROM frees f JOIN sessions s"
                        + " ON s.id = f.session_id WHERE s.service = '" + service + "')");
                double copyAfter = rawCopyRowsPerSecond(ds, events / 2);
                double ingestRate = stored / seconds;
                double copyRate = (copyBefore + copyAfter) / 2;
                System.out.printf("ingest: %,d rows in %.2f s = %,.0f rows/s (%d agents, rollup kept at ingest)%n",
                        stored, seconds, ingestRate, agents);
                System.out.printf("cpu during ingest: postgres %.1f s, JVM (gatherer + the simulated agents) %.1f s%n",
                        pgCpu, jvmCpu);
                System.out.printf("raw COPY: %,.0f rows/s before, %,.0f rows/s after (mean %,.0f)%n",
                        copyBefore, copyAfter, copyRate);
                System.out.printf("ingest_vs_copy=%.2f agents=%d lost=%d%n", ingestRate / copyRate, agents, events - stored);
            } finally {
                context.close();
            }
        }
    }

    private static void warmUp(int port) throws Exception {
        runAgents(port, "bench-warmup", 4, 20_000, 1_000);
    }

    private static void runAgents(int port, String service, int agents, int perAgent, int perBatch) throws Exception {
        CountDownLatch ready = new CountDownLatch(agents);
        CountDownLatch go = new CountDownLatch(1);
        AtomicLong failures = new AtomicLong();
        List<Thread> threads = new ArrayList<>();
        for (int a = 0; a < agents; a++) {
            Thread t = new Thread(() -> {
                try (Socket socket = new Socket("127.0.0.1", port)) {
                    OutputStream out = new BufferedOutputStream(socket.getOutputStream(), 1 << 16);
                    FrameReader in = new FrameReader(new BufferedInputStream(socket.getInputStream(), 1 << 16));
                    Hello hello = new Hello(FrameCodec.PROTOCOL_VERSION, "", UUID.randomUUID(), "bench-host", service,
                            "v1", 1, "/bench", 1_700_000_000_000_000L, Map.of());
                    if (!(exchange(out, in, hello) instanceof Welcome)) {
                        throw new IllegalStateException("no WELCOME");
                    }
                    List<byte[]> frames = batches(perAgent, perBatch);
                    ready.countDown();
                    go.await();
                    long seq = 0;
                    for (byte[] frame : frames) {
                        seq++;
                        out.write(frame);
                        out.flush();
                        Frame reply = in.read();
                        if (!(reply instanceof Ack ack) || ack.seq() != seq) {
                            throw new IllegalStateException("expected ACK " + seq + ", got " + reply);
                        }
                    }
                } catch (Exception e) {
                    failures.incrementAndGet();
                    System.err.println("bench agent failed: " + e);
                    ready.countDown();
                }
            });
            threads.add(t);
            t.start();
        }
        ready.await();
        go.countDown();
        for (Thread t : threads) {
            t.join();
        }
        if (failures.get() > 0) {
            System.err.println("bench: " + failures.get() + " agents failed");
        }
    }

    /** Half allocations, half frees of the previous batch's allocations; encoded up front. */
    private static List<byte[]> batches(int perAgent, int perBatch) {
        List<byte[]> frames = new ArrayList<>();
        List<Batch.Alloc> previous = List.of();
        long allocId = 1;
        long t = 1_700_000_000_000_000L;
        int seq = 0;
        for (int done = 0; done < perAgent; done += perBatch) {
            seq++;
            List<Batch.StackDef> stacks = new ArrayList<>();
            if (seq == 1) {
                for (int s = 1; s <= STACKS; s++) {
                    stacks.add(new Batch.StackDef(s, List.of(new Batch.StackFrame("alloc_site_" + s, "bench", "bench.c", s),
                            new Batch.StackFrame("handler_" + (s % 7), "bench", "bench.c", 100 + s),
                            new Batch.StackFrame("main", "bench", "bench.c", 1))));
                }
            }
            int allocs = perBatch / 2;
            List<Batch.Alloc> current = new ArrayList<>(allocs);
            for (int i = 0; i < allocs; i++) {
                t += 137;
                current.add(new Batch.Alloc(allocId, (int) (1 + allocId % STACKS), 16 + allocId % 4096, t));
                allocId++;
            }
            List<Batch.Free> frees = new ArrayList<>(previous.size());
            for (Batch.Alloc a : previous) {
                t += 11;
                frees.add(Batch.Free.of(a, t));
            }
            // the first batch has nothing to free yet: it allocates twice as much
            if (previous.isEmpty()) {
                for (int i = 0; i < allocs; i++) {
                    t += 137;
                    current.add(new Batch.Alloc(allocId, (int) (1 + allocId % STACKS), 16 + allocId % 4096, t));
                    allocId++;
                }
            }
            frames.add(FrameCodec.encode(new Batch(seq, stacks, current, frees, 0)));
            previous = current.subList(0, Math.min(current.size(), allocs));
        }
        return frames;
    }

    private static Frame exchange(OutputStream out, FrameReader in, Frame frame) throws Exception {
        out.write(FrameCodec.encode(frame));
        out.flush();
        return in.read();
    }

    private static double rawCopyRowsPerSecond(DataSource ds, long rowsPerTable) throws Exception {
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            long sessionId;
            int day;
            try (PreparedStatement ps = c.prepareStatement("""
                    INSERT INTO sessions (agent_session, host, service, deployment, pid, exe, started_at)
                    VALUES (?, 'copy', 'raw-copy', 'v1', 1, '/copy', now()) RETURNING id, day""")) {
                ps.setObject(1, UUID.randomUUID());
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    sessionId = rs.getLong(1);
                    day = rs.getInt(2);
                }
            }
            c.commit();
            long start = System.nanoTime();
            long rows = RawCopy.copy(c, day, sessionId, (int) rowsPerTable, 100_000);
            return rows / ((System.nanoTime() - start) / 1e9);
        }
    }

    private static double jvmCpuSeconds() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
                .getOperatingSystemMXBean()).getProcessCpuTime() / 1e9;
    }

    /**
     * User + system time of the embedded PostgreSQL (its postmaster, found by its port on the
     * command line, and the postmaster's children), from /proc.
     */
    private static double postgresCpuSeconds(int pgPort) {
        List<ProcessHandle> processes = new ArrayList<>();
        ProcessHandle.allProcesses()
                .filter(p -> p.info().commandLine().map(c -> c.contains("postgres") && c.contains(" " + pgPort)).orElse(false)
                        || cmdline(p.pid()).contains("-p\0" + pgPort))
                .forEach(postmaster -> {
                    processes.add(postmaster);
                    postmaster.descendants().forEach(processes::add);
                });
        double ticks = 0;
        for (ProcessHandle p : processes) {
            try {
                String stat = java.nio.file.Files.readString(java.nio.file.Path.of("/proc", p.pid() + "", "stat"));
                String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                ticks += Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime
            } catch (java.io.IOException | RuntimeException gone) {
                // a backend that exited meanwhile
            }
        }
        return ticks / 100.0; // USER_HZ
    }

    private static String cmdline(long pid) {
        try {
            return new String(java.nio.file.Files.readAllBytes(java.nio.file.Path.of("/proc", pid + "", "cmdline")),
                    java.nio.charset.StandardCharsets.UTF_8);
        } catch (java.io.IOException | RuntimeException e) {
            return "";
        }
    }

    private static long count(DataSource ds, String sql) throws Exception {
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(sql);
             ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        }
    }
}

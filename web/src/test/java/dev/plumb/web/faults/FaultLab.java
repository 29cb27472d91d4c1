package dev.plumb.web.faults;

import dev.plumb.gatherer.db.EmbeddedDatabase;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * The pieces a fault experiment is made of, as real processes: a PostgreSQL that can be
 * stopped and started again on the same port and data, a `plumb gatherer` process that can be
 * killed with SIGKILL and restarted, and the native helpers (bench/subreaper, bench/timed,
 * examples/leaky, bench/alloc_bench) compiled into the work directory.
 * Used by bench/run faults ({@link FaultBench}) and, for the quick faults, by FaultsEndToEndTest.
 */
final class FaultLab implements AutoCloseable {
    private final Path root;
    private final Path work;
    private final List<String> plumb;
    private final Path subreaper;
    private final Path timed;
    private final Path allocBench;
    private final Path leaky;
    private EmbeddedDatabase db;
    private int pgPort;
    private Process gatherer;
    private int gathererPort;
    private int gathererHttpPort;
    private int gathererStarts;

    /**
     * @param root  the repository (for bench/*.c and examples/)
     * @param plumb how to run the plumb CLI: {@code java -jar web/target/plumb.jar} or the test classpath
     */
    FaultLab(Path root, Path work, List<String> plumb) throws Exception {
        this.root = root;
        this.work = Files.createDirectories(work);
        this.plumb = List.copyOf(plumb);
        Path bin = Files.createDirectories(work.resolve("bin"));
        subreaper = compile(bin, "bench/subreaper.c", "subreaper", "-O2", "-Wall", "-Wextra", "-Werror");
        timed = compile(bin, "bench/timed.c", "timed", "-O2", "-Wall", "-Wextra", "-Werror");
        allocBench = compile(bin, "bench/alloc_bench.c", "alloc_bench", "-O2", "-g", "-pthread");
        leaky = compile(bin, "examples/leaky.c", "leaky", "-O1", "-g", "-fno-inline", "-fno-omit-frame-pointer");
    }

    private Path compile(Path bin, String source, String name, String... flags) throws Exception {
        Path exe = bin.resolve(name);
        List<String> cmd = new ArrayList<>(List.of("gcc", "-o", exe.toString(), root.resolve(source).toString()));
        cmd.addAll(List.of(flags));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("cannot compile " + source + ": " + out);
        }
        return exe;
    }

    Path work() {
        return work;
    }

    Path subreaper() {
        return subreaper;
    }

    Path timed() {
        return timed;
    }

    Path leaky() {
        return leaky;
    }

    Path allocBench() {
        return allocBench;
    }

    List<String> plumb() {
        return plumb;
    }

    // ---- PostgreSQL ----

    void startDatabase() throws IOException {
        db = EmbeddedDatabase.start(work.resolve("pg"), pgPort);
        pgPort = db.port();
    }

    /** Stops PostgreSQL (pg_ctl stop, fast mode: open connections are terminated). */
    void stopDatabase() throws IOException {
        db.close();
        db = null;
    }

    String jdbcUrl() {
        return "jdbc:postgresql://localhost:" + pgPort + "/postgres";
    }

    /**
     * Holds an ACCESS EXCLUSIVE lock on {@code table} for {@code duration} (a slow database: every
     * gatherer transaction that touches the table waits). Returns once the lock is taken; the
     * future completes when it is released.
     */
    CompletableFuture<Void> holdLock(String table, Duration duration) throws Exception {
        Connection c = DriverManager.getConnection(jdbcUrl(), "postgres", "");
        c.setAutoCommit(false);
        try (Statement s = c.createStatement()) {
            s.execute("LOCK TABLE " + table + " IN ACCESS EXCLUSIVE MODE");
        }
        return CompletableFuture.runAsync(() -> {
            try (c) {
                TimeUnit.MILLISECONDS.sleep(duration.toMillis()); // the fault's duration, not a wait for a condition
                c.commit();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
    }

    /** Sessions waiting for a lock someone else holds (0 if the database cannot be asked). */
    long lockWaiters() {
        try (Connection c = DriverManager.getConnection(jdbcUrl(), "postgres", "");
             Statement s = c.createStatement();
             java.sql.ResultSet rs = s.executeQuery("SELECT count(*) FROM pg_locks WHERE NOT granted")) {
            rs.next();
            return rs.getLong(1);
        } catch (java.sql.SQLException e) {
            return 0;
        }
    }

    // ---- the gatherer, as its own process ----

    /** Starts `plumb gatherer` on the same ports as before (new ones the first time) and waits until it takes agents. */
    void startGatherer() throws Exception {
        if (gathererPort == 0) {
            gathererPort = freePort();
            gathererHttpPort = freePort();
        }
        gathererStarts++;
        Path log = work.resolve("gatherer-" + gathererStarts + ".log");
        List<String> cmd = new ArrayList<>(plumb);
        cmd.addAll(List.of("gatherer", "--gatherer-port", String.valueOf(gathererPort), "--http-port",
                String.valueOf(gathererHttpPort), "--db-url", jdbcUrl(), "--db-user", "postgres",
                "--spring.datasource.hikari.connection-timeout=2000"));
        gatherer = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        Process started = gatherer;
        await(() -> accepts(gathererPort) || !started.isAlive(), Duration.ofMinutes(3), () -> "the gatherer to listen");
        if (!started.isAlive()) {
            throw new IllegalStateException("plumb gatherer exited: " + Files.readString(log));
        }
    }

    /** SIGKILL: no graceful shutdown, nothing in flight is finished or acknowledged. */
    void killGatherer() throws Exception {
        gatherer.destroyForcibly();
        if (!gatherer.waitFor(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException("the gatherer survived SIGKILL");
        }
    }

    boolean gathererAlive() {
        return gatherer != null && gatherer.isAlive();
    }

    int gathererPort() {
        return gathererPort;
    }

    /** For a gatherer the caller runs itself (in-process, in the tests). */
    void useGatherer(int port) {
        this.gathererPort = port;
    }

    /** Starts `plumb run` for the program under bench/subreaper and bench/timed. */
    ProfiledProgram run(String name, String service, List<String> extraRunOptions, List<String> program) throws IOException {
        List<String> options = new ArrayList<>(List.of("--gatherer", "127.0.0.1:" + gathererPort, "--service", service,
                "--deployment", "faults", "--host", "fault-lab", "--flush-timeout", "300"));
        options.addAll(extraRunOptions);
        return ProfiledProgram.start(this, name, plumb, options, program);
    }

    // ---- waiting ----

    static void await(BooleanSupplier condition, Duration timeout, Supplier<String> what) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + timeout.toSeconds() + " s waiting for " + what.get());
            }
            TimeUnit.MILLISECONDS.sleep(50);
        }
    }

    static boolean accepts(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Override
    public void close() throws Exception {
        if (gatherer != null) {
            gatherer.destroy();
            if (!gatherer.waitFor(30, TimeUnit.SECONDS)) {
                gatherer.destroyForcibly();
            }
        }
        if (db != null) {
            db.close();
        }
    }
}

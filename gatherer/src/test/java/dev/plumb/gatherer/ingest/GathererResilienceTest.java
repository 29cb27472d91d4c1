package dev.plumb.gatherer.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.plumb.gatherer.GathererApplication;
import dev.plumb.gatherer.db.EmbeddedDatabase;
import dev.plumb.wire.Ack;
import dev.plumb.wire.Batch;
import dev.plumb.wire.ErrorCode;
import dev.plumb.wire.ErrorFrame;
import dev.plumb.wire.Frame;
import dev.plumb.wire.FrameCodec;
import dev.plumb.wire.Hello;
import dev.plumb.wire.Welcome;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The gatherer when things go wrong around it: PostgreSQL stopped and started again under a
 * stream of batches, and the gatherer itself stopped while a batch is being stored.
 */
class GathererResilienceTest {
    @TempDir
    Path dir;
    EmbeddedDatabase db;
    ConfigurableApplicationContext context;

    @AfterEach
    void stop() throws Exception {
        if (context != null) {
            context.close();
        }
        if (db != null) {
            db.close();
        }
    }

    private int startGatherer() {
        context = new SpringApplicationBuilder(GathererApplication.class)
                .properties(Map.of("spring.datasource.url", db.jdbcUrl(), "spring.datasource.username", db.user(),
                        "plumb.gatherer.port", "0", "spring.datasource.hikari.connection-timeout", "1000",
                        "plumb.gatherer.shutdown-timeout", "20s"))
                .run();
        return context.getBean(GathererServer.class).port();
    }

    private static Hello hello(UUID session) {
        return new Hello(FrameCodec.PROTOCOL_VERSION, "", session, "h", "resilience", "v1", 7, "/bin/x",
                1_000_000L, Map.of());
    }

    /** Batch seq of 10 allocations with ids (seq-1)*10+1.. and the free of the previous batch's first. */
    private static Batch batch(long seq) {
        List<Batch.Alloc> allocs = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            allocs.add(new Batch.Alloc((seq - 1) * 10 + i + 1, 1, 64, 1_000_000L * seq + i));
        }
        List<Batch.Free> frees = seq == 1 ? List.of()
                : List.of(new Batch.Free((seq - 2) * 10 + 1, 1_000_000L * seq + 50, 1, 64, 1_000_000L * (seq - 1), 1));
        return new Batch(seq, List.of(new Batch.StackDef(1, List.of(new Batch.StackFrame("resilient", "m", "", 0)))),
                allocs, frees, 0);
    }

    /**
     * What a real agent does: send, and on an error or a broken connection reconnect under the
     * same session and resend from what the gatherer says it has.
     */
    private static void deliver(int port, UUID session, long lastSeq, Duration within) throws Exception {
        long deadline = System.nanoTime() + within.toNanos();
        while (true) {
            try (TestAgent agent = new TestAgent(port)) {
                Frame welcome = agent.send(hello(session));
                if (welcome instanceof Welcome w) {
                    for (long seq = w.lastCommittedSeq() + 1; seq <= lastSeq; seq++) {
                        Frame reply = agent.send(batch(seq));
                        if (!(reply instanceof Ack ack) || ack.seq() != seq) {
                            throw new java.io.IOException("no ACK for " + seq + ": " + reply);
                        }
                    }
                    return;
                }
            } catch (java.io.IOException e) {
                // the gatherer refused or the connection broke: retry below
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("batches up to " + lastSeq + " not delivered within " + within);
            }
            TimeUnit.MILLISECONDS.sleep(200); // the agent's backoff
        }
    }

    private long count(String sql) throws Exception {
        try (Connection c = db.dataSource().getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static void waitFor(BooleanSupplier condition, Duration timeout, String what) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            TimeUnit.MILLISECONDS.sleep(20);
        }
    }

    @Test
    void aDatabaseOutageLosesNoAcknowledgedBatchAndDuplicatesNothing() throws Exception {
        db = EmbeddedDatabase.start(dir.resolve("pg"));
        int pgPort = db.port();
        int port = startGatherer();
        UUID session = UUID.randomUUID();
        deliver(port, session, 3, Duration.ofSeconds(30));

        db.close(); // PostgreSQL is gone
        try (TestAgent agent = new TestAgent(port)) {
            Frame reply = agent.send(hello(session));
            assertThat(reply).isInstanceOf(ErrorFrame.class);
            assertThat(((ErrorFrame) reply).code()).isEqualTo(ErrorCode.INTERNAL);
        }
        // the agent keeps retrying while the database is down; it comes back after a while
        CompletableFuture<Void> agent = CompletableFuture.runAsync(() -> {
            try {
                deliver(port, session, 8, Duration.ofSeconds(90));
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        TimeUnit.SECONDS.sleep(2); // the outage lasts: part of what is tested, not a wait for a condition
        assertThat(agent).isNotDone();
        db = EmbeddedDatabase.start(dir.resolve("pg"), pgPort);
        agent.get(90, TimeUnit.SECONDS);

        assertThat(count("SELECT count(*) FROM allocations")).isEqualTo(80);
        assertThat(count("SELECT count(DISTINCT alloc_id) FROM allocations")).isEqualTo(80);
        assertThat(count("SELECT count(*) FROM frees")).isEqualTo(7);
        assertThat(count("SELECT last_seq FROM sessions")).isEqualTo(8);
        assertThat(count("SELECT sum(allocs)::bigint FROM stack_usage")).isEqualTo(80);
    }

    @Test
    void stoppingCommitsAndAcknowledgesTheBatchBeingStored() throws Exception {
        db = EmbeddedDatabase.start(null);
        int port = startGatherer();
        UUID session = UUID.randomUUID();
        deliver(port, session, 1, Duration.ofSeconds(30));
        GathererServer server = context.getBean(GathererServer.class);
        try (Connection blocker = db.dataSource().getConnection(); TestAgent agent = new TestAgent(port)) {
            assertThat(agent.send(hello(session))).isEqualTo(new Welcome(FrameCodec.PROTOCOL_VERSION, 1));
            // hold the session's row: the writer storing batch 2 has to wait for it
            blocker.setAutoCommit(false);
            try (Statement s = blocker.createStatement()) {
                s.execute("SELECT * FROM sessions FOR UPDATE");
            }
            agent.out.write(FrameCodec.encode(batch(2)));
            agent.out.flush();
            waitFor(() -> waitingForLock(), Duration.ofSeconds(30), "the writer to wait for the session row");

            CompletableFuture<Void> stopping = CompletableFuture.runAsync(server::stop);
            waitFor(() -> !acceptsConnections(port), Duration.ofSeconds(30), "the gatherer to stop accepting");
            assertThat(stopping).isNotDone();
            blocker.rollback(); // the database answers again: the batch commits during shutdown

            assertThat(agent.in.read()).isEqualTo(new Ack(2));
            stopping.get(30, TimeUnit.SECONDS);
            assertThat(agent.closedByPeer()).isTrue();
        }
        assertThat(count("SELECT count(*) FROM allocations")).isEqualTo(20);
        assertThat(count("SELECT last_seq FROM sessions")).isEqualTo(2);
    }

    private boolean waitingForLock() {
        try {
            return count("SELECT count(*) FROM pg_locks WHERE NOT granted") > 0;
        } catch (Exception e) {
            return false;
        }
    }

    private static boolean acceptsConnections(int port) {
        try (java.net.Socket s = new java.net.Socket("localhost", port)) {
            return true;
        } catch (java.io.IOException e) {
            return false;
        }
    }
}

package dev.plumb.gatherer.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import static dev.plumb.gatherer.GathererFixtures.hello;
import static dev.plumb.gatherer.GathererFixtures.sessionFilter;

import dev.plumb.gatherer.GathererApplication;
import dev.plumb.gatherer.db.EmbeddedDatabase;
import dev.plumb.gatherer.store.RollupGrains;
import dev.plumb.wire.Ack;
import dev.plumb.wire.Batch;
import dev.plumb.wire.ErrorCode;
import dev.plumb.wire.ErrorFrame;
import dev.plumb.wire.Frame;
import dev.plumb.wire.FrameCodec;
import dev.plumb.wire.FrameReader;
import dev.plumb.wire.Hello;
import dev.plumb.wire.Welcome;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.Socket;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/** The real gatherer on a real socket against real PostgreSQL. */
class GathererServerTest {
    static final String TOKEN = "t0ken";
    static EmbeddedDatabase db;
    static ConfigurableApplicationContext context;
    static int port;

    @BeforeAll
    static void start() throws Exception {
        db = EmbeddedDatabase.start(null);
        context = new SpringApplicationBuilder(GathererApplication.class)
                .properties(Map.of("spring.datasource.url", db.jdbcUrl(), "spring.datasource.username", db.user(),
                        "plumb.gatherer.port", "0", "plumb.gatherer.tokens", "old-token," + TOKEN))
                .run();
        port = context.getBean(GathererServer.class).port();
    }

    @AfterAll
    static void stop() throws Exception {
        context.close();
        db.close();
    }

    static Batch batch(long seq, long firstAllocId, int allocs, boolean defineStack) {
        List<Batch.Alloc> a = new ArrayList<>();
        for (int i = 0; i < allocs; i++) {
            a.add(new Batch.Alloc(firstAllocId + i, 1, 100, 1_000_000L + i));
        }
        List<Batch.StackDef> stacks = defineStack ? List.of(new Batch.StackDef(1, List.of(
                new Batch.StackFrame("leaky_fn", "svc", "svc.c", 10),
                new Batch.StackFrame("main", "svc", "svc.c", 20)))) : List.of();
        return new Batch(seq, stacks, a, List.of(Batch.Free.of(a.get(0), 2_000_000L)), 0);
    }

    static long count(String sql) throws Exception {
        try (Connection c = db.dataSource().getConnection(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @Test
    void storesBatchesAcksThemAndIgnoresRetries() throws Exception {
        UUID session = UUID.randomUUID();
        try (TestAgent agent = new TestAgent(port)) {
            assertThat(agent.send(hello(session, TOKEN))).isEqualTo(new Welcome(FrameCodec.PROTOCOL_VERSION, 0));
            assertThat(agent.send(batch(1, 1, 3, true))).isEqualTo(new Ack(1));
            assertThat(agent.send(batch(2, 10, 2, false))).isEqualTo(new Ack(2));
        }
        assertThat(count("SELECT count(*) FROM allocations WHERE " + sessionFilter(session))).isEqualTo(5);
        assertThat(count("SELECT count(*) FROM frees WHERE " + sessionFilter(session))).isEqualTo(2);

        // A reconnect resumes: the gatherer says what it has, and a resent batch is acked, not stored twice.
        try (TestAgent agent = new TestAgent(port)) {
            assertThat(agent.send(hello(session, TOKEN))).isEqualTo(new Welcome(FrameCodec.PROTOCOL_VERSION, 2));
            assertThat(agent.send(batch(2, 10, 2, true))).isEqualTo(new Ack(2));
        }
        assertThat(count("SELECT count(*) FROM allocations WHERE " + sessionFilter(session))).isEqualTo(5);
        assertThat(count("SELECT count(*) FROM sessions WHERE agent_session = '" + session + "'")).isEqualTo(1);
    }

    @Test
    void sampleWeightsAreStoredWithTheirAllocations() throws Exception {
        UUID session = UUID.randomUUID();
        Batch weighted = new Batch(1, batch(1, 1, 1, true).stacks(),
                List.of(new Batch.Alloc(1, 1, 64, 5, 8192.25)), List.of(), 0);
        try (TestAgent agent = new TestAgent(port)) {
            agent.send(hello(session, TOKEN));
            assertThat(agent.send(weighted)).isEqualTo(new Ack(1));
        }
        assertThat(count("SELECT (weight * 100)::bigint FROM allocations WHERE " + sessionFilter(session))).isEqualTo(819225);
    }

    @Test
    void sameFramesInTwoSessionsAreOneStack() throws Exception {
        for (int i = 0; i < 2; i++) {
            try (TestAgent agent = new TestAgent(port)) {
                agent.send(hello(UUID.randomUUID(), TOKEN));
                assertThat(agent.send(batch(1, 1, 1, true))).isEqualTo(new Ack(1));
            }
        }
        assertThat(count("SELECT count(*) FROM stack_frames WHERE function = 'leaky_fn'")).isEqualTo(1);
    }

    @Test
    void wrongTokenIsRefusedAndNothingIsStored() throws Exception {
        UUID session = UUID.randomUUID();
        try (TestAgent agent = new TestAgent(port)) {
            Frame reply = agent.send(hello(session, "guess"));
            assertThat(reply).isInstanceOf(ErrorFrame.class);
            assertThat(((ErrorFrame) reply).code()).isEqualTo(ErrorCode.UNAUTHORIZED);
            assertThat(agent.closedByPeer()).isTrue();
        }
        assertThat(count("SELECT count(*) FROM sessions WHERE agent_session = '" + session + "'")).isZero();
    }

    @Test
    void aRotatedOutTokenFromTheListStillWorks() throws Exception {
        try (TestAgent agent = new TestAgent(port)) {
            assertThat(agent.send(hello(UUID.randomUUID(), "old-token"))).isInstanceOf(Welcome.class);
        }
    }

    @Test
    void batchOutOfSequenceIsAProtocolViolationAndStoresNothing() throws Exception {
        UUID session = UUID.randomUUID();
        try (TestAgent agent = new TestAgent(port)) {
            agent.send(hello(session, TOKEN));
            Frame reply = agent.send(batch(3, 1, 2, true));
            assertThat(reply).isInstanceOf(ErrorFrame.class);
            assertThat(((ErrorFrame) reply).message()).contains("batch 1 is the next");
            assertThat(agent.closedByPeer()).isTrue();
        }
        assertThat(count("SELECT count(*) FROM allocations WHERE " + sessionFilter(session))).isZero();
    }

    @Test
    void undefinedStackIsRejectedWithoutPartialWrites() throws Exception {
        UUID session = UUID.randomUUID();
        try (TestAgent agent = new TestAgent(port)) {
            agent.send(hello(session, TOKEN));
            Frame reply = agent.send(batch(1, 1, 2, false));
            assertThat(((ErrorFrame) reply).message()).contains("references stack 1");
        }
        assertThat(count("SELECT last_seq FROM sessions WHERE agent_session = '" + session + "'")).isZero();
        assertThat(count("SELECT count(*) FROM frees WHERE " + sessionFilter(session))).isZero();
    }

    @Test
    void garbageGetsAnErrorFrameAndOnlyThatConnectionCloses() throws Exception {
        try (TestAgent good = new TestAgent(port); TestAgent bad = new TestAgent(port)) {
            good.send(hello(UUID.randomUUID(), TOKEN));
            Frame reply = bad.sendRaw(new byte[] {0, 0, 0, 3, 99, 1, 2});
            assertThat(((ErrorFrame) reply).code()).isEqualTo(ErrorCode.MALFORMED_FRAME);
            assertThat(((ErrorFrame) reply).message()).contains("unknown frame type 99");
            assertThat(bad.closedByPeer()).isTrue();
            assertThat(good.send(batch(1, 1, 1, true))).isEqualTo(new Ack(1));
        }
    }

    @Test
    void oversizedFrameIsRefusedBeforeItIsBuffered() throws Exception {
        try (TestAgent agent = new TestAgent(port)) {
            Frame reply = agent.sendRaw(new byte[] {0x7f, 0, 0, 0, 3});
            assertThat(((ErrorFrame) reply).code()).isEqualTo(ErrorCode.FRAME_TOO_LARGE);
        }
    }

    @Test
    void batchBeforeHelloIsRefused() throws Exception {
        try (TestAgent agent = new TestAgent(port)) {
            Frame reply = agent.send(batch(1, 1, 1, true));
            assertThat(((ErrorFrame) reply).message()).contains("first frame must be HELLO");
        }
    }

    @Test
    void manyConcurrentAgentsLoseNothing() throws Exception {
        int agents = 300;
        int batches = 5;
        int perBatch = 50;
        String service = "many-" + UUID.randomUUID();
        ExecutorService pool = Executors.newFixedThreadPool(agents);
        List<Future<?>> done = new ArrayList<>();
        for (int i = 0; i < agents; i++) {
            done.add(pool.submit(() -> {
                try (TestAgent agent = new TestAgent(port)) {
                    Hello h = new Hello(FrameCodec.PROTOCOL_VERSION, TOKEN, UUID.randomUUID(), "h", service, "v", 1, "x", 1, Map.of());
                    assertThat(agent.send(h)).isInstanceOf(Welcome.class);
                    for (int b = 1; b <= batches; b++) {
                        assertThat(agent.send(batch(b, (b - 1L) * perBatch + 1, perBatch, b == 1))).isEqualTo(new Ack(b));
                    }
                }
                return null;
            }));
        }
        for (Future<?> f : done) {
            f.get(120, TimeUnit.SECONDS);
        }
        pool.shutdown();
        assertThat(count("SELECT count(*) FROM allocations a JOIN sessions s ON s.id = a.session_id WHERE s.service = '"
                + service + "'")).isEqualTo((long) agents * batches * perBatch);
        // the rollup kept at ingest agrees with the raw rows: every allocation counted once,
        // one free per batch, released at the second of its allocation
        assertThat(count("SELECT sum(u.allocs)::bigint FROM stack_usage u JOIN sessions s ON s.id = u.session_id"
                + " WHERE s.service = '" + service + "'")).isEqualTo((long) agents * batches * perBatch);
        assertThat(count("SELECT sum(u.frees)::bigint FROM stack_usage u JOIN sessions s ON s.id = u.session_id"
                + " WHERE s.service = '" + service + "'")).isEqualTo((long) agents * batches);
        assertThat(count("SELECT sum(u.released_bytes)::bigint FROM stack_usage u JOIN sessions s ON s.id = u.session_id"
                + " WHERE s.service = '" + service + "' AND u.second = 1")).isEqualTo((long) agents * batches * 100);
        // and its projections (V5) are its sums: per backtrace over all time, per second over all
        // backtraces, per backtrace and slot of each coarse grain
        List<String[]> projections = new ArrayList<>(List.of(
                new String[] {"stack_totals", "u.stack_id", "t.stack_id", "true"},
                new String[] {"session_usage", "u.second", "t.second", "true"}));
        for (int grain : RollupGrains.COARSE_SECONDS) {
            projections.add(new String[] {"stack_usage_coarse", "(u.stack_id, u.second / " + grain + ")",
                "(t.stack_id, t.slot)", "t.grain = " + grain});
        }
        for (String[] p : projections) {
            long keys = count("SELECT count(DISTINCT (u.session_id, " + p[1] + ")) FROM stack_usage u"
                    + " JOIN sessions s ON s.id = u.session_id WHERE s.service = '" + service + "'");
            assertThat(keys).isGreaterThanOrEqualTo(agents);
            assertThat(count("SELECT count(*) FROM " + p[0] + " t JOIN sessions s ON s.id = t.session_id"
                    + " WHERE s.service = '" + service + "' AND " + p[3])).as(p[0] + " " + p[3]).isEqualTo(keys);
            assertThat(count(projectionMismatches(p[0], p[1], p[2], p[3], service))).as(p[0] + " " + p[3]).isZero();
        }
    }

    /** Rows where a projection of stack_usage differs from the sums of stack_usage it stands for. */
    static String projectionMismatches(String table, String usageKey, String tableKey, String tableFilter,
            String service) {
        return "SELECT count(*) FROM (SELECT u.session_id, " + usageKey + " AS k, sum(u.allocs) AS allocs,"
                + " sum(u.alloc_bytes) AS alloc_bytes, sum(u.frees) AS frees, sum(u.free_bytes) AS free_bytes,"
                + " sum(u.released) AS released, sum(u.released_bytes) AS released_bytes"
                + " FROM stack_usage u JOIN sessions s ON s.id = u.session_id WHERE s.service = '" + service + "'"
                + " GROUP BY 1, 2) e FULL JOIN (SELECT t.session_id, " + tableKey + " AS k, t.allocs, t.alloc_bytes,"
                + " t.frees, t.free_bytes, t.released, t.released_bytes"
                + " FROM " + table + " t JOIN sessions s ON s.id = t.session_id WHERE s.service = '" + service + "'"
                + " AND " + tableFilter + ") p ON p.session_id = e.session_id AND p.k = e.k"
                + " WHERE (e.allocs, e.alloc_bytes, e.frees, e.free_bytes, e.released, e.released_bytes)"
                + " IS DISTINCT FROM (p.allocs, p.alloc_bytes, p.frees, p.free_bytes, p.released, p.released_bytes)";
    }
}

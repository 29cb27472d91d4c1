package dev.plumb.gatherer.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.plumb.gatherer.GathererApplication;
import dev.plumb.gatherer.db.EmbeddedDatabase;
import dev.plumb.wire.Ack;
import dev.plumb.wire.Batch;
import dev.plumb.wire.ErrorFrame;
import dev.plumb.wire.Frame;
import dev.plumb.wire.FrameCodec;
import dev.plumb.wire.Hello;
import dev.plumb.wire.Welcome;
import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Damaged frames sent to a running gatherer over real sockets: each gets an ERROR frame or a
 * closed connection — never a hang, a crash or a partial write — and a well-behaved agent
 * is served normally afterwards.
 */
class GathererFuzzTest {
    private static final String SERVICE = "fuzz-" + UUID.randomUUID();
    static EmbeddedDatabase db;
    static org.springframework.context.ConfigurableApplicationContext context;
    static int port;

    @BeforeContainer
    static void start() throws Exception {
        db = EmbeddedDatabase.start(null);
        context = new org.springframework.boot.builder.SpringApplicationBuilder(GathererApplication.class)
                .properties(Map.of("spring.datasource.url", db.jdbcUrl(), "spring.datasource.username", db.user(),
                        "plumb.gatherer.port", "0", "logging.level.dev.plumb", "WARN"))
                .run();
        port = context.getBean(GathererServer.class).port();
    }

    @AfterContainer
    static void stop() throws Exception {
        context.close();
        db.close();
    }

    private static Hello hello() {
        return new Hello(FrameCodec.PROTOCOL_VERSION, "", UUID.randomUUID(), "h", SERVICE, "v", 1, "x", 1, Map.of());
    }

    private static Batch validBatch() {
        Batch.Alloc a = new Batch.Alloc(1, 1, 100, 1_000_000L);
        return new Batch(1, List.of(new Batch.StackDef(1, List.of(new Batch.StackFrame("fuzzed", "m", "f.c", 3)))),
                List.of(a, new Batch.Alloc(2, 1, 50, 1_000_010L)), List.of(Batch.Free.of(a, 1_000_020L)), 0);
    }

    @Property(tries = 150)
    void aMutatedBatchIsRefusedOrStoredWhole(@ForAll("mutations") int[] flips) throws Exception {
        byte[] frame = FrameCodec.encode(validBatch());
        for (int flip : flips) {
            int at = 4 + Math.floorMod(flip, frame.length - 4); // the length prefix stays right
            frame[at] = (byte) (frame[at] ^ (flip >>> 8 | 1));
        }
        boolean decodes;
        try {
            FrameCodec.decode(ByteBuffer.wrap(frame, 4, frame.length - 4));
            decodes = true;
        } catch (dev.plumb.wire.WireException e) {
            decodes = false;
        }
        long before = rows();
        try (TestAgent agent = new TestAgent(port)) {
            assertThat(agent.send(hello())).isInstanceOf(Welcome.class);
            Frame reply = agent.sendRaw(frame);
            if (reply instanceof ErrorFrame) {
                assertThat(agent.closedByPeer()).isTrue();
                assertThat(rows()).isEqualTo(before);
            } else {
                assertThat(decodes).as("only a frame that decodes may be acknowledged").isTrue();
                assertThat(reply).isInstanceOf(Ack.class);
            }
        }
        assertStillServes();
    }

    @Property(tries = 100)
    void randomBytesInsteadOfAHelloAreRefused(@ForAll("garbage") byte[] body) throws Exception {
        byte[] frame = ByteBuffer.allocate(4 + body.length).putInt(body.length).put(body).array();
        try (TestAgent agent = new TestAgent(port)) {
            Frame reply = agent.sendRaw(frame);
            assertThat(reply).isInstanceOf(ErrorFrame.class);
            assertThat(agent.closedByPeer()).isTrue();
        }
    }

    private static void assertStillServes() throws Exception {
        try (TestAgent agent = new TestAgent(port)) {
            assertThat(agent.send(hello())).isInstanceOf(Welcome.class);
            assertThat(agent.send(validBatch())).isEqualTo(new Ack(1));
        }
    }

    private static long rows() throws Exception {
        try (Connection c = db.dataSource().getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT (SELECT count(*) FROM allocations) + (SELECT count(*) FROM frees)")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @Provide
    Arbitrary<int[]> mutations() {
        return Arbitraries.integers().array(int[].class).ofMinSize(1).ofMaxSize(4);
    }

    @Provide
    Arbitrary<byte[]> garbage() {
        return Arbitraries.bytes().array(byte[].class).ofMinSize(1).ofMaxSize(200);
    }
}

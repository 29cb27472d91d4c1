package dev.plumb.gatherer.ingest;

import dev.plumb.gatherer.store.IngestStore;
import dev.plumb.gatherer.store.PendingBatch;
import dev.plumb.wire.Batch;
import dev.plumb.wire.ErrorCode;
import dev.plumb.wire.Frame;
import dev.plumb.wire.FrameCodec;
import dev.plumb.wire.Hello;
import dev.plumb.wire.Welcome;
import dev.plumb.wire.WireException;
import java.nio.ByteBuffer;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The conversation with one agent: HELLO first (token, version), then batches in sequence.
 * Frames of one connection are handled one at a time (the next is not read before this one
 * is answered), so this needs no locking. Decoding and stack lookups run on the caller's
 * blocking thread; the batch's rows then wait for the shared {@link BatchWriter}.
 */
final class AgentConnection {
    private static final Logger log = LoggerFactory.getLogger(AgentConnection.class);

    private final IngestStore store;
    private final BatchWriter writer;
    private final TokenCheck tokens;
    private final String remote;
    private final Map<Integer, Long> stackIds = new HashMap<>();
    private IngestStore.OpenedSession session;

    AgentConnection(IngestStore store, BatchWriter writer, TokenCheck tokens, String remote) {
        this.store = store;
        this.writer = writer;
        this.tokens = tokens;
        this.remote = remote;
    }

    /**
     * Handles one frame body (without its length prefix). Blocking up to the point where the
     * batch is queued; the returned future completes with the reply once it is committed.
     */
    CompletableFuture<Frame> handle(byte[] body, long receivedNanos) throws WireException, InterruptedException {
        Frame frame = FrameCodec.decode(ByteBuffer.wrap(body));
        try {
            if (session == null) {
                return CompletableFuture.completedFuture(hello(frame));
            }
            if (frame instanceof Batch batch) {
                PendingBatch pending = store.prepare(session, batch, stackIds);
                return writer.submit(pending, receivedNanos).thenApply(dev.plumb.wire.Ack::new);
            }
            throw new WireException(ErrorCode.PROTOCOL_VIOLATION, "expected a BATCH, got " + frame.type());
        } catch (SQLException e) {
            log.warn("storing data from {} failed: {}", remote, e.getMessage());
            throw new WireException(ErrorCode.INTERNAL, "the gatherer could not store this batch ("
                    + e.getMessage() + "); it was not acknowledged, retry later");
        }
    }

    private Frame hello(Frame frame) throws WireException, SQLException {
        if (!(frame instanceof Hello hello)) {
            throw new WireException(ErrorCode.PROTOCOL_VIOLATION, "the first frame must be HELLO, got " + frame.type());
        }
        int version = FrameCodec.negotiate(hello.protocolVersion());
        if (!tokens.accepts(hello.token())) {
            throw new WireException(ErrorCode.UNAUTHORIZED, "the agent token was not accepted by this gatherer");
        }
        session = store.openSession(hello);
        log.info("agent {} connected: {} (session {})", remote, hello, session.id());
        return new Welcome(version, session.lastCommittedSeq());
    }
}

package dev.plumb.gatherer.ingest;

import dev.plumb.gatherer.store.IngestStore;
import dev.plumb.wire.Ack;
import dev.plumb.wire.Batch;
import dev.plumb.wire.ErrorCode;
import dev.plumb.wire.Frame;
import dev.plumb.wire.FrameCodec;
import dev.plumb.wire.Hello;
import dev.plumb.wire.Welcome;
import dev.plumb.wire.WireException;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The conversation with one agent: HELLO first (token, version), then batches in sequence.
 * Frames of one connection are handled one at a time, so this needs no locking.
 */
final class AgentConnection {
    private static final Logger log = LoggerFactory.getLogger(AgentConnection.class);

    private final IngestStore store;
    private final TokenCheck tokens;
    private final String remote;
    private final Map<Integer, Long> stackIds = new HashMap<>();
    private long sessionId = -1;

    AgentConnection(IngestStore store, TokenCheck tokens, String remote) {
        this.store = store;
        this.tokens = tokens;
        this.remote = remote;
    }

    /** Handles one frame body (without its length prefix) and returns the reply. Blocking. */
    Frame handle(byte[] body) throws WireException {
        Frame frame = FrameCodec.decode(ByteBuffer.wrap(body));
        try {
            if (sessionId < 0) {
                return hello(frame);
            }
            if (frame instanceof Batch batch) {
                return new Ack(store.writeBatch(sessionId, batch, stackIds));
            }
            throw new WireException(ErrorCode.PROTOCOL_VIOLATION, "expected a BATCH, got " + frame.type());
        } catch (java.sql.SQLException e) {
            log.warn("storing data from {} failed: {}", remote, e.getMessage());
            throw new WireException(ErrorCode.INTERNAL, "the gatherer could not store this batch ("
                    + e.getMessage() + "); it was not acknowledged, retry later");
        }
    }

    private Frame hello(Frame frame) throws WireException, java.sql.SQLException {
        if (!(frame instanceof Hello hello)) {
            throw new WireException(ErrorCode.PROTOCOL_VIOLATION, "the first frame must be HELLO, got " + frame.type());
        }
        if (!tokens.accepts(hello.token())) {
            throw new WireException(ErrorCode.UNAUTHORIZED, "the agent token was not accepted by this gatherer");
        }
        IngestStore.OpenedSession session = store.openSession(hello);
        sessionId = session.id();
        log.info("agent {} connected: {} (session {})", remote, hello, sessionId);
        return new Welcome(FrameCodec.PROTOCOL_VERSION, session.lastCommittedSeq());
    }
}

package dev.plumb.agent.ship;

import dev.plumb.wire.ErrorCode;
import java.io.IOException;

/**
 * The gatherer refused us — an ERROR frame, or a TLS handshake it or we refused: retrying the
 * same thing will not help — except for {@link ErrorCode#INTERNAL} (database unavailable,
 * gatherer shutting down), which says nothing was stored and to reconnect and resend
 * (docs/wire.md).
 */
public class GathererRejectedException extends IOException {
    private final ErrorCode code;

    public GathererRejectedException(ErrorCode code, String message) {
        super("gatherer refused: " + message + " (" + code + ")");
        this.code = code;
    }

    /** A refusal without an ERROR frame (TLS); the message is the whole explanation. */
    public GathererRejectedException(String message, Throwable cause) {
        super(message, cause);
        this.code = null;
    }

    /** The gatherer's error code, or null when the refusal was not an ERROR frame. */
    public ErrorCode code() {
        return code;
    }

    /** Whether the same batches may be sent again later (error 6), rather than given up on. */
    public boolean retryable() {
        return code == ErrorCode.INTERNAL;
    }
}

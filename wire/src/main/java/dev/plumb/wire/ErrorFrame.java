package dev.plumb.wire;

import java.util.Objects;

/** Sent by the gatherer before it closes a connection it will not serve. */
public record ErrorFrame(ErrorCode code, String message) implements Frame {
    public ErrorFrame {
        Objects.requireNonNull(code, "code");
        Objects.requireNonNull(message, "message");
    }

    @Override
    public FrameType type() {
        return FrameType.ERROR;
    }
}

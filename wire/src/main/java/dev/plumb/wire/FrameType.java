package dev.plumb.wire;

import java.util.Optional;

/** The one-byte tag that follows a frame's length prefix. */
public enum FrameType {
    HELLO(1), WELCOME(2), BATCH(3), ACK(4), ERROR(5);

    private final int code;

    FrameType(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    public static Optional<FrameType> of(int code) {
        for (FrameType t : values()) {
            if (t.code == code) {
                return Optional.of(t);
            }
        }
        return Optional.empty();
    }
}

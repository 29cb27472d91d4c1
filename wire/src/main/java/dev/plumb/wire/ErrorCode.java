package dev.plumb.wire;

/** Why the gatherer refused a connection; numeric codes are stable on the wire. */
public enum ErrorCode {
    MALFORMED_FRAME(1),
    UNSUPPORTED_VERSION(2),
    UNAUTHORIZED(3),
    FRAME_TOO_LARGE(4),
    PROTOCOL_VIOLATION(5),
    INTERNAL(6);

    private final int code;

    ErrorCode(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    public static ErrorCode of(int code) {
        for (ErrorCode c : values()) {
            if (c.code == code) {
                return c;
            }
        }
        return INTERNAL;
    }
}

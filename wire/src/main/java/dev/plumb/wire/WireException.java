package dev.plumb.wire;

/** A frame that cannot be accepted, with the code to send back and a message a person can act on. */
public class WireException extends Exception {
    private final ErrorCode code;

    public WireException(ErrorCode code, String message) {
        super(message);
        this.code = code;
    }

    public ErrorCode code() {
        return code;
    }

    public ErrorFrame toFrame() {
        return new ErrorFrame(code, getMessage());
    }
}

package dev.plumb.agent.capture;

import java.io.IOException;

/**
 * The capture stream is malformed: an unknown record tag, or a record cut short by the end of
 * the stream. The message names the byte offset and what was expected there.
 */
public class CaptureFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    private final long offset;

    public CaptureFormatException(long offset, String message) {
        super(message);
        this.offset = offset;
    }

    /** Byte offset in the stream at which the problem was detected. */
    public long offset() {
        return offset;
    }
}

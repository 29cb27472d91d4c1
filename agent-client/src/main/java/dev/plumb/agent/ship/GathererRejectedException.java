package dev.plumb.agent.ship;

import dev.plumb.wire.ErrorCode;
import java.io.IOException;

/** The gatherer answered with an ERROR frame: retrying the same thing will not help. */
public class GathererRejectedException extends IOException {
    private final ErrorCode code;

    public GathererRejectedException(ErrorCode code, String message) {
        super("gatherer refused: " + message + " (" + code + ")");
        this.code = code;
    }

    public ErrorCode code() {
        return code;
    }
}

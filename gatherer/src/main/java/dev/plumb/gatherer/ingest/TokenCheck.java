package dev.plumb.gatherer.ingest;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;

/** Accepts any of several tokens (so they can be rotated) with a constant-time comparison. */
final class TokenCheck {
    private final List<byte[]> accepted;

    TokenCheck(List<String> tokens) {
        this.accepted = tokens.stream().map(t -> t.getBytes(StandardCharsets.UTF_8)).toList();
    }

    boolean required() {
        return !accepted.isEmpty();
    }

    boolean accepts(String presented) {
        if (accepted.isEmpty()) {
            return true;
        }
        byte[] bytes = presented.getBytes(StandardCharsets.UTF_8);
        boolean ok = false;
        for (byte[] token : accepted) {
            ok |= MessageDigest.isEqual(token, bytes);
        }
        return ok;
    }
}

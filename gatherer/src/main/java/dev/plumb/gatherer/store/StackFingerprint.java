package dev.plumb.gatherer.store;

import dev.plumb.wire.Batch;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Identity of a backtrace across processes and deploys: its frames' function and module
 * names, not addresses (which move with ASLR and every rebuild).
 */
final class StackFingerprint {
    private StackFingerprint() {
    }

    static byte[] of(Batch.StackDef stack) {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        for (Batch.StackFrame f : stack.frames()) {
            sha.update(f.function().getBytes(StandardCharsets.UTF_8));
            sha.update((byte) 0);
            sha.update(f.module().getBytes(StandardCharsets.UTF_8));
            sha.update((byte) 1);
        }
        return sha.digest();
    }
}

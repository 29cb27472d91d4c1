package dev.plumb.web.support;

import java.time.Duration;
import java.util.Optional;
import java.util.function.Supplier;

/** Waits for a condition by polling, with a deadline — never a fixed sleep. */
public final class Await {
    private Await() {
    }

    /** Polls every 100 ms until found returns a value; fails with what after timeout. */
    public static <T> T until(String what, Duration timeout, Supplier<Optional<T>> found) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            Optional<T> value = found.get();
            if (value.isPresent()) {
                return value.get();
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + timeout.toSeconds() + " s waiting for " + what);
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting for " + what, e);
            }
        }
    }
}

package dev.plumb.agent.ship;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Exponential backoff with full jitter (AWS architecture blog's variant): a fleet of agents
 * that lost the same gatherer does not come back in lockstep.
 */
final class Backoff {
    private final long initialMillis;
    private final long maxMillis;
    private int attempt;

    Backoff(Duration initial, Duration max) {
        this.initialMillis = initial.toMillis();
        this.maxMillis = max.toMillis();
    }

    /** The pause before the next attempt. */
    long nextDelayMillis() {
        long cap = Math.min(maxMillis, initialMillis << Math.min(attempt, 20));
        attempt++;
        return ThreadLocalRandom.current().nextLong(cap / 2, cap + 1);
    }

    void reset() {
        attempt = 0;
    }
}

package dev.plumb.web.analysis;

import java.util.OptionalDouble;

/**
 * Projection of a linear leak to a memory limit, as Prometheus' predict_linear does: the
 * straight line from what is retained now, at the fitted slope. Only meaningful for a series
 * judged linear; the caller decides that.
 */
public final class TimeToLimit {
    private TimeToLimit() {
    }

    /**
     * @return seconds until currentBytes grows to limitBytes at slope bytes/s; 0 when already
     *         there; empty when there is no limit (≤ 0) or the series does not grow.
     */
    public static OptionalDouble seconds(long currentBytes, double slopeBytesPerSec, long limitBytes) {
        if (limitBytes <= 0 || !(slopeBytesPerSec > 0)) {
            return OptionalDouble.empty();
        }
        if (currentBytes >= limitBytes) {
            return OptionalDouble.of(0);
        }
        return OptionalDouble.of((limitBytes - currentBytes) / slopeBytesPerSec);
    }
}

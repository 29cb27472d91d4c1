package dev.plumb.web.query;

/**
 * A closed interval of event time in microseconds since the epoch, and its division into
 * evenly spaced sample points: point i is at startUs + spanUs·i/(points−1), so point 0 is the
 * start and the last point the end. When the points are at least a second apart, each is moved
 * to the next whole second (by less than a second), so that a graph can be read from the
 * per-second rollup exactly ({@link #onWholeSeconds}).
 */
public record TimeRange(long startUs, long endUs) {
    private static final long US_PER_SECOND = 1_000_000L;

    public TimeRange {
        if (endUs < startUs) {
            throw new IllegalArgumentException("end before start");
        }
    }

    /** Never 0, so that bucketing a zero-length range does not divide by zero. */
    public long spanUs() {
        return Math.max(1, endUs - startUs);
    }

    /** Sample point i of points (≥ 2), in µs: see the class comment. */
    public long pointUs(int i, int points) {
        long evenly = evenlySpacedUs(i, points);
        return onWholeSeconds(points) ? Math.floorDiv(evenly + US_PER_SECOND - 1, US_PER_SECOND) * US_PER_SECOND
                : evenly;
    }

    /** Point i before it is moved to a whole second. */
    long evenlySpacedUs(int i, int points) {
        return startUs + spanUs() * i / (points - 1);
    }

    /** Whether a graph of this many points samples at whole seconds: its points are at least 1 s apart. */
    public boolean onWholeSeconds(int points) {
        return spanUs() >= (points - 1) * US_PER_SECOND;
    }

    /** This range cut to [fromUs, toUs] (either may be null = unbounded); never inverted. */
    public TimeRange clip(Long fromUs, Long toUs) {
        long s = fromUs == null ? startUs : Math.max(startUs, fromUs);
        long e = toUs == null ? endUs : Math.min(endUs, toUs);
        if (s > endUs) {
            s = endUs;
        }
        return new TimeRange(s, Math.max(s, e));
    }
}

package dev.plumb.web.query;

/**
 * A closed interval of event time in microseconds since the epoch, and its division into
 * evenly spaced sample points: point i is at startUs + spanUs·i/(points−1), so point 0 is the
 * start and the last point the end.
 */
public record TimeRange(long startUs, long endUs) {
    public TimeRange {
        if (endUs < startUs) {
            throw new IllegalArgumentException("end before start");
        }
    }

    /** Never 0, so that bucketing a zero-length range does not divide by zero. */
    public long spanUs() {
        return Math.max(1, endUs - startUs);
    }

    public long pointUs(int i, int points) {
        return startUs + spanUs() * i / (points - 1);
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

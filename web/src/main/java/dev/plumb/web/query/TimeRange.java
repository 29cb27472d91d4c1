package dev.plumb.web.query;

import dev.plumb.gatherer.store.RollupGrains;

/**
 * A closed interval of event time in microseconds since the epoch, and its division into
 * evenly spaced sample points: point i is at startUs + spanUs·i/(points−1), so point 0 is the
 * start and the last point the end. When the points are at least a second apart, each is moved
 * up to the next whole grain — 1 s, or 10 s, 1 min, 10 min, 1 h once they are at least that far
 * apart ({@link #grainUs}) — so that a graph can be read exactly from the rollups, whose rows
 * cover whole seconds or whole grains.
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
        long evenly = startUs + spanUs() * i / (points - 1);
        long grain = grainUs(points);
        return grain == 0 ? evenly : Math.floorDiv(evenly + grain - 1, grain) * grain;
    }

    /**
     * The grain the points of a graph of this many points sit on, in µs: 0 when they are closer
     * than a second (they keep microseconds), else the largest of 1 s and the coarse rollup grains
     * (RollupGrains) that their spacing reaches. Each grain divides the next.
     */
    public long grainUs(int points) {
        long grain = 0;
        if (spanUs() >= (points - 1) * US_PER_SECOND) {
            grain = US_PER_SECOND;
            for (int seconds : RollupGrains.COARSE_SECONDS) {
                if (spanUs() >= (points - 1) * seconds * US_PER_SECOND) {
                    grain = seconds * US_PER_SECOND;
                }
            }
        }
        return grain;
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

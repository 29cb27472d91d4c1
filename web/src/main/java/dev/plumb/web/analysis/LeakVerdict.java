package dev.plumb.web.analysis;

import java.util.ArrayList;
import java.util.List;

/**
 * Classifies one retained-bytes series (a backtrace, a process, a deployment) as a linear
 * leak, bounded growth, startup allocation or noise. Pure arithmetic, no Spring, no I/O.
 *
 * <p>Method (see docs/analysis.md): least-squares line through all points gives the slope
 * (bytes/s) and R². The shape is then judged from three windows of the series' time span:
 * the head (first 10%), the tail (last 30%) and the whole. Thresholds, all relative to the
 * series' own range so that they work for kilobytes and gigabytes alike:
 * <ul>
 *   <li>{@code noise} first: fewer than 3 points, zero duration, or a range (max − min) under
 *       {@link #TINY_RANGE_BYTES} — too little memory to be worth a verdict.</li>
 *   <li>{@code startup}: at least {@link #STARTUP_SHARE} (80%) of the range was gained by the
 *       end of the head (first {@link #HEAD_FRACTION} = 10% of the span), and after the head the
 *       series moves by at most {@link #FLAT_SHARE} (20%) of the range.</li>
 *   <li>{@code linear}: slope &gt; 0, R² ≥ {@link #LINEAR_MIN_R2} (0.8), and the tail (last
 *       {@link #TAIL_FRACTION} = 30%) still grows at ≥ {@link #TAIL_RATE_SHARE} (50%) of the
 *       overall slope — a leak that is still leaking at the end of the window.</li>
 *   <li>{@code bounded}: the tail is flat — its slope, extrapolated over the whole span, changes
 *       less than {@link #FLAT_SHARE} (20%) of the range — while the tail's level sits at least
 *       {@link #BOUNDED_RISE_SHARE} (50%) of the range above the first point (growth was real,
 *       then plateaued: a queue, a cache, a histogram).</li>
 *   <li>{@code noise}: anything else (up and down, shrinking, weak fit).</li>
 * </ul>
 */
public final class LeakVerdict {
    public static final long TINY_RANGE_BYTES = 1024;
    public static final double HEAD_FRACTION = 0.10;
    public static final double TAIL_FRACTION = 0.30;
    public static final double STARTUP_SHARE = 0.80;
    public static final double FLAT_SHARE = 0.20;
    public static final double LINEAR_MIN_R2 = 0.80;
    public static final double TAIL_RATE_SHARE = 0.50;
    public static final double BOUNDED_RISE_SHARE = 0.50;

    public enum Kind {
        LINEAR, BOUNDED, STARTUP, NOISE;

        /** The name used in JSON and the UI: linear | bounded | startup | noise. */
        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** A point of a series: time in epoch milliseconds, retained bytes at that time. */
    public record Point(long tMillis, long bytes) {
    }

    /**
     * @param kind            the verdict
     * @param slopeBytesPerSec least-squares slope over the whole series, bytes per second
     * @param r2              coefficient of determination of that fit, 0..1 (0 for a flat series)
     * @param tailSlopeBytesPerSec least-squares slope over the last 30% of the span
     * @param slopeStdErrorBytesPerSec standard error of the slope (see {@link SlopeFit})
     * @param lastBytes       the series' last value: what is retained at the end of the window
     */
    public record Result(Kind kind, double slopeBytesPerSec, double r2, double tailSlopeBytesPerSec,
            double slopeStdErrorBytesPerSec, long lastBytes) {
        public String verdict() {
            return kind.label();
        }

        /**
         * Seconds until the retained bytes reach limitBytes at the fitted slope, for a linear
         * leak only (a bounded or startup series is not projected to grow): see
         * {@link TimeToLimit}. Empty when not linear or no limit.
         */
        public java.util.OptionalDouble secondsToLimit(long limitBytes) {
            if (kind != Kind.LINEAR) {
                return java.util.OptionalDouble.empty();
            }
            return TimeToLimit.seconds(lastBytes, slopeBytesPerSec, limitBytes);
        }
    }

    private LeakVerdict() {
    }

    /**
     * The series as the verdict should see it when it begins where its process began: one point
     * of nothing retained, a step before the first. The first point holds everything stamped at
     * or before the window's start — allocations in the clock tick the profile started in, or in
     * the first grain of a long graph — so a startup allocation would otherwise look flat from
     * the start and be called noise. Nothing is retained before a process starts, so the point
     * is a fact, not a guess; a window that starts later has no such baseline and is judged as
     * it is.
     */
    static List<Point> fromProcessStart(List<Point> series) {
        if (series.size() < 2) {
            return series;
        }
        long step = Math.max(1, series.get(1).tMillis() - series.get(0).tMillis());
        List<Point> withStart = new ArrayList<>(series.size() + 1);
        withStart.add(new Point(series.get(0).tMillis() - step, 0));
        withStart.addAll(series);
        return withStart;
    }

    /**
     * {@link #analyze(List)} of a series that, when {@code startsWithProcess}, begins at its
     * process's start and is judged {@link #fromProcessStart from it}.
     */
    public static Result analyze(List<Point> series, boolean startsWithProcess) {
        return analyze(startsWithProcess ? fromProcessStart(series) : series);
    }

    public static Result analyze(List<Point> series) {
        int n = series.size();
        long[] t = new long[n];
        long[] b = new long[n];
        for (int i = 0; i < n; i++) {
            t[i] = series.get(i).tMillis();
            b[i] = series.get(i).bytes();
        }
        return analyze(t, b);
    }

    /** Same as {@link #analyze(List)} on parallel arrays; times must be ascending. */
    public static Result analyze(long[] tMillis, long[] bytes) {
        if (tMillis.length != bytes.length) {
            throw new IllegalArgumentException("times and bytes differ in length");
        }
        int n = tMillis.length;
        if (n < 3) {
            return new Result(Kind.NOISE, 0, 0, 0, 0, n == 0 ? 0 : bytes[n - 1]);
        }
        long t0 = tMillis[0];
        long span = tMillis[n - 1] - t0;
        SlopeFit all = SlopeFit.of(tMillis, bytes, 0, n);
        if (span <= 0) {
            return new Result(Kind.NOISE, 0, 0, 0, 0, n == 0 ? 0 : bytes[n - 1]);
        }
        long min = Long.MAX_VALUE;
        long max = Long.MIN_VALUE;
        for (long v : bytes) {
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        double range = (double) max - min;

        // Tail: points in the last 30% of the span (at least the last two points).
        long tailStart = t0 + Math.round(span * (1 - TAIL_FRACTION));
        int tailFrom = n - 2;
        while (tailFrom > 0 && tMillis[tailFrom - 1] >= tailStart) {
            tailFrom--;
        }
        SlopeFit tail = SlopeFit.of(tMillis, bytes, tailFrom, n);
        double slope = all.slopePerSecond();
        double tailSlope = tail.slopePerSecond();
        double stdError = all.slopeStdErrorPerSecond();
        long last = bytes[n - 1];

        if (range < TINY_RANGE_BYTES) {
            return new Result(Kind.NOISE, slope, all.r2(), tailSlope, stdError, last);
        }

        // Head: the value at the end of the first 10% (last point inside it), and how much the
        // series moves after it.
        long headEnd = t0 + Math.round(span * HEAD_FRACTION);
        int headLast = 0;
        while (headLast + 1 < n && tMillis[headLast + 1] <= headEnd) {
            headLast++;
        }
        long afterMin = Long.MAX_VALUE;
        long afterMax = Long.MIN_VALUE;
        for (int i = headLast; i < n; i++) {
            afterMin = Math.min(afterMin, bytes[i]);
            afterMax = Math.max(afterMax, bytes[i]);
        }
        boolean grewInHead = bytes[headLast] - bytes[0] >= STARTUP_SHARE * range;
        // headLast < n - 1 so that "flat afterwards" is judged on real points after the head
        boolean flatAfterHead = headLast < n - 1 && afterMax - afterMin <= FLAT_SHARE * range;
        if (grewInHead && flatAfterHead) {
            return new Result(Kind.STARTUP, slope, all.r2(), tailSlope, stdError, last);
        }

        if (slope > 0 && all.r2() >= LINEAR_MIN_R2 && tailSlope >= TAIL_RATE_SHARE * slope) {
            return new Result(Kind.LINEAR, slope, all.r2(), tailSlope, stdError, last);
        }

        double tailMean = 0;
        for (int i = tailFrom; i < n; i++) {
            tailMean += bytes[i];
        }
        tailMean /= n - tailFrom;
        boolean tailFlat = Math.abs(tail.slopePerMs()) * span <= FLAT_SHARE * range;
        boolean roseFirst = tailMean - bytes[0] >= BOUNDED_RISE_SHARE * range;
        if (tailFlat && roseFirst) {
            return new Result(Kind.BOUNDED, slope, all.r2(), tailSlope, stdError, last);
        }
        return new Result(Kind.NOISE, slope, all.r2(), tailSlope, stdError, last);
    }
}

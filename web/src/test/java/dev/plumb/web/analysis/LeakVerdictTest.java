package dev.plumb.web.analysis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.plumb.web.analysis.LeakVerdict.Kind;
import dev.plumb.web.analysis.LeakVerdict.Result;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.DoubleUnaryOperator;
import org.junit.jupiter.api.Test;

class LeakVerdictTest {
    static final int POINTS = 40;
    static final long SPAN_MS = 600_000; // ten minutes

    /** bytes at fraction x ∈ [0, 1] of the window, sampled at 40 points. */
    static Result series(DoubleUnaryOperator bytesAt) {
        return LeakVerdict.analyze(points(bytesAt));
    }

    static List<LeakVerdict.Point> points(DoubleUnaryOperator bytesAt) {
        List<LeakVerdict.Point> points = new ArrayList<>(POINTS);
        for (int i = 0; i < POINTS; i++) {
            double x = (double) i / (POINTS - 1);
            points.add(new LeakVerdict.Point(1_700_000_000_000L + Math.round(x * SPAN_MS),
                    Math.round(bytesAt.applyAsDouble(x))));
        }
        return points;
    }

    @Test
    void linearGrowthIsALinearLeakWithItsSlope() {
        // 6 MB over 600 s = 10 000 B/s
        Result r = series(x -> 6_000_000 * x);
        assertThat(r.kind()).isEqualTo(Kind.LINEAR);
        assertThat(r.slopeBytesPerSec()).isCloseTo(10_000, org.assertj.core.data.Offset.offset(1.0));
        assertThat(r.r2()).isGreaterThan(0.999);
        assertThat(r.verdict()).isEqualTo("linear");
    }

    @Test
    void linearWithNoiseAndABaseIsStillLinear() {
        Random random = new Random(42);
        Result r = series(x -> 50_000_000 + 6_000_000 * x + random.nextGaussian() * 200_000);
        assertThat(r.kind()).isEqualTo(Kind.LINEAR);
        assertThat(r.r2()).isGreaterThan(0.9);
    }

    @Test
    void sawtoothAroundALinearTrendIsLinear() {
        // temporaries of the same backtrace come and go on top of a steady leak
        Result r = series(x -> 4_000_000 * x + ((int) (x * 39) % 2 == 0 ? 0 : 150_000));
        assertThat(r.kind()).isEqualTo(Kind.LINEAR);
    }

    @Test
    void growthThatPlateausIsBounded() {
        // a queue that fills over the first 40% and then stays full
        Result r = series(x -> Math.min(x / 0.4, 1) * 8_000_000);
        assertThat(r.kind()).isEqualTo(Kind.BOUNDED);
        assertThat(r.slopeBytesPerSec()).isPositive();
        assertThat(Math.abs(r.tailSlopeBytesPerSec())).isLessThan(1);
    }

    @Test
    void saturatingCurveIsBounded() {
        // a cache approaching its capacity: 1 − e^(−x/0.12)
        Result r = series(x -> 8_000_000 * (1 - Math.exp(-x / 0.12)));
        assertThat(r.kind()).isEqualTo(Kind.BOUNDED);
    }

    @Test
    void allocationInTheFirstTenPercentIsStartup() {
        Result r = series(x -> x < 0.05 ? 0 : 16_000_000);
        assertThat(r.kind()).isEqualTo(Kind.STARTUP);
    }

    @Test
    void startupRampThenFlatWithJitterIsStartup() {
        Random random = new Random(7);
        Result r = series(x -> Math.min(x / 0.08, 1) * 16_000_000 + random.nextInt(100_000));
        assertThat(r.kind()).isEqualTo(Kind.STARTUP);
    }

    /**
     * The startup block allocated in the clock tick the session started in is already in the
     * first point: alone the series is flat (nothing to classify), judged from the process's
     * start it is the startup step it was. Grown the same way, a leak stays linear and a
     * queue bounded.
     */
    @Test
    void aSeriesFromTheProcessStartBeginsWithNothingRetained() {
        List<LeakVerdict.Point> flat = points(x -> 1_048_576);
        assertThat(LeakVerdict.analyze(flat).kind()).isEqualTo(Kind.NOISE);
        List<LeakVerdict.Point> judged = LeakVerdict.fromProcessStart(flat);
        assertThat(judged).hasSize(POINTS + 1);
        assertThat(judged.get(0).bytes()).isZero();
        assertThat(judged.get(1).tMillis() - judged.get(0).tMillis()).isEqualTo(flat.get(1).tMillis() - flat.get(0).tMillis());
        assertThat(LeakVerdict.analyze(judged).kind()).isEqualTo(Kind.STARTUP);

        assertThat(LeakVerdict.analyze(flat, true).kind()).isEqualTo(Kind.STARTUP);
        assertThat(LeakVerdict.analyze(points(x -> 4096 + 6_000_000 * x), true).kind())
                .isEqualTo(Kind.LINEAR);
        assertThat(LeakVerdict.analyze(points(x -> Math.min(x / 0.4, 1) * 8_000_000), true).kind())
                .isEqualTo(Kind.BOUNDED);
        assertThat(LeakVerdict.fromProcessStart(List.of())).isEmpty();
    }

    @Test
    void tinyGrowthIsNoise() {
        assertThat(series(x -> 500 * x).kind()).isEqualTo(Kind.NOISE);
        assertThat(series(x -> 0).kind()).isEqualTo(Kind.NOISE);
    }

    @Test
    void randomUpsAndDownsAreNoise() {
        Random random = new Random(1);
        assertThat(series(x -> 10_000_000 + random.nextInt(2_000_000)).kind()).isEqualTo(Kind.NOISE);
    }

    @Test
    void shrinkingIsNoise() {
        assertThat(series(x -> 8_000_000 * (1 - x)).kind()).isEqualTo(Kind.NOISE);
    }

    @Test
    void growthOnlyAtTheEndIsNotBoundedOrStartup() {
        // flat, then a jump in the last 10%: too late to call it a trend or a plateau
        Result r = series(x -> x > 0.9 ? 8_000_000 : 0);
        assertThat(r.kind()).isIn(Kind.NOISE, Kind.LINEAR).isNotEqualTo(Kind.BOUNDED);
    }

    @Test
    void tooFewPointsOrNoDurationIsNoise() {
        assertThat(LeakVerdict.analyze(new long[] {1, 2}, new long[] {0, 1_000_000}).kind()).isEqualTo(Kind.NOISE);
        assertThat(LeakVerdict.analyze(new long[] {5, 5, 5}, new long[] {0, 1_000_000, 2_000_000}).kind())
                .isEqualTo(Kind.NOISE);
    }
}

package dev.plumb.web.analysis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.plumb.web.analysis.LeakVerdict.Kind;
import java.util.Random;
import java.util.function.DoubleSupplier;
import java.util.function.LongFunction;
import org.junit.jupiter.api.Test;

/**
 * How often does pure noise get called a linear leak? Many seeded random series of two kinds
 * that do not leak: temporaries coming and going around a level (independent noise), and a
 * mean-reverting level (AR(1), φ = 0.9: a cache that wanders but has no trend). The measured
 * rates and the bound are in docs/analysis.md; the test fails if a change to the classifier
 * pushes either above it.
 */
class NoiseFalsePositiveTest {
    static final int SERIES = 10_000;
    /** Documented bound on the linear-verdict rate for noise; see docs/analysis.md. */
    static final double MAX_FALSE_POSITIVE_RATE = 0.01;

    static double linearRate(LongFunction<DoubleSupplier> seriesForSeed) {
        int linear = 0;
        for (long seed = 0; seed < SERIES; seed++) {
            DoubleSupplier next = seriesForSeed.apply(seed);
            if (LeakVerdictTest.series(x -> next.getAsDouble()).kind() == Kind.LINEAR) {
                linear++;
            }
        }
        return (double) linear / SERIES;
    }

    @Test
    void independentNoiseIsRarelyLinear() {
        double rate = linearRate(seed -> {
            Random r = new Random(seed);
            return () -> 10_000_000 + r.nextGaussian() * 500_000;
        });
        System.out.printf("false-positive rate, independent noise: %.4f%n", rate);
        assertThat(rate).isLessThan(MAX_FALSE_POSITIVE_RATE);
    }

    @Test
    void meanRevertingWanderIsRarelyLinear() {
        double rate = linearRate(seed -> {
            Random r = new Random(seed);
            double[] level = {0};
            return () -> {
                level[0] = 0.9 * level[0] + r.nextGaussian() * 200_000;
                return 10_000_000 + level[0];
            };
        });
        System.out.printf("false-positive rate, mean-reverting AR(1): %.4f%n", rate);
        assertThat(rate).isLessThan(MAX_FALSE_POSITIVE_RATE);
    }
}

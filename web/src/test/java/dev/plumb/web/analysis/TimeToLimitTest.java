package dev.plumb.web.analysis;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TimeToLimitTest {
    @Test
    void projectsTheLineToTheLimit() {
        assertThat(TimeToLimit.seconds(1_000, 100, 11_000)).hasValue(100);
    }

    @Test
    void alreadyOverTheLimitIsZero() {
        assertThat(TimeToLimit.seconds(20_000, 100, 11_000)).hasValue(0);
    }

    @Test
    void noLimitOrNoGrowthIsNoProjection() {
        assertThat(TimeToLimit.seconds(1_000, 100, 0)).isEmpty();
        assertThat(TimeToLimit.seconds(1_000, 0, 10_000)).isEmpty();
        assertThat(TimeToLimit.seconds(1_000, -5, 10_000)).isEmpty();
    }

    @Test
    void onlyALinearVerdictIsProjected() {
        LeakVerdict.Result linear = LeakVerdictTest.series(x -> 6_000_000 * x); // 10 000 B/s, ends at 6 MB
        assertThat(linear.secondsToLimit(16_000_000).getAsDouble()).isCloseTo(1000, org.assertj.core.data.Offset.offset(1.0));
        LeakVerdict.Result bounded = LeakVerdictTest.series(x -> Math.min(x / 0.4, 1) * 8_000_000);
        assertThat(bounded.secondsToLimit(16_000_000)).isEmpty();
    }
}

package dev.plumb.web.analysis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.plumb.web.analysis.RateChange.Change;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RateChangeTest {
    static LeakVerdict.Result leaking(double bytesOverWindow, long seed) {
        Random r = new Random(seed);
        return LeakVerdictTest.series(x -> bytesOverWindow * x + r.nextGaussian() * 20_000);
    }

    static LeakVerdict.Result flat(long seed) {
        Random r = new Random(seed);
        return LeakVerdictTest.series(x -> 2_000_000 + r.nextGaussian() * 20_000);
    }

    @Test
    void aLeakGoneInTheTargetIsFixedWithAnIntervalBelowZero() {
        RateEstimate base = RateEstimate.of(List.of(leaking(6_000_000, 1), leaking(6_200_000, 2), leaking(5_900_000, 3)));
        RateEstimate target = RateEstimate.of(List.of(flat(4), flat(5)));
        RateChange c = RateChange.between(base, target);
        assertThat(c.change()).isEqualTo(Change.FIXED);
        assertThat(c.delta()).isCloseTo(-10_000, org.assertj.core.data.Offset.offset(300.0));
        assertThat(c.hi()).isNegative();
        assertThat(c.lo()).isLessThan(c.delta());
    }

    @Test
    void aLeakNewInTheTargetIsIntroduced() {
        RateChange c = RateChange.between(RateEstimate.ABSENT, RateEstimate.of(List.of(leaking(6_000_000, 7))));
        assertThat(c.change()).isEqualTo(Change.INTRODUCED);
        assertThat(c.lo()).isPositive();
    }

    @Test
    void aFasterLeakIsWorseAndTheSameLeakIsUnchanged() {
        RateEstimate base = RateEstimate.of(List.of(leaking(6_000_000, 1), leaking(6_100_000, 2)));
        RateEstimate faster = RateEstimate.of(List.of(leaking(12_000_000, 3), leaking(12_100_000, 4)));
        RateEstimate same = RateEstimate.of(List.of(leaking(5_900_000, 5), leaking(6_200_000, 6)));
        assertThat(RateChange.between(base, faster).change()).isEqualTo(Change.WORSE);
        assertThat(RateChange.between(faster, base).change()).isEqualTo(Change.BETTER);
        RateChange unchanged = RateChange.between(base, same);
        assertThat(unchanged.change()).isEqualTo(Change.UNCHANGED);
        assertThat(unchanged.lo()).isNegative();
        assertThat(unchanged.hi()).isPositive();
    }

    @Test
    void spreadAcrossSessionsIsTheStandardErrorWithSeveralSessions() {
        RateEstimate e = RateEstimate.of(List.of(leaking(6_000_000, 1), leaking(7_200_000, 2)));
        assertThat(e.sessions()).isEqualTo(2);
        assertThat(e.stdError()).isCloseTo(1_000, org.assertj.core.data.Offset.offset(50.0)); // |10k−12k|/2
        assertThat(e.leaking()).isTrue();
    }
}

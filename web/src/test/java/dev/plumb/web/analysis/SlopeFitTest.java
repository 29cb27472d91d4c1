package dev.plumb.web.analysis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class SlopeFitTest {
    @Test
    void exactLineHasItsSlopeFullR2AndNoError() {
        long[] t = {0, 1000, 2000, 3000};
        long[] b = {100, 200, 300, 400};
        SlopeFit f = SlopeFit.of(t, b);
        assertThat(f.slopePerSecond()).isCloseTo(100, within(1e-9));
        assertThat(f.r2()).isCloseTo(1, within(1e-12));
        assertThat(f.slopeStdErrorPerSecond()).isCloseTo(0, within(1e-9));
    }

    @Test
    void standardErrorMatchesTheTextbookFormula() {
        // x = 0,1,2,3,4 s; y = 0,2,1,4,3 → slope 0.8/ms·1000…, residual SS 3.6, Sxx 10 (seconds)
        long[] t = {0, 1000, 2000, 3000, 4000};
        long[] b = {0, 2, 1, 4, 3};
        SlopeFit f = SlopeFit.of(t, b);
        assertThat(f.slopePerSecond()).isCloseTo(0.8, within(1e-9));
        assertThat(f.slopeStdErrorPerSecond()).isCloseTo(Math.sqrt(3.6 / 3 / 10), within(1e-9));
        assertThat(f.r2()).isCloseTo(0.64, within(1e-9));
    }

    @Test
    void fewerThanTwoPointsOrNoDurationFitNothing() {
        assertThat(SlopeFit.of(new long[] {5}, new long[] {1}).slopePerMs()).isZero();
        assertThat(SlopeFit.of(new long[] {5, 5}, new long[] {1, 9}).slopePerMs()).isZero();
    }
}

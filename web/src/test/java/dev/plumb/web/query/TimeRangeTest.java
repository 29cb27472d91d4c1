package dev.plumb.web.query;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Sample points: evenly spaced, and on whole seconds once they are at least a second apart. */
class TimeRangeTest {
    static final long T0 = 1_700_000_000_000_000L;

    @Test
    void pointsCloserThanASecondKeepMicroseconds() {
        TimeRange r = new TimeRange(T0 + 123_456, T0 + 10_123_456); // 10 s
        assertThat(r.onWholeSeconds(12)).isFalse();
        assertThat(r.pointUs(0, 12)).isEqualTo(T0 + 123_456);
        assertThat(r.pointUs(1, 12)).isEqualTo(T0 + 123_456 + 10_000_000 / 11);
        assertThat(r.pointUs(11, 12)).isEqualTo(T0 + 10_123_456);
    }

    @Test
    void pointsASecondApartMoveUpToTheNextWholeSecond() {
        TimeRange r = new TimeRange(T0 + 123_456, T0 + 10_123_456);
        assertThat(r.onWholeSeconds(11)).isTrue(); // exactly 1 s apart
        assertThat(r.pointUs(0, 11)).isEqualTo(T0 + 1_000_000);
        assertThat(r.pointUs(5, 11)).isEqualTo(T0 + 6_000_000);
        assertThat(r.pointUs(10, 11)).isEqualTo(T0 + 11_000_000); // past the end by less than a second
        // already on a whole second: unchanged
        TimeRange aligned = new TimeRange(T0, T0 + 100_000_000);
        assertThat(aligned.pointUs(0, 40)).isEqualTo(T0);
        assertThat(aligned.pointUs(39, 40)).isEqualTo(T0 + 100_000_000);
        assertThat(aligned.pointUs(1, 40)).isEqualTo(T0 + 3_000_000); // 2.56 s → 3 s
        for (int i = 1; i < 40; i++) {
            assertThat(aligned.pointUs(i, 40)).isGreaterThan(aligned.pointUs(i - 1, 40));
            assertThat(aligned.pointUs(i, 40) % 1_000_000).isZero();
        }
    }
}

package dev.plumb.web.query;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Sample points: evenly spaced, and on whole grains (1 s … 1 h) once they are at least a grain apart. */
class TimeRangeTest {
    static final long T0 = 1_700_000_000_000_000L;

    @Test
    void pointsCloserThanASecondKeepMicroseconds() {
        TimeRange r = new TimeRange(T0 + 123_456, T0 + 10_123_456); // 10 s
        assertThat(r.grainUs(12)).isZero();
        assertThat(r.pointUs(0, 12)).isEqualTo(T0 + 123_456);
        assertThat(r.pointUs(1, 12)).isEqualTo(T0 + 123_456 + 10_000_000 / 11);
        assertThat(r.pointUs(11, 12)).isEqualTo(T0 + 10_123_456);
    }

    @Test
    void pointsASecondApartMoveUpToTheNextWholeSecond() {
        TimeRange r = new TimeRange(T0 + 123_456, T0 + 10_123_456);
        assertThat(r.grainUs(11)).isEqualTo(1_000_000); // exactly 1 s apart
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

    @Test
    void pointsFurtherApartSitOnTheCoarsestGrainTheyReach() {
        TimeRange tenMinutes = new TimeRange(T0 + 271_828, T0 + 600_271_828);
        assertThat(tenMinutes.grainUs(40)).isEqualTo(10_000_000); // 15.4 s apart
        assertThat(tenMinutes.grainUs(61)).isEqualTo(10_000_000); // exactly 10 s
        assertThat(tenMinutes.grainUs(62)).isEqualTo(1_000_000);
        assertThat(tenMinutes.grainUs(11)).isEqualTo(60_000_000); // 1 min
        assertThat(tenMinutes.grainUs(2)).isEqualTo(600_000_000); // 10 min
        assertThat(new TimeRange(T0, T0 + 86_400_000_000L).grainUs(40)).isEqualTo(600_000_000); // 37 min: 10 min
        assertThat(new TimeRange(T0, T0 + 86_400_000_000L).grainUs(20)).isEqualTo(3_600_000_000L); // 76 min: 1 h
        assertThat(tenMinutes.pointUs(0, 40)).isEqualTo(T0 + 10_000_000);
        assertThat(tenMinutes.pointUs(1, 40)).isEqualTo(T0 + 20_000_000); // 15.66 s → 20 s
        assertThat(tenMinutes.pointUs(2, 40)).isEqualTo(T0 + 40_000_000); // 31.04 s → 40 s
        assertThat(tenMinutes.pointUs(39, 40)).isEqualTo(T0 + 610_000_000);
        for (int i = 1; i < 40; i++) {
            assertThat(tenMinutes.pointUs(i, 40)).isGreaterThan(tenMinutes.pointUs(i - 1, 40));
            assertThat(tenMinutes.pointUs(i, 40) - (T0 + 271_828 + 600_000_000L * i / 39)).isBetween(0L, 9_999_999L);
        }
    }
}

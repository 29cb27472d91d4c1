package dev.plumb.web.api;

import dev.plumb.web.analysis.LeakVerdict;
import dev.plumb.web.query.Frame;
import dev.plumb.web.query.LeakReport;
import java.util.List;

/**
 * A leak table row. frames are innermost first; series is [[tMillis, retainedBytes], …];
 * slope is bytes per second; r2 in 0..1.
 */
public record LeakJson(long stackId, long bytesLeaked, long count, List<Frame> frames, String verdict,
        double slope, double r2, List<long[]> series) {

    static LeakJson of(LeakReport r) {
        List<long[]> points = r.series().stream().map(p -> new long[] {p.tMillis(), p.bytes()}).toList();
        LeakVerdict.Result v = r.verdict();
        return new LeakJson(r.group().stackId(), r.group().bytesLeaked(), r.group().count(), r.group().frames(),
                v.verdict(), Math.round(v.slopeBytesPerSec() * 100) / 100.0, Math.round(v.r2() * 10000) / 10000.0,
                points);
    }
}

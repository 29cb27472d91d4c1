package dev.plumb.web.query;

import dev.plumb.web.analysis.LeakVerdict;
import java.util.List;

/**
 * One row of the leak table: a backtrace's leaked allocations, its retained-bytes series over
 * the analysed window (points of [tMillis, bytes]) and the verdict on that series.
 */
public record LeakReport(LeakGroup group, List<LeakVerdict.Point> series, LeakVerdict.Result verdict) {
}

package dev.plumb.web.query;

import dev.plumb.web.analysis.RateChange;
import dev.plumb.web.analysis.RateEstimate;
import java.util.List;

/** One backtrace in a deploy comparison: its leak rate in base and target and the change. */
public record StackRateChange(long stackId, List<Frame> frames, RateEstimate base, RateEstimate target,
        RateChange change) {
}

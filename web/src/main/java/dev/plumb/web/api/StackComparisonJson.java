package dev.plumb.web.api;

import dev.plumb.web.query.Frame;
import dev.plumb.web.query.StackRateChange;
import java.util.List;

/**
 * A row of /api/services/{service}/compare: a backtrace's leak rate in base and target
 * (bytes/s), their standard errors, the change and its 95% interval ({@link RateChangeJson}, flat).
 */
public record StackComparisonJson(long stackId, List<Frame> frames, double baseSlope, double baseStdError,
        int baseSessions, double targetSlope, double targetStdError, int targetSessions, double delta,
        double[] ci95, String change) {

    static StackComparisonJson of(StackRateChange c) {
        RateChangeJson r = RateChangeJson.of(c.base(), c.target(), c.change());
        return new StackComparisonJson(c.stackId(), c.frames(), r.baseSlope(), r.baseStdError(), r.baseSessions(),
                r.targetSlope(), r.targetStdError(), r.targetSessions(), r.delta(), r.ci95(), r.change());
    }
}

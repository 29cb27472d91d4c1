package dev.plumb.web.api;

import dev.plumb.web.query.Frame;
import dev.plumb.web.query.StackRateChange;
import java.util.List;

/**
 * A row of /api/services/{service}/compare: a backtrace's leak rate in base and target
 * (bytes/s), their standard errors, the change and its 95% interval.
 */
public record StackComparisonJson(long stackId, List<Frame> frames, double baseSlope, double baseStdError,
        int baseSessions, double targetSlope, double targetStdError, int targetSessions, double delta,
        double[] ci95, String change) {

    static StackComparisonJson of(StackRateChange c) {
        return new StackComparisonJson(c.stackId(), c.frames(), DeploymentVerdictJson.round(c.base().slopeBytesPerSec()),
                DeploymentVerdictJson.round(c.base().stdError()), c.base().sessions(),
                DeploymentVerdictJson.round(c.target().slopeBytesPerSec()),
                DeploymentVerdictJson.round(c.target().stdError()), c.target().sessions(),
                DeploymentVerdictJson.round(c.change().delta()),
                new double[] {DeploymentVerdictJson.round(c.change().lo()), DeploymentVerdictJson.round(c.change().hi())},
                c.change().change().label());
    }
}

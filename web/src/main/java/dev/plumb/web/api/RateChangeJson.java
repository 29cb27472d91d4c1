package dev.plumb.web.api;

import dev.plumb.web.analysis.RateChange;
import dev.plumb.web.analysis.RateEstimate;

/**
 * A leak rate in base and target (bytes/s, with standard errors and how many processes each was
 * estimated from), the change and its 95% interval, and what the interval allows to claim:
 * fixed | introduced | worse | better | unchanged ({@link RateChange}).
 */
public record RateChangeJson(double baseSlope, double baseStdError, int baseSessions, double targetSlope,
        double targetStdError, int targetSessions, double delta, double[] ci95, String change) {

    static RateChangeJson of(RateEstimate base, RateEstimate target, RateChange c) {
        return new RateChangeJson(round(base.slopeBytesPerSec()), round(base.stdError()), base.sessions(),
                round(target.slopeBytesPerSec()), round(target.stdError()), target.sessions(), round(c.delta()),
                new double[] {round(c.lo()), round(c.hi())}, c.change().label());
    }

    static RateChangeJson between(RateEstimate base, RateEstimate target) {
        return of(base, target, RateChange.between(base, target));
    }

    private static double round(double v) {
        return DeploymentVerdictJson.round(v);
    }
}

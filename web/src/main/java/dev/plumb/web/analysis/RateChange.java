package dev.plumb.web.analysis;

/**
 * The change of one backtrace's leak rate from a base deployment to a target deployment, with
 * a 95% confidence interval from the normal approximation: delta ± 1.96·√(se_base² + se_target²).
 *
 * <p>The change: {@code fixed} (leaked in base, not in target, and the interval is below 0),
 * {@code introduced} (the reverse, interval above 0), {@code worse} / {@code better} (leaks in
 * both, interval entirely above / below 0), else {@code unchanged} — including every case where
 * the interval contains 0, so a claim is only made when the numbers carry it.
 *
 * @param delta target − base, bytes/s
 * @param lo    lower bound of the 95% interval of delta
 * @param hi    upper bound
 */
public record RateChange(double delta, double lo, double hi, Change change) {
    public static final double Z95 = 1.959964;

    public enum Change {
        FIXED, INTRODUCED, WORSE, BETTER, UNCHANGED;

        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    public static RateChange between(RateEstimate base, RateEstimate target) {
        double delta = target.slopeBytesPerSec() - base.slopeBytesPerSec();
        double half = Z95 * Math.sqrt(base.stdError() * base.stdError() + target.stdError() * target.stdError());
        double lo = delta - half;
        double hi = delta + half;
        Change change = Change.UNCHANGED;
        if (base.leaking() && !target.leaking() && hi < 0) {
            change = Change.FIXED;
        } else if (!base.leaking() && target.leaking() && lo > 0) {
            change = Change.INTRODUCED;
        } else if (base.leaking() && target.leaking() && lo > 0) {
            change = Change.WORSE;
        } else if (base.leaking() && target.leaking() && hi < 0) {
            change = Change.BETTER;
        }
        return new RateChange(delta, lo, hi, change);
    }
}

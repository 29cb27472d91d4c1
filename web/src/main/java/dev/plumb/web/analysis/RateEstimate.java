package dev.plumb.web.analysis;

import dev.plumb.web.analysis.LeakVerdict.Kind;
import java.util.List;

/**
 * A backtrace's leak rate in one deployment, from its retained series in each of the
 * deployment's sessions, with a standard error for confidence intervals.
 *
 * <p>With two or more sessions the rate is the mean of their slopes and the standard error
 * the spread across sessions (sample standard deviation / √n) — processes are independent, so
 * this is an honest error. With one session it falls back to the least-squares standard error
 * of that session's slope, which assumes independent residuals and is therefore too narrow for
 * a cumulative series (see docs/analysis.md).
 *
 * @param slopeBytesPerSec rate, bytes/s (0 when the backtrace did not appear)
 * @param stdError         standard error of that rate, bytes/s
 * @param sessions         sessions it was estimated from
 * @param leaking          whether most of those sessions call this backtrace a linear leak
 */
public record RateEstimate(double slopeBytesPerSec, double stdError, int sessions, boolean leaking) {
    public static final RateEstimate ABSENT = new RateEstimate(0, 0, 0, false);

    public static RateEstimate of(List<LeakVerdict.Result> perSession) {
        int n = perSession.size();
        if (n == 0) {
            return ABSENT;
        }
        long linear = perSession.stream().filter(r -> r.kind() == Kind.LINEAR).count();
        boolean leaking = linear * 2 > n;
        if (n == 1) {
            LeakVerdict.Result only = perSession.get(0);
            return new RateEstimate(only.slopeBytesPerSec(), only.slopeStdErrorBytesPerSec(), 1, leaking);
        }
        double mean = perSession.stream().mapToDouble(LeakVerdict.Result::slopeBytesPerSec).average().orElse(0);
        double ss = perSession.stream().mapToDouble(r -> Math.pow(r.slopeBytesPerSec() - mean, 2)).sum();
        return new RateEstimate(mean, Math.sqrt(ss / (n - 1) / n), n, leaking);
    }
}

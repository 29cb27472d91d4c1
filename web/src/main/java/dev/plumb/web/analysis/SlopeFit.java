package dev.plumb.web.analysis;

/**
 * Ordinary least squares of bytes on time over points [from, to) of a series: the slope, R²
 * and the slope's standard error. The one line fit used by {@link LeakVerdict} and by deploy
 * comparison, so a verdict's slope and a comparison's slope are the same number.
 *
 * @param slopePerMs          bytes per millisecond
 * @param r2                  coefficient of determination, 0..1 (0 for a flat series)
 * @param slopeStdErrorPerMs  standard error of the slope, bytes per millisecond (0 with fewer
 *                            than 3 points). It assumes independent residuals, which a
 *                            cumulative series does not have, so it is a lower bound — see
 *                            docs/analysis.md.
 * @param points              how many points were fitted
 */
public record SlopeFit(double slopePerMs, double r2, double slopeStdErrorPerMs, int points) {
    static final SlopeFit NONE = new SlopeFit(0, 0, 0, 0);

    public double slopePerSecond() {
        return slopePerMs * 1000;
    }

    public double slopeStdErrorPerSecond() {
        return slopeStdErrorPerMs * 1000;
    }

    public static SlopeFit of(long[] t, long[] b) {
        return of(t, b, 0, t.length);
    }

    /** Times are shifted to t[from] so epoch milliseconds do not cost precision. */
    public static SlopeFit of(long[] t, long[] b, int from, int to) {
        int n = to - from;
        if (n < 2) {
            return NONE;
        }
        double meanT = 0;
        double meanB = 0;
        for (int i = from; i < to; i++) {
            meanT += t[i] - t[from];
            meanB += b[i];
        }
        meanT /= n;
        meanB /= n;
        double sTT = 0;
        double sTB = 0;
        double sBB = 0;
        for (int i = from; i < to; i++) {
            double dt = t[i] - t[from] - meanT;
            double db = b[i] - meanB;
            sTT += dt * dt;
            sTB += dt * db;
            sBB += db * db;
        }
        if (sTT == 0) {
            return new SlopeFit(0, 0, 0, n);
        }
        double slope = sTB / sTT;
        double r2 = sBB == 0 ? 0 : (sTB * sTB) / (sTT * sBB);
        double residual = Math.max(0, sBB - slope * sTB);
        double stdError = n > 2 ? Math.sqrt(residual / (n - 2) / sTT) : 0;
        return new SlopeFit(slope, Math.max(0, Math.min(1, r2)), stdError, n);
    }
}

package dev.plumb.web.query;

import dev.plumb.web.analysis.LeakVerdict;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.springframework.stereotype.Component;

/**
 * The leak table: leaked allocations grouped by backtrace ({@link LeakGroupsQuery}), each with
 * its retained-bytes series ({@link StackSeriesQuery}) and a {@link LeakVerdict}. The series
 * covers the session, or the from/to window when one is given, so the verdict answers "is this
 * backtrace growing in the range I selected?". The size filters apply to the series too.
 */
@Component
public class LeakReportQuery {
    public static final int DEFAULT_SERIES_POINTS = 40;
    /** Sorting by growth ranks the series of this many of the largest groups. */
    static final int GROWTH_CANDIDATES = 1000;

    private final SessionTimeRangeQuery timeRange;
    private final LeakGroupsQuery groups;
    private final StackSeriesQuery series;

    public LeakReportQuery(SessionTimeRangeQuery timeRange, LeakGroupsQuery groups, StackSeriesQuery series) {
        this.timeRange = timeRange;
        this.groups = groups;
        this.series = series;
    }

    /** Empty if the session does not exist. */
    public Optional<List<LeakReport>> find(long sessionId, LeakFilter filter, int seriesPoints) {
        Optional<TimeRange> session = timeRange.find(sessionId);
        if (session.isEmpty()) {
            return Optional.empty();
        }
        TimeRange window = session.get().clip(filter.fromUs(), filter.toUs());
        boolean fromProcessStart = window.startUs() == session.get().startUs();
        boolean byGrowth = filter.sort() == LeakFilter.Sort.GROWTH;
        List<LeakGroup> found = groups.find(sessionId, byGrowth ? filter.withLimit(GROWTH_CANDIDATES) : filter);
        Map<Long, long[]> retained = series.retained(sessionId,
                found.stream().map(LeakGroup::stackId).toList(), filter.minSize(), filter.maxSizeOrUnbounded(),
                window, seriesPoints);
        List<LeakReport> reports = new ArrayList<>(found.size());
        for (LeakGroup g : found) {
            long[] values = retained.get(g.stackId());
            List<LeakVerdict.Point> points = new ArrayList<>(seriesPoints);
            for (int i = 0; i < seriesPoints; i++) {
                points.add(new LeakVerdict.Point(window.pointUs(i, seriesPoints) / 1000, values[i]));
            }
            reports.add(new LeakReport(g, List.copyOf(points), LeakVerdict.analyze(points, fromProcessStart)));
        }
        if (byGrowth) {
            // fastest growing first among the largest GROWTH_CANDIDATES groups
            reports.sort(Comparator.comparingDouble((LeakReport r) -> r.verdict().slopeBytesPerSec()).reversed()
                    .thenComparing(r -> r.group().stackId()));
            return Optional.of(List.copyOf(reports.subList(0, Math.min(filter.limit(), reports.size()))));
        }
        return Optional.of(reports);
    }
}

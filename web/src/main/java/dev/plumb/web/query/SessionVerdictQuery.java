package dev.plumb.web.query;

import dev.plumb.web.analysis.LeakVerdict;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.UnaryOperator;
import org.springframework.stereotype.Component;

/**
 * The session-level verdict: {@link LeakVerdict} on the process's total retained bytes (the
 * heap line of the memory graph), over its last {@code window} — or all of it. A running
 * session's window ends at its last event, an ended one's at its end.
 */
@Component
public class SessionVerdictQuery {
    public static final int POINTS = 40;

    private final SessionTimeRangeQuery timeRange;
    private final MemoryQuery memory;

    public SessionVerdictQuery(SessionTimeRangeQuery timeRange, MemoryQuery memory) {
        this.timeRange = timeRange;
        this.memory = memory;
    }

    /** @param window how much of the session's end to judge; null = the whole session */
    public Optional<SessionVerdict> verdict(SessionRow session, Duration window) {
        return judge(session, range -> window == null ? range
                : range.clip(range.endUs() - window.toNanos() / 1000, null));
    }

    /** The verdict on the part of the session that lies in within (the fleet dashboard's time range). */
    public Optional<SessionVerdict> verdictWithin(SessionRow session, TimeRange within) {
        return judge(session, range -> range.clip(within.startUs(), within.endUs()));
    }

    private Optional<SessionVerdict> judge(SessionRow session, UnaryOperator<TimeRange> window) {
        return timeRange.find(session.id()).map(range -> {
            TimeRange judged = window.apply(range);
            List<LeakVerdict.Point> points = new ArrayList<>(POINTS);
            for (MemoryPoint p : memory.memory(session.id(), judged, POINTS)) {
                points.add(new LeakVerdict.Point(p.tMillis(), p.heapBytes()));
            }
            return new SessionVerdict(session, judged, LeakVerdict.analyze(points, judged.startUs() == range.startUs()));
        });
    }
}

package dev.plumb.web.query;

import dev.plumb.web.analysis.LeakVerdict;
import dev.plumb.web.analysis.RateChange;
import dev.plumb.web.analysis.RateEstimate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.stereotype.Component;

/**
 * Deploy comparison: for each backtrace that leaks in either deployment of a service, its leak
 * rate in base and in target and the change with a 95% interval ({@link RateChange}). A
 * backtrace is the same stack_id in both deploys (stacks are identified by symbolized frames).
 * Per deployment, each of its newest sessions contributes its leak table (top backtraces, each
 * with a verdict on its retained series over the session); a backtrace missing from a session's
 * table leaked nothing there and counts as rate 0.
 */
@Component
public class DeployComparisonQuery {
    public static final int MAX_SESSIONS = 20;
    public static final int STACKS_PER_SESSION = 50;

    private final SessionsInScopeQuery sessions;
    private final LeakReportQuery leaks;

    public DeployComparisonQuery(SessionsInScopeQuery sessions, LeakReportQuery leaks) {
        this.sessions = sessions;
        this.leaks = leaks;
    }

    /** Largest absolute change first. */
    public List<StackRateChange> compare(String service, String base, String target) {
        Map<Long, List<Frame>> frames = new HashMap<>();
        Map<Long, List<LeakVerdict.Result>> baseRates = ratesByStack(service, base, frames);
        Map<Long, List<LeakVerdict.Result>> targetRates = ratesByStack(service, target, frames);
        List<StackRateChange> changes = new ArrayList<>();
        for (Long stack : frames.keySet()) {
            RateEstimate b = RateEstimate.of(baseRates.getOrDefault(stack, List.of()));
            RateEstimate t = RateEstimate.of(targetRates.getOrDefault(stack, List.of()));
            changes.add(new StackRateChange(stack, frames.get(stack), b, t, RateChange.between(b, t)));
        }
        changes.sort(Comparator.comparingDouble((StackRateChange c) -> -Math.abs(c.change().delta()))
                .thenComparingLong(StackRateChange::stackId));
        return changes;
    }

    /**
     * Stack → one verdict per session of the deployment; sessions where the stack leaked
     * nothing contribute a zero-rate noise verdict, so the estimate averages over all sessions.
     */
    private Map<Long, List<LeakVerdict.Result>> ratesByStack(String service, String deployment,
            Map<Long, List<Frame>> frames) {
        List<SessionRow> rows = sessions.ofDeployment(service, deployment, MAX_SESSIONS);
        List<Map<Long, LeakVerdict.Result>> perSession = new ArrayList<>();
        for (SessionRow s : rows) {
            Map<Long, LeakVerdict.Result> bySession = new LinkedHashMap<>();
            leaks.find(s.id(), LeakFilter.all().withLimit(STACKS_PER_SESSION), LeakReportQuery.DEFAULT_SERIES_POINTS)
                    .orElse(List.of())
                    .forEach(r -> {
                        bySession.put(r.group().stackId(), r.verdict());
                        frames.putIfAbsent(r.group().stackId(), r.group().frames());
                    });
            perSession.add(bySession);
        }
        LeakVerdict.Result none = new LeakVerdict.Result(LeakVerdict.Kind.NOISE, 0, 0, 0, 0, 0);
        Map<Long, List<LeakVerdict.Result>> result = new HashMap<>();
        for (Long stack : frames.keySet()) {
            List<LeakVerdict.Result> list = new ArrayList<>();
            perSession.forEach(m -> list.add(m.getOrDefault(stack, none)));
            if (!perSession.isEmpty()) {
                result.put(stack, list);
            }
        }
        return result;
    }
}

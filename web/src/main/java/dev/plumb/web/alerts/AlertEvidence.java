package dev.plumb.web.alerts;

import dev.plumb.web.analysis.LeakVerdict;
import dev.plumb.web.pages.Humanize;
import dev.plumb.web.query.Frame;
import dev.plumb.web.query.LeakFilter;
import dev.plumb.web.query.LeakReport;
import dev.plumb.web.query.LeakReportQuery;
import dev.plumb.web.query.SessionVerdict;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.springframework.stereotype.Component;

/**
 * The annotations an alert carries: what leaks (the top backtraces over the window, linear
 * ones first), how fast, how straight, when it reaches the limit, and where to look.
 */
@Component
public class AlertEvidence {
    public static final int TOP_BACKTRACES = 5;
    private static final int FRAMES_SHOWN = 4;

    private final LeakReportQuery leaks;

    public AlertEvidence(LeakReportQuery leaks) {
        this.leaks = leaks;
    }

    public Map<String, String> annotations(AlertRule rule, SessionVerdict v, String externalUrl) {
        LeakVerdict.Result r = v.result();
        String rate = Humanize.bytes(Math.round(r.slopeBytesPerSec())) + "/s";
        OptionalDouble ttl = rule.secondsToLimit(r);
        String ttlText = ttl.isPresent() ? Math.round(ttl.getAsDouble()) + "s" : "";
        Map<String, String> a = new TreeMap<>();
        a.put("summary", "Linear memory leak in " + v.session().service() + " " + v.session().deployment()
                + " on " + v.session().host() + ": " + rate);
        a.put("description", "Retained memory of pid " + v.session().pid() + " (" + v.session().exe()
                + ") grows linearly at " + rate + " (R² " + String.format(Locale.ROOT, "%.3f", r.r2())
                + ") over the last " + Humanize.duration(java.time.Duration.ofNanos(v.window().spanUs() * 1000))
                + "; now " + Humanize.bytes(r.lastBytes()) + " retained"
                + (ttl.isPresent() ? "; reaches " + Humanize.bytes(rule.memoryLimitBytes()) + " in " + ttlText : "") + ".");
        a.put("top_backtraces", topBacktraces(v));
        a.put("slope_bytes_per_second", String.format(Locale.ROOT, "%.1f", r.slopeBytesPerSec()));
        a.put("r2", String.format(Locale.ROOT, "%.4f", r.r2()));
        a.put("time_to_limit", ttlText);
        a.put("view_url", externalUrl + "/sessions/" + v.session().id());
        return a;
    }

    private String topBacktraces(SessionVerdict v) {
        LeakFilter inWindow = new LeakFilter(v.window().startUs(), v.window().endUs(), 0, null, 20);
        List<LeakReport> reports = leaks.find(v.session().id(), inWindow, LeakReportQuery.DEFAULT_SERIES_POINTS)
                .orElse(List.of());
        return reports.stream()
                .sorted(Comparator.comparing((LeakReport r) -> r.verdict().kind() != LeakVerdict.Kind.LINEAR)
                        .thenComparing(r -> -r.verdict().slopeBytesPerSec()))
                .limit(TOP_BACKTRACES)
                .map(AlertEvidence::line)
                .collect(Collectors.joining("\n"));
    }

    private static String line(LeakReport r) {
        String frames = r.group().frames().stream().limit(FRAMES_SHOWN).map(Frame::function)
                .collect(Collectors.joining(" ← "));
        return frames + ": " + Humanize.bytes(Math.round(r.verdict().slopeBytesPerSec())) + "/s, "
                + r.verdict().verdict() + ", R² " + String.format(Locale.ROOT, "%.3f", r.verdict().r2())
                + ", " + Humanize.bytes(r.group().bytesLeaked()) + " retained";
    }
}

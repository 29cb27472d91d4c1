package dev.plumb.web.query;

import dev.plumb.web.analysis.LeakVerdict;

/** The verdict on one session's total retained bytes over a window of it. */
public record SessionVerdict(SessionRow session, TimeRange window, LeakVerdict.Result result) {
}

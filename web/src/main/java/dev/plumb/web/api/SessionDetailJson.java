package dev.plumb.web.api;

import dev.plumb.web.query.SessionRow;
import dev.plumb.web.query.SessionTotals;

/** /api/sessions/{id}: the session and its totals. */
public record SessionDetailJson(long id, String host, String service, String deployment, int pid, String exe,
        String startedAt, String endedAt, String state,
        long allocations, long frees, long bytesAllocated, long bytesFreed, long bytesLeaked,
        long droppedEvents) {

    static SessionDetailJson of(SessionRow s, SessionTotals t) {
        return new SessionDetailJson(s.id(), s.host(), s.service(), s.deployment(), s.pid(), s.exe(),
                s.startedAt().toString(), s.endedAt() == null ? null : s.endedAt().toString(), s.state(),
                t.allocations(), t.frees(), t.bytesAllocated(), t.bytesFreed(), t.bytesLeaked(),
                s.droppedEvents());
    }
}

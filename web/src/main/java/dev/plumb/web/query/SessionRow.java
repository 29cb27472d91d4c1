package dev.plumb.web.query;

import java.time.Instant;

/** One row of {@code sessions}: a profiled process. endedAt is null while it runs. */
public record SessionRow(long id, String host, String service, String deployment, int pid, String exe,
        Instant startedAt, Instant endedAt, long droppedEvents) {

    /** "running" while ended_at is null, else "ended". */
    public String state() {
        return endedAt == null ? "running" : "ended";
    }
}

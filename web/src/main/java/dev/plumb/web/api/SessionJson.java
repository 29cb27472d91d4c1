package dev.plumb.web.api;

import dev.plumb.web.query.SessionRow;

/** A session in /api/sessions. Times are ISO-8601 instants; endedAt is null while running. */
public record SessionJson(long id, String host, String service, String deployment, int pid, String exe,
        String startedAt, String endedAt, String state) {

    static SessionJson of(SessionRow s) {
        return new SessionJson(s.id(), s.host(), s.service(), s.deployment(), s.pid(), s.exe(),
                s.startedAt().toString(), s.endedAt() == null ? null : s.endedAt().toString(), s.state());
    }
}

package dev.plumb.web.api;

import java.util.List;

/** /api/sessions: one page of sessions and the total count. */
public record SessionPageJson(List<SessionJson> items, long total, int limit, long offset) {
}

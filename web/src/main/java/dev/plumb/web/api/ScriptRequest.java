package dev.plumb.web.api;

/** The body of POST /api/script; points is optional (default 200). */
public record ScriptRequest(Long session, String script, Integer points) {
}

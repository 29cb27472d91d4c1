package dev.plumb.web.api;

import java.util.List;

/** {"series": [{"name", "points": [[t ms, bytes], …]}]}: one series per .add, in order. */
public record ScriptResultJson(List<Series> series) {
    public record Series(String name, List<long[]> points) {
    }
}

package dev.plumb.web.script;

import dev.plumb.web.query.AllocationSelection;
import java.util.List;

/**
 * What a script asks for: one named selection per {@code .add} of a saved graph, in order, and
 * every regex it uses with where it was written (so the database's verdict on each can be
 * reported at its line and column).
 */
public record ScriptPlan(List<Series> series, List<RegexUse> regexes) {
    public ScriptPlan {
        series = List.copyOf(series);
        regexes = List.copyOf(regexes);
    }

    public record Series(String name, AllocationSelection selection) {
    }

    public record RegexUse(String regex, int line, int column) {
    }
}

package dev.plumb.web.api;

import dev.plumb.web.flame.FlameTree;
import dev.plumb.web.query.Frame;
import dev.plumb.web.query.StackFramesQuery;
import dev.plumb.web.query.StackTotalsQuery;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.springframework.stereotype.Component;

/** Per-backtrace totals (one map per slot) merged into a {@link FlameTree}, fetching frames once for all stacks. */
@Component
class FlameTreeLoader {
    private final StackFramesQuery frames;

    FlameTreeLoader(StackFramesQuery frames) {
        this.frames = frames;
    }

    FlameTree tree(Map<Integer, Map<Long, StackTotalsQuery.Total>> slots) {
        Set<Long> ids = new HashSet<>();
        slots.values().forEach(m -> ids.addAll(m.keySet()));
        Map<Long, List<Frame>> framesByStack = frames.framesOf(ids);
        FlameTree tree = new FlameTree();
        slots.forEach((slot, stacks) -> stacks.forEach((stackId, t) ->
                tree.add(framesByStack.getOrDefault(stackId, List.of()), slot, t.bytes(), t.count())));
        return tree;
    }

    /** The frames of the given stacks (for tables next to the tree). */
    Map<Long, List<Frame>> frames(Set<Long> stackIds) {
        return frames.framesOf(stackIds);
    }
}

package dev.plumb.web.api;

import dev.plumb.web.flame.FlameTree;
import java.util.List;

/**
 * A flamegraph as a flat pre-order node list: nodes[0] is the root ("all"), every other node
 * names its parent's index. bytes and count are sample-weighted sums of the backtraces through it.
 */
public record FlamegraphJson(String filter, long totalBytes, long totalCount, int omittedBelowBytes,
        List<Node> nodes) {
    public record Node(String name, int parent, long bytes, long count) {
    }

    static FlamegraphJson of(String filter, List<FlameTree.FlatNode> flat, long minBytes) {
        List<Node> nodes = flat.stream()
                .map(n -> new Node(n.name(), n.parent(), n.bytes()[0], n.count()[0])).toList();
        return new FlamegraphJson(filter, nodes.get(0).bytes(), nodes.get(0).count(), (int) Math.min(minBytes,
                Integer.MAX_VALUE), nodes);
    }
}

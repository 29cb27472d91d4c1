package dev.plumb.web.flame;

import dev.plumb.web.query.Frame;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Backtraces merged into a call tree, root (outermost frame) first, as a flamegraph draws
 * them: a node's value is the sum of the backtraces passing through it. Frames merge by
 * function name, like folded stacks. Each node holds two values so that one tree serves both
 * a flamegraph (slot 0) and a diff of two profiles (base in slot 0, target in slot 1).
 * Flattened pre-order with parent indexes, so deep stacks never become deeply nested JSON.
 */
public final class FlameTree {
    public static final int BASE = 0;
    public static final int TARGET = 1;

    private final Node root = new Node("all");

    private static final class Node {
        final String name;
        final long[] bytes = new long[2];
        final long[] count = new long[2];
        final Map<String, Node> children = new LinkedHashMap<>();

        Node(String name) {
            this.name = name;
        }

        long weight() {
            return Math.max(bytes[0], bytes[1]);
        }
    }

    /** One flattened node; parent is -1 for the root. */
    public record FlatNode(String name, int parent, long[] bytes, long[] count) {
    }

    /** Adds a backtrace (innermost frame first, as stored) to the given slot. */
    public void add(List<Frame> innermostFirst, int slot, long bytes, long count) {
        Node node = root;
        add(node, slot, bytes, count);
        for (int i = innermostFirst.size() - 1; i >= 0; i--) {
            String fn = innermostFirst.get(i).function();
            String name = fn == null || fn.isEmpty() ? "[unknown]" : fn;
            node = node.children.computeIfAbsent(name, Node::new);
            add(node, slot, bytes, count);
        }
    }

    private static void add(Node node, int slot, long bytes, long count) {
        node.bytes[slot] += bytes;
        node.count[slot] += count;
    }

    /**
     * Pre-order, children largest first. Subtrees under minBytes (in both slots) are left out:
     * narrower than a pixel, they would only cost transfer and layout; the parents still count them.
     */
    public List<FlatNode> flatten(long minBytes) {
        List<FlatNode> out = new ArrayList<>();
        flatten(root, -1, Math.max(1, minBytes), out);
        return out;
    }

    private static void flatten(Node node, int parent, long minBytes, List<FlatNode> out) {
        // iterative over siblings, recursive over depth (bounded by the capture's stack depth)
        int index = out.size();
        out.add(new FlatNode(node.name, parent, node.bytes.clone(), node.count.clone()));
        node.children.values().stream()
                .filter(c -> c.weight() >= minBytes)
                .sorted(Comparator.comparingLong(Node::weight).reversed().thenComparing(c -> c.name))
                .forEach(c -> flatten(c, index, minBytes, out));
    }

    public long total(int slot) {
        return root.bytes[slot];
    }
}

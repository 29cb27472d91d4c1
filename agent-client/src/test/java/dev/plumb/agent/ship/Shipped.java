package dev.plumb.agent.ship;

import dev.plumb.wire.Batch;
import dev.plumb.wire.Frame;
import dev.plumb.wire.FrameReader;
import java.io.BufferedInputStream;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a shipper delivered, read back from the frames (a recording, or what a test gatherer
 * stored), and what the gatherer would make of it.
 */
final class Shipped {
    final List<Batch> batches;
    private final Map<Integer, String> stackNames = new HashMap<>();

    Shipped(List<Batch> batches) {
        this.batches = List.copyOf(batches);
        for (Batch b : batches) {
            for (Batch.StackDef def : b.stacks()) {
                String name = def.frames().stream().map(Batch.StackFrame::function).reduce((x, y) -> x + ";" + y).orElse("");
                String known = stackNames.putIfAbsent(def.stackId(), name);
                if (known != null && !known.equals(name)) {
                    throw new AssertionError("stack " + def.stackId() + " defined as " + known + " and as " + name);
                }
            }
        }
    }

    static Shipped readRecording(Path recording) throws Exception {
        List<Batch> batches = new ArrayList<>();
        try (InputStream in = new BufferedInputStream(Files.newInputStream(recording))) {
            FrameReader reader = new FrameReader(in);
            for (Frame f = reader.read(); f != null; f = reader.read()) {
                if (f instanceof Batch b) {
                    batches.add(b);
                }
            }
        }
        return new Shipped(batches);
    }

    List<Batch.Alloc> allocs() {
        return batches.stream().flatMap(b -> b.allocs().stream()).toList();
    }

    List<Batch.Free> frees() {
        return batches.stream().flatMap(b -> b.frees().stream()).toList();
    }

    long rows() {
        return allocs().size() + frees().size();
    }

    String stackName(int stackId) {
        String name = stackNames.get(stackId);
        if (name == null) {
            throw new AssertionError("stack " + stackId + " used but never defined");
        }
        return name;
    }

    /**
     * What the gatherer's rollup (stack_usage) would hold, per backtrace and second: weighted
     * allocations, bytes allocated, frees, bytes freed, released and bytes released — the same
     * sums UsageRollup makes. Keyed "backtrace @ second" so a difference names both.
     */
    Map<String, List<Double>> usagePerStackAndSecond() {
        Map<String, double[]> sums = new TreeMap<>();
        for (Batch.Alloc a : allocs()) {
            double[] s = sums.computeIfAbsent(key(a.stackId(), a.atMicros()), k -> new double[6]);
            s[0] += a.weight();
            s[1] += a.size() * a.weight();
        }
        for (Batch.Free f : frees()) {
            double[] freed = sums.computeIfAbsent(key(f.stackId(), f.atMicros()), k -> new double[6]);
            freed[2] += f.weight();
            freed[3] += f.bytes();
            double[] released = sums.computeIfAbsent(key(f.stackId(), f.allocatedAtMicros()), k -> new double[6]);
            released[4] += f.weight();
            released[5] += f.bytes();
        }
        Map<String, List<Double>> result = new TreeMap<>();
        sums.forEach((k, v) -> result.put(k, List.of(v[0], v[1], v[2], v[3], v[4], v[5])));
        return result;
    }

    private String key(int stackId, long atMicros) {
        return stackName(stackId) + " @ " + Math.floorDiv(atMicros, 1_000_000L);
    }
}

package dev.plumb.wire;

import java.util.List;

/**
 * A unit of exactly-once delivery: everything the agent learned since the previous batch.
 * Stacks are defined before first use on a connection; allocations and frees reference them
 * by the agent's stack id. A batch with {@code endedAtMicros > 0} is the session's last.
 */
public record Batch(long seq, List<StackDef> stacks, List<Alloc> allocs, List<Free> frees,
                    long endedAtMicros) implements Frame {
    public Batch {
        stacks = List.copyOf(stacks);
        allocs = List.copyOf(allocs);
        frees = List.copyOf(frees);
    }

    @Override
    public FrameType type() {
        return FrameType.BATCH;
    }

    public boolean isFinal() {
        return endedAtMicros > 0;
    }

    /** A symbolized backtrace, innermost frame (the allocation site) first. */
    public record StackDef(int stackId, List<StackFrame> frames) {
        public StackDef {
            frames = List.copyOf(frames);
        }
    }

    /** One symbolized frame; {@code file} is empty and {@code line} 0 when unknown. */
    public record StackFrame(String function, String module, String file, int line) {
    }

    /**
     * An allocation, identified within its session by the agent's {@code allocId}. One row
     * stands for {@code weight} real allocations: in sampled mode a sample's unbiasing weight;
     * for temporaries the agent condensed (same stack and size, allocated in one second, freed
     * in one second) the sum of their weights; otherwise 1. Every sum over allocations
     * multiplies by it: totals are never scaled afterwards.
     */
    public record Alloc(long allocId, int stackId, long size, long atMicros, double weight) {
        public Alloc(long allocId, int stackId, long size, long atMicros) {
            this(allocId, stackId, size, atMicros, 1.0);
        }
    }

    /**
     * The release of an allocation sent earlier in the same session. It repeats what the
     * gatherer needs to keep its per-backtrace rollups without looking the allocation up:
     * its stack, size, weight and when it was made (protocol version 2).
     */
    public record Free(long allocId, long atMicros, int stackId, long size, long allocatedAtMicros, double weight) {
        /** The release of {@code alloc} at {@code atMicros}. */
        public static Free of(Alloc alloc, long atMicros) {
            return new Free(alloc.allocId(), atMicros, alloc.stackId(), alloc.size(), alloc.atMicros(), alloc.weight());
        }

        /** The same release at another time (importers shift their relative clocks). */
        public Free at(long newAtMicros, long newAllocatedAtMicros) {
            return new Free(allocId, newAtMicros, stackId, size, newAllocatedAtMicros, weight);
        }

        public double bytes() {
            return size * weight;
        }
    }
}

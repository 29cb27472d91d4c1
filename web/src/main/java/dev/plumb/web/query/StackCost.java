package dev.plumb.web.query;

import java.util.List;

/**
 * What one backtrace of a session cost: everything it allocated, and what of that is still
 * alive at the end (leaked). Counts and bytes are sample-weighted. Frames innermost first.
 */
public record StackCost(long stackId, List<Frame> frames, long allocations, long bytesAllocated,
        long leaked, long bytesLeaked) {
    public StackCost {
        frames = List.copyOf(frames);
    }
}

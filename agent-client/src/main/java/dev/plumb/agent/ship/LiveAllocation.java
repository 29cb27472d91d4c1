package dev.plumb.agent.ship;

import dev.plumb.wire.Batch;

/**
 * An allocation the agent has seen and not yet seen freed. While it is young (not shipped) it
 * sits in the {@link Condenser}'s age-ordered list, linked through {@code older}/{@code younger}
 * so a free can take it out in O(1).
 */
final class LiveAllocation {
    final long allocId;
    final int stackId;
    final long size;
    final long atMicros;
    final double weight;
    boolean shipped;
    LiveAllocation older;
    LiveAllocation younger;

    LiveAllocation(long allocId, int stackId, long size, long atMicros, double weight) {
        this.allocId = allocId;
        this.stackId = stackId;
        this.size = size;
        this.atMicros = atMicros;
        this.weight = weight;
    }

    Batch.Alloc toAlloc() {
        return new Batch.Alloc(allocId, stackId, size, atMicros, weight);
    }

    Batch.Free freedAt(long freedAtMicros) {
        return new Batch.Free(allocId, freedAtMicros, stackId, size, atMicros, weight);
    }
}

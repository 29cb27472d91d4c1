package dev.plumb.gatherer.store;

import dev.plumb.wire.Batch;
import java.util.Map;

/**
 * A batch checked and ready to be written, possibly together with other agents' batches:
 * its session, the session's partition day, and the stored id of every stack it refers to.
 */
public record PendingBatch(long sessionId, int day, Batch batch, Map<Integer, Long> stackIds) {
    public PendingBatch {
        stackIds = Map.copyOf(stackIds);
    }

    long stackId(int agentStackId) {
        Long id = stackIds.get(agentStackId);
        if (id == null) {
            // IngestStore.prepare checked every reference; reaching this is a bug, not bad input
            throw new IllegalStateException("stack " + agentStackId + " was not resolved");
        }
        return id;
    }

    public int events() {
        return batch.allocs().size() + batch.frees().size();
    }
}

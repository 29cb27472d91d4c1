package dev.plumb.agent.ship;

/** Counts for the summary `plumb run` prints: written under the shipper's lock, read after its capture thread ended. */
public final class ShipperStats {
    int pid;
    String exe = "?";
    long allocations;
    long frees;
    long bytesAllocated;
    long stacks;
    long batches;
    long liveAtEnd;
    long droppedEvents;
    long connections;
    long retries;

    public String summary() {
        return String.format("pid %d (%s): %,d allocations, %,d frees, %,d distinct stacks, %,d still live at exit,"
                + " %,d batches delivered%s%s", pid, exe, allocations, frees, stacks, liveAtEnd, batches,
                connections > 1 ? " over " + connections + " connections" : "",
                droppedEvents > 0 ? ", " + droppedEvents + " events NOT delivered" : "");
    }

    public long droppedEvents() {
        return droppedEvents;
    }

    public long allocations() {
        return allocations;
    }

    public long frees() {
        return frees;
    }
}

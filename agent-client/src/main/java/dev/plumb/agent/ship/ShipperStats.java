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
    /** FREE records for addresses the stream never allocated (before capture started; a sample not taken). */
    long unmatchedFrees;
    /** Sampled mode: SAMPLE records the agent's spool left out because it was full. */
    long spoolDroppedSamples;
    /** Temporaries folded into condensed rows, and those rows (a row and its free each). */
    long condensedAllocations;
    long condensedRows;
    /** Young allocations shipped before the threshold because the young buffer was full. */
    long youngEvicted;
    dev.plumb.agent.capture.CaptureCounters library;
    private long eventsAtLastProgress;
    private long nanosAtLastProgress = System.nanoTime();

    public String summary() {
        return String.format("pid %d (%s): %,d allocations, %,d frees, %,d distinct stacks, %,d still live at exit,"
                + " %s, %,d batches delivered%s%s", pid, exe, allocations, frees, stacks, liveAtEnd, condensing(),
                batches, connections > 1 ? " over " + connections + " connections" : "",
                droppedEvents > 0 ? ", " + droppedEvents + " events NOT delivered" : "") + librarySummary();
    }

    /** How much condensing saved: temporaries folded, the rows they became, early evictions. */
    private String condensing() {
        return String.format("%,d temporaries condensed into %,d rows", condensedAllocations, condensedRows)
                + (youngEvicted > 0 ? String.format(" (%,d shipped early: young buffer full)", youngEvicted) : "");
    }

    /** What the capture library itself reported: time the program waited, samples it dropped. */
    private String librarySummary() {
        if (library == null) {
            return "";
        }
        StringBuilder s = new StringBuilder();
        s.append(String.format("; the capture library recorded %,d events", library.events()));
        if (unmatchedFrees > 0) {
            s.append(String.format(" (%,d frees of memory allocated before capture, ignored)", unmatchedFrees));
        }
        if (library.waits() > 0) {
            s.append(String.format("; the program waited %,d times (%,d ms) for the agent", library.waits(),
                    library.waitMicros() / 1000));
        }
        if (library.droppedSamples() > 0) {
            s.append(String.format("; %,d samples dropped (sampled-address set full)", library.droppedSamples()));
        }
        if (spoolDroppedSamples > 0) {
            s.append(String.format("; %,d samples dropped (agent spool full: decoding was --spool-limit behind)",
                    spoolDroppedSamples));
        }
        return s.toString();
    }

    /** One line for a long run: progress since the previous line; called under the shipper's lock. */
    String progress(long spoolLagBytes) {
        long events = allocations + frees;
        long now = System.nanoTime();
        double seconds = Math.max(1e-9, (now - nanosAtLastProgress) / 1e9);
        String line = String.format("pid %d: %,d events (%,.0f/s), %,d stacks, %,d KiB captured but not yet"
                + " processed, %s, %,d batches delivered, %,d reconnect attempts, %,d events undelivered", pid, events,
                (events - eventsAtLastProgress) / seconds, stacks, spoolLagBytes / 1024, condensing(), batches, retries,
                droppedEvents);
        eventsAtLastProgress = events;
        nanosAtLastProgress = now;
        return line;
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

    public long condensedAllocations() {
        return condensedAllocations;
    }

    public long condensedRows() {
        return condensedRows;
    }

    public long youngEvicted() {
        return youngEvicted;
    }
}

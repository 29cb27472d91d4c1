package dev.plumb.web.query;

/**
 * Event totals of a session. frees and bytesFreed count only frees of allocations the
 * session recorded; bytesLeaked = bytesAllocated − bytesFreed (what is alive at the end).
 */
public record SessionTotals(long allocations, long frees, long bytesAllocated, long bytesFreed) {
    public long bytesLeaked() {
        return bytesAllocated - bytesFreed;
    }
}

package dev.plumb.web.pages;

/** The session page's server-rendered header; the graph and leak table load from the API. */
public record SessionView(long id, String service, String deployment, String host, int pid, String exe,
        String started, String ended, String duration, String state,
        String allocations, String frees, String bytesAllocated, String bytesFreed, String bytesLeaked,
        String droppedEvents, boolean hasDrops) {
}

package dev.plumb.web.query;

/**
 * The process's memory at one time: heapBytes = retained (allocated at or before t, not freed
 * at or before t); leakedBytes = allocated at or before t and never freed at all.
 */
public record MemoryPoint(long tMillis, long heapBytes, long leakedBytes) {
}

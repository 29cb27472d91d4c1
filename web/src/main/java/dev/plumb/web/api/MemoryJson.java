package dev.plumb.web.api;

import dev.plumb.web.query.MemoryPoint;

/** A point of /api/sessions/{id}/memory: t in epoch milliseconds. */
public record MemoryJson(long t, long heapBytes, long leakedBytes) {
    static MemoryJson of(MemoryPoint p) {
        return new MemoryJson(p.tMillis(), p.heapBytes(), p.leakedBytes());
    }
}

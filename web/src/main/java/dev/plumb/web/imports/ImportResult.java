package dev.plumb.web.imports;

import java.time.Instant;

/**
 * What an import stored: the new session and the recording's totals (sample-weighted counts, as
 * every Plumb total). peakBytes is the highest heap in the file's own order of events.
 */
public record ImportResult(long session, String format, String service, Instant startedAt, Instant endedAt,
        long allocations, long frees, long bytesAllocated, long bytesLeaked, long peakBytes) {
}

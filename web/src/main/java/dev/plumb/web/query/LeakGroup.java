package dev.plumb.web.query;

import java.util.List;

/**
 * The leaked allocations of one backtrace: their bytes and count, and the backtrace itself,
 * innermost frame (the allocation site) first.
 */
public record LeakGroup(long stackId, long bytesLeaked, long count, List<Frame> frames) {

    /** The allocation site's function, or "?" for a stack without frames. */
    public String innermostFunction() {
        return frames.isEmpty() ? "?" : frames.get(0).function();
    }
}

package dev.plumb.web.export;

import dev.plumb.web.query.SessionRow;
import dev.plumb.web.query.StackCost;
import java.io.IOException;
import java.io.OutputStream;
import java.util.List;

/**
 * One output format of GET /api/sessions/{id}/export — one class per format, as
 * async-profiler's converters. Each gets the session's per-backtrace costs (frames innermost
 * first) and writes the whole file.
 */
public interface ProfileExport {
    /** The value of ?format=. */
    String format();

    String contentType();

    String fileExtension();

    void write(SessionRow session, List<StackCost> stacks, ProfileValue value, OutputStream out) throws IOException;
}

package dev.plumb.web.imports;

import dev.plumb.wire.Batch;
import java.util.Map;

/**
 * A recording read from a file, ready to store: what it says about the process and all its
 * events as one final {@link Batch} (stack ids are the reader's own). {@code peakBytes} is the
 * highest heap the recording reached, computed in the file's own event order.
 */
public record ImportedRecording(String format, String exe, int pid, Map<String, String> labels,
        long startedAtMicros, Batch content, long peakBytes) {
    public ImportedRecording {
        labels = Map.copyOf(labels);
    }
}

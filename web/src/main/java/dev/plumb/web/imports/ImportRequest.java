package dev.plumb.web.imports;

import java.time.Instant;

/**
 * What the uploader tells us beside the bytes. {@code fileName} is the original name (heaptrack
 * puts the pid in it: heaptrack.APP.PID.zst); {@code recordedUntil} anchors a recording whose
 * file has only relative times (heaptrack) — the CLI sends the file's modification time, which
 * is when heaptrack finished writing it; null means "now". Blank fields get defaults.
 */
public record ImportRequest(String fileName, String host, String service, String deployment, Instant recordedUntil) {
    public static ImportRequest defaults() {
        return new ImportRequest(null, null, null, null, null);
    }
}

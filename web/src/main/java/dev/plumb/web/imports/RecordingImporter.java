package dev.plumb.web.imports;

import dev.plumb.gatherer.store.IngestStore;
import dev.plumb.wire.Batch;
import dev.plumb.wire.FrameCodec;
import dev.plumb.wire.Hello;
import dev.plumb.wire.WireException;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.springframework.stereotype.Component;

/**
 * Imports a recording file as a new, ended session — through the gatherer's IngestStore, the
 * one writer, in one transaction. Each import gets a fresh agent_session, so importing the same
 * file twice gives two sessions (nothing in a heaptrack file identifies the run).
 */
@Component
public class RecordingImporter {
    static final String DEFAULT_HOST = "imported";
    static final String DEFAULT_DEPLOYMENT = "imported";

    private final IngestStore store;

    public RecordingImporter(IngestStore store) {
        this.store = store;
    }

    public ImportResult importFile(Path file, ImportRequest request) throws ImportException, SQLException {
        ImportedRecording recording = Recordings.read(file, request);
        Map<String, String> labels = new LinkedHashMap<>(recording.labels());
        if (!blank(request.fileName())) {
            labels.put("file", request.fileName());
        }
        String service = blank(request.service()) ? baseName(recording.exe()) : request.service();
        Hello session = new Hello(FrameCodec.PROTOCOL_VERSION, "", UUID.randomUUID(),
                blank(request.host()) ? DEFAULT_HOST : request.host(), service,
                blank(request.deployment()) ? DEFAULT_DEPLOYMENT : request.deployment(),
                recording.pid(), recording.exe(), recording.startedAtMicros(), labels);
        long id;
        try {
            id = store.storeImportedSession(session, recording.content());
        } catch (WireException e) {
            // the readers define every stack they use: this is a bug, not a bad file
            throw new IllegalStateException("import produced an inconsistent batch: " + e.getMessage(), e);
        }
        return result(id, recording, service);
    }

    private static ImportResult result(long id, ImportedRecording recording, String service) {
        Batch content = recording.content();
        Set<Long> freed = new HashSet<>();
        for (Batch.Free f : content.frees()) {
            freed.add(f.allocId());
        }
        double allocations = 0;
        double frees = 0;
        double bytes = 0;
        double bytesFreed = 0;
        for (Batch.Alloc a : content.allocs()) {
            allocations += a.weight();
            bytes += a.size() * a.weight();
            if (freed.contains(a.allocId())) {
                frees += a.weight();
                bytesFreed += a.size() * a.weight();
            }
        }
        return new ImportResult(id, recording.format(), service, micros(recording.startedAtMicros()),
                micros(content.endedAtMicros()), Math.round(allocations), Math.round(frees), Math.round(bytes),
                Math.round(bytes - bytesFreed), recording.peakBytes());
    }

    private static Instant micros(long us) {
        return Instant.EPOCH.plus(us, ChronoUnit.MICROS);
    }

    private static String baseName(String exe) {
        String base = exe.substring(exe.lastIndexOf('/') + 1);
        return base.isEmpty() ? "unknown" : base;
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }
}

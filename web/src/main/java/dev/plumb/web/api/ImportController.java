package dev.plumb.web.api;

import dev.plumb.web.imports.ImportException;
import dev.plumb.web.imports.ImportRequest;
import dev.plumb.web.imports.ImportResult;
import dev.plumb.web.imports.RecordingImporter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * POST /api/import — the body is a recording file (heaptrack .gz/.zst, or a gzipped pprof heap
 * profile), sent as application/octet-stream; it becomes a new ended session → 201 with the
 * session id and totals. The body is streamed to a temporary file, never held in memory, and
 * cut off at plumb.import.max-bytes (413). A file that cannot be read → 400 naming what is
 * wrong and where; nothing of it is stored.
 */
@RestController
public class ImportController {
    private final RecordingImporter importer;
    private final long maxBytes;

    public ImportController(RecordingImporter importer,
            @Value("${plumb.import.max-bytes:536870912}") long maxBytes) {
        this.importer = importer;
        this.maxBytes = maxBytes;
    }

    @PostMapping(path = "/api/import", produces = MediaType.APPLICATION_JSON_VALUE)
    public Mono<ResponseEntity<ImportResult>> importRecording(ServerHttpRequest request,
            @RequestParam(required = false) String name, @RequestParam(required = false) String host,
            @RequestParam(required = false) String service, @RequestParam(required = false) String deployment,
            @RequestParam(required = false) String recordedUntil) {
        Long untilUs = Params.instantMicros("recordedUntil", recordedUntil);
        ImportRequest what = new ImportRequest(name, host, service, deployment,
                untilUs == null ? null : Instant.EPOCH.plus(untilUs, ChronoUnit.MICROS));
        long declared = request.getHeaders().getContentLength();
        if (declared > maxBytes) {
            throw tooLarge();
        }
        return Mono.usingWhen(
                Mono.fromCallable(() -> Files.createTempFile("plumb-import-", ".upload")).subscribeOn(Schedulers.boundedElastic()),
                file -> receive(request, file).then(Mono.fromCallable(() -> store(file, what))
                        .subscribeOn(Schedulers.boundedElastic())),
                file -> Mono.fromCallable(() -> Files.deleteIfExists(file)).subscribeOn(Schedulers.boundedElastic()));
    }

    private Mono<Void> receive(ServerHttpRequest request, Path file) {
        AtomicLong received = new AtomicLong();
        return DataBufferUtils.write(request.getBody().map(buffer -> {
            if (received.addAndGet(buffer.readableByteCount()) > maxBytes) {
                DataBufferUtils.release(buffer);
                throw tooLarge();
            }
            return buffer;
        }), file);
    }

    private ResponseEntity<ImportResult> store(Path file, ImportRequest what) throws IOException, SQLException {
        if (Files.size(file) == 0) {
            throw ApiException.badRequest("the request body is empty; send the recording file as the body"
                    + " (Content-Type: application/octet-stream)");
        }
        try {
            return ResponseEntity.status(HttpStatus.CREATED).body(importer.importFile(file, what));
        } catch (ImportException e) {
            throw ApiException.badRequest(e.getMessage());
        }
    }

    private ApiException tooLarge() {
        return new ApiException(HttpStatus.PAYLOAD_TOO_LARGE, "the upload is larger than plumb.import.max-bytes ("
                + maxBytes + " bytes); raise it with --plumb.import.max-bytes=N");
    }
}

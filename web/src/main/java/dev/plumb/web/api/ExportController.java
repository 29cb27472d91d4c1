package dev.plumb.web.api;

import dev.plumb.web.export.ProfileExport;
import dev.plumb.web.export.ProfileValue;
import dev.plumb.web.query.SessionByIdQuery;
import dev.plumb.web.query.StackCostsQuery;
import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.http.ContentDisposition;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * GET /api/sessions/{id}/export?format=pprof|folded|speedscope|csv[&value=inuse_space|…] — the
 * session's backtraces as a file for other tools. {@code value} picks what folded stacks count
 * (and which profile speedscope opens first); pprof and CSV always carry all four values.
 */
@RestController
public class ExportController {
    private final Map<String, ProfileExport> formats = new LinkedHashMap<>();
    private final SessionByIdQuery byId;
    private final StackCostsQuery costs;

    public ExportController(List<ProfileExport> exports, SessionByIdQuery byId, StackCostsQuery costs) {
        exports.forEach(e -> formats.put(e.format(), e));
        this.byId = byId;
        this.costs = costs;
    }

    @GetMapping("/api/sessions/{id}/export")
    public Mono<ResponseEntity<byte[]>> export(@PathVariable String id,
            @RequestParam(required = false) String format, @RequestParam(required = false) String value) {
        long sid = Params.sessionId(id);
        ProfileExport export = formats.get(format == null || format.isBlank() ? "pprof" : format.trim());
        if (export == null) {
            throw ApiException.badRequest("format must be one of " + formats.keySet() + ", got '" + format + "'");
        }
        ProfileValue profileValue = value == null || value.isBlank() ? ProfileValue.INUSE_SPACE
                : ProfileValue.bySampleType(value.trim());
        if (profileValue == null) {
            throw ApiException.badRequest("value must be one of "
                    + Arrays.stream(ProfileValue.values()).map(ProfileValue::sampleType).toList() + ", got '" + value + "'");
        }
        return Mono.fromCallable(() -> {
            var session = byId.find(sid).orElseThrow(() -> ApiException.notFound("session " + sid + " not found"));
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            export.write(session, costs.costs(sid), profileValue, body);
            return ResponseEntity.ok()
                    .contentType(MediaType.parseMediaType(export.contentType()))
                    .header(HttpHeaders.CONTENT_DISPOSITION, ContentDisposition.attachment()
                            .filename("plumb-session-" + sid + "." + export.fileExtension()).build().toString())
                    .body(body.toByteArray());
        }).subscribeOn(Schedulers.boundedElastic());
    }
}

package dev.plumb.web.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import dev.plumb.web.imports.HeaptrackRecording;
import dev.plumb.web.support.SyntheticSession;
import dev.plumb.web.support.TestDatabase;
import dev.plumb.webtest.TestWebApp;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** POST /api/import and GET /api/sessions/{id}/export against the real schema and queries. */
class InteropApiTest {
    static final JsonMapper json = JsonMapper.builder().build();
    static SyntheticSession synthetic;

    @TempDir
    static Path dir;

    @BeforeAll
    static void createSession() throws Exception {
        synthetic = SyntheticSession.create(TestDatabase.dataSource(), "interop-" + System.nanoTime());
    }

    static JsonNode jsonOf(HttpResponse<byte[]> r) {
        return json.readTree(new String(r.body(), StandardCharsets.UTF_8));
    }

    static JsonNode session(long id) {
        HttpResponse<String> r = TestWebApp.get("/api/sessions/" + id);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return json.readTree(r.body());
    }

    static long sessionCount() {
        return json.readTree(TestWebApp.get("/api/sessions?limit=1").body()).path("total").asLong(-1);
    }

    @Test
    void pprofExportImportsBackWithTheSameTotals() {
        HttpResponse<byte[]> pprof = TestWebApp.getBytes("/api/sessions/" + synthetic.id + "/export?format=pprof");
        assertThat(pprof.statusCode()).isEqualTo(200);
        assertThat(pprof.headers().firstValue("Content-Disposition")).get().asString().contains(".pb.gz");

        HttpResponse<byte[]> imported = TestWebApp.postBytes("/api/import?service=roundtrip", pprof.body());
        assertThat(imported.statusCode()).as(new String(imported.body(), StandardCharsets.UTF_8)).isEqualTo(201);
        JsonNode result = jsonOf(imported);
        assertThat(result.path("format").asString()).isEqualTo("pprof");
        JsonNode copy = session(result.path("session").asLong());
        JsonNode original = session(synthetic.id);
        for (String total : List.of("allocations", "frees", "bytesAllocated", "bytesFreed", "bytesLeaked")) {
            assertThat(copy.path(total).asLong()).as(total).isEqualTo(original.path(total).asLong());
        }
        assertThat(copy.path("bytesLeaked").asLong()).isEqualTo(SyntheticSession.LEAKED_BYTES);
        assertThat(copy.path("state").asString()).isEqualTo("ended");
        assertThat(copy.path("service").asString()).isEqualTo("roundtrip");

        // same backtraces, same leaked bytes per backtrace
        JsonNode topCopy = json.readTree(TestWebApp.get("/api/sessions/" + copy.path("id").asLong() + "/leaks").body())
                .path("items").path(0);
        assertThat(topCopy.path("frames").path(0).path("function").asString()).isEqualTo("honeycomb::span::new");
        assertThat(topCopy.path("bytesLeaked").asLong()).isEqualTo(SyntheticSession.LINEAR_BYTES);
    }

    @Test
    void foldedIsRootFirstWithOneValuePerLine() {
        HttpResponse<String> folded = TestWebApp.get("/api/sessions/" + synthetic.id + "/export?format=folded");
        assertThat(folded.statusCode()).isEqualTo(200);
        assertThat(folded.headers().firstValue("Content-Type")).get().asString().startsWith("text/plain");
        List<String> lines = folded.body().lines().toList();
        Pattern line = Pattern.compile("[^;\\n]+(;[^;\\n]+)* \\d+");
        assertThat(lines).allSatisfy(l -> assertThat(l).matches(line));
        assertThat(lines).contains("proxy::handle;tracing::dispatch;honeycomb::span::new " + SyntheticSession.LINEAR_BYTES);
        assertThat(lines.stream().mapToLong(l -> Long.parseLong(l.substring(l.lastIndexOf(' ') + 1))).sum())
                .isEqualTo(SyntheticSession.LEAKED_BYTES);

        String allocated = TestWebApp.get("/api/sessions/" + synthetic.id + "/export?format=folded&value=alloc_space").body();
        assertThat(allocated.lines().mapToLong(l -> Long.parseLong(l.substring(l.lastIndexOf(' ') + 1))).sum())
                .isEqualTo(SyntheticSession.BYTES_ALLOCATED);
    }

    @Test
    void speedscopeMatchesItsSchema() throws Exception {
        HttpResponse<byte[]> r = TestWebApp.getBytes("/api/sessions/" + synthetic.id + "/export?format=speedscope");
        assertThat(r.statusCode()).isEqualTo(200);
        ObjectMapper jackson2 = new ObjectMapper();
        com.fasterxml.jackson.databind.JsonNode file = jackson2.readTree(r.body());
        try (InputStream schemaText = getClass().getResourceAsStream("/imports/speedscope-file-format-schema.json")) {
            JsonSchema schema = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V6).getSchema(schemaText);
            Set<ValidationMessage> problems = schema.validate(file);
            assertThat(problems).isEmpty();
        }
        assertThat(file.path("profiles").size()).isEqualTo(4);
        com.fasterxml.jackson.databind.JsonNode leaked = file.path("profiles").path(0);
        assertThat(leaked.path("unit").asText()).isEqualTo("bytes");
        assertThat(leaked.path("endValue").asLong()).isEqualTo(SyntheticSession.LEAKED_BYTES);
        // samples are root first: the leaf of the biggest leak is its last frame
        int leaf = leaked.path("samples").path(0).path(leaked.path("samples").path(0).size() - 1).asInt();
        assertThat(file.path("shared").path("frames").path(leaf).path("name").asText()).isEqualTo("honeycomb::span::new");

        // and the schema does catch a broken file
        ((com.fasterxml.jackson.databind.node.ObjectNode) leaked).put("type", "instant");
        try (InputStream schemaText = getClass().getResourceAsStream("/imports/speedscope-file-format-schema.json")) {
            assertThat(JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V6).getSchema(schemaText).validate(file))
                    .isNotEmpty();
        }
    }

    @Test
    void csvHasOneRowPerBacktrace() {
        HttpResponse<String> csv = TestWebApp.get("/api/sessions/" + synthetic.id + "/export?format=csv");
        assertThat(csv.statusCode()).isEqualTo(200);
        List<String> rows = csv.body().lines().toList();
        assertThat(rows.get(0)).isEqualTo("stack_id,allocations,bytes_allocated,leaked_allocations,bytes_leaked,"
                + "function,file,line,module,backtrace");
        assertThat(rows).hasSize(1 + 5);
        assertThat(rows.get(1)).startsWith(synthetic.linearStack + ",100,100000,100,100000,honeycomb::span::new,");
    }

    @Test
    void badExportRequestsSayWhatIsAccepted() {
        HttpResponse<String> r = TestWebApp.get("/api/sessions/" + synthetic.id + "/export?format=svg");
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(json.readTree(r.body()).path("error").asString()).contains("pprof", "folded", "speedscope", "csv");
        assertThat(TestWebApp.get("/api/sessions/999999999/export?format=csv").statusCode()).isEqualTo(404);
        assertThat(TestWebApp.get("/api/sessions/" + synthetic.id + "/export?format=folded&value=rss").statusCode())
                .isEqualTo(400);
    }

    @Test
    void heaptrackRecordingImportsWithHeaptrackPrintsTotals() throws Exception {
        HeaptrackRecording recording = HeaptrackRecording.record(dir);
        HttpResponse<byte[]> r = TestWebApp.postBytes("/api/import?name=" + recording.file.getFileName()
                + "&deployment=v9&recordedUntil=2024-06-01T12:00:00Z", Files.readAllBytes(recording.file));
        assertThat(r.statusCode()).as(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo(201);
        JsonNode result = jsonOf(r);
        JsonNode s = session(result.path("session").asLong());
        assertThat(s.path("allocations").asLong()).isEqualTo(recording.printTotal("allocations"));
        assertThat(s.path("bytesLeaked").asLong()).isEqualTo(recording.printTotal("leaked"));
        assertThat(result.path("peakBytes").asLong()).isEqualTo(recording.printTotal("peak"));
        assertThat(s.path("state").asString()).isEqualTo("ended");
        assertThat(s.path("pid").asInt()).isEqualTo(4242);
        assertThat(s.path("deployment").asString()).isEqualTo("v9");
        assertThat(s.path("endedAt").asString()).startsWith("2024-06-01T12:00:00");
    }

    @Test
    void aBrokenFileIsRejectedByNameAndNothingIsStored() throws Exception {
        long before = sessionCount();
        HttpResponse<byte[]> unknown = TestWebApp.postBytes("/api/import", "PK\u0003\u0004 not a recording".getBytes(StandardCharsets.ISO_8859_1));
        assertThat(unknown.statusCode()).isEqualTo(400);
        assertThat(jsonOf(unknown).path("error").asString()).startsWith("unknown format:");

        byte[] corrupt = "v 10400 3\nX ./p\na 10 0\n+ 0\n+ 7\n".getBytes(StandardCharsets.US_ASCII);
        HttpResponse<byte[]> bad = TestWebApp.postBytes("/api/import", corrupt);
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(jsonOf(bad).path("error").asString())
                .isEqualTo("heaptrack recording is corrupt at line 5: refers to allocation info 0x7, but only 1 are defined");

        HttpResponse<byte[]> pprof = TestWebApp.getBytes("/api/sessions/" + synthetic.id + "/export?format=pprof");
        HttpResponse<byte[]> cut = TestWebApp.postBytes("/api/import",
                Arrays.copyOf(pprof.body(), pprof.body().length - 20));
        assertThat(cut.statusCode()).isEqualTo(400);
        assertThat(jsonOf(cut).path("error").asString()).startsWith("pprof profile is truncated at byte ");

        assertThat(TestWebApp.postBytes("/api/import", new byte[0]).statusCode()).isEqualTo(400);
        assertThat(sessionCount()).isEqualTo(before);
    }
}

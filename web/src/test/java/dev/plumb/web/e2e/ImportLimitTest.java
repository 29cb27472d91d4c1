package dev.plumb.web.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.plumb.web.cli.RunningServer;
import dev.plumb.web.cli.ServerOptions;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An upload over plumb.import.max-bytes is refused with 413 and a JSON reason; nothing is stored. */
class ImportLimitTest {
    @TempDir
    Path dataDir;

    @Test
    void oversizedUploadIs413AndStoresNothing() throws Exception {
        try (RunningServer server = RunningServer.start(new ServerOptions(0, 0, dataDir, null, null, null, null,
                List.of("--plumb.import.max-bytes=1024")))) {
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            byte[] body = new byte[4096];
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(server.webUrl() + "/api/import"))
                    .header("Content-Type", "application/octet-stream")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(413);
            assertThat(r.body()).contains("\"error\"").contains("1024");
            HttpResponse<String> sessions = http.send(HttpRequest.newBuilder(URI.create(server.webUrl() + "/api/sessions"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(sessions.body()).contains("\"total\":0");
        }
    }
}

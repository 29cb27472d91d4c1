package dev.plumb.web.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.plumb.gatherer.db.EmbeddedDatabase;
import dev.plumb.web.cli.RunningServer;
import dev.plumb.web.cli.ServerOptions;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `plumb server --db-url …`: no embedded database is started; the schema goes into the given one. */
class ExternalDatabaseTest {
    @TempDir
    Path unusedDataDir;

    @Test
    void serverUsesTheGivenDatabaseAndMigratesIt() throws Exception {
        try (EmbeddedDatabase external = EmbeddedDatabase.start(null)) {
            ServerOptions options = new ServerOptions(0, 0, unusedDataDir, external.jdbcUrl(), external.user(), "",
                    null, List.of());
            try (RunningServer server = RunningServer.start(options)) {
                HttpResponse<String> r = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build().send(
                        HttpRequest.newBuilder(URI.create(server.webUrl() + "/api/sessions")).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(r.statusCode()).isEqualTo(200);
            }
            try (Connection c = external.dataSource().getConnection(); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT count(*) FROM flyway_schema_history WHERE success")) {
                rs.next();
                assertThat(rs.getInt(1)).isGreaterThanOrEqualTo(2);
            }
            assertThat(unusedDataDir.resolve("postgres")).doesNotExist();
        }
    }
}

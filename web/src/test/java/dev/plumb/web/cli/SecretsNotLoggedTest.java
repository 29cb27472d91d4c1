package dev.plumb.web.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.plumb.agent.ship.GathererAddress;
import dev.plumb.agent.ship.GathererClient;
import dev.plumb.agent.ship.GathererRejectedException;
import dev.plumb.gatherer.db.EmbeddedDatabase;
import dev.plumb.wire.FrameCodec;
import dev.plumb.wire.Hello;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * A server started with an agent token, a database password (also inside the JDBC URL) and a
 * web password, with Spring, Hikari, Spring Security and Plumb logging at DEBUG and Spring's
 * startup information on, then used with right and wrong credentials: none of the three
 * secrets appears in anything written to stdout or stderr, our startup lines included.
 */
class SecretsNotLoggedTest {
    static final String TOKEN = "agent-T0ken-4b1d9c";
    static final String DB_PASSWORD = "db-Pa55-77e0a3";
    static final String WEB_PASSWORD = "web-Pa55-0c8f21";

    @Test
    void noSecretReachesTheLogOrTheStartupLines() throws Exception {
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream out = System.out;
        PrintStream err = System.err;
        // logback's console appender writes to whatever System.err is at the time
        System.setOut(new PrintStream(new Tee(out, captured), true));
        System.setErr(new PrintStream(new Tee(err, captured), true));
        StringWriter startupLines = new StringWriter();
        try (EmbeddedDatabase db = EmbeddedDatabase.start(null)) {
            // trust authentication: the password is never asked for, but it goes everywhere a real one would
            String url = db.jdbcUrl() + (db.jdbcUrl().contains("?") ? "&" : "?") + "password=" + DB_PASSWORD;
            ServerCommand command = new ServerCommand();
            new CommandLine(command).parseArgs("--plumb.web.auth.username=admin",
                    "--plumb.web.auth.password={noop}" + WEB_PASSWORD, "--spring.main.log-startup-info=true",
                    "--logging.level.org.springframework.boot=DEBUG", "--logging.level.org.springframework.core.env=DEBUG",
                    "--logging.level.org.springframework.security=DEBUG", "--logging.level.org.springframework.web=DEBUG",
                    "--logging.level.com.zaxxer.hikari=DEBUG", "--logging.level.dev.plumb=DEBUG");
            ServerOptions options = new ServerOptions(0, 0, null, url, db.user(), DB_PASSWORD, TOKEN, command.springArguments());
            try (RunningServer server = RunningServer.start(options)) {
                ServerCommand.printStarted(new PrintWriter(startupLines, true), server, options);
                use(server);
            }
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
        String log = captured.toString(StandardCharsets.UTF_8) + startupLines;

        // the capture works, at the levels asked for
        assertThat(log).contains("gatherer listening for agents").contains("HikariPool").contains("DEBUG")
                .contains("plumb: database    jdbc:postgresql://").contains("password=***")
                .contains("plumb: login       HTTP basic, user admin");
        for (String secret : List.of(TOKEN, DB_PASSWORD, WEB_PASSWORD, base64("admin:" + WEB_PASSWORD),
                base64("admin:wrong"))) {
            assertThat(log).as("the log mentions a secret").doesNotContain(secret);
        }
        assertThat(log).doesNotContain("generated security password");
    }

    /** Logs in right and wrong, and connects agents with the right and a wrong token. */
    private static void use(RunningServer server) throws Exception {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        for (String credentials : List.of("admin:" + WEB_PASSWORD, "admin:wrong")) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(server.webUrl() + "/api/sessions"))
                    .header("Authorization", "Basic " + base64(credentials)).timeout(Duration.ofSeconds(30)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(credentials.endsWith("wrong") ? 401 : 200);
        }
        GathererAddress gatherer = new GathererAddress("localhost", server.gathererPort());
        GathererClient.connect(gatherer, hello(TOKEN)).close();
        assertThatThrownBy(() -> GathererClient.connect(gatherer, hello(TOKEN + "-old")))
                .isInstanceOf(GathererRejectedException.class);
    }

    private static Hello hello(String token) {
        return new Hello(FrameCodec.PROTOCOL_VERSION, token, UUID.randomUUID(), "h", "secrets", "v1", 1, "/bin/x",
                System.currentTimeMillis() * 1000, Map.of());
    }

    private static String base64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    /** Writes to the real stream and to the capture. */
    private static final class Tee extends OutputStream {
        private final OutputStream a;
        private final OutputStream b;

        Tee(OutputStream a, OutputStream b) {
            this.a = a;
            this.b = b;
        }

        @Override
        public void write(int c) throws java.io.IOException {
            a.write(c);
            synchronized (b) {
                b.write(c);
            }
        }

        @Override
        public void write(byte[] buf, int off, int len) throws java.io.IOException {
            a.write(buf, off, len);
            synchronized (b) {
                b.write(buf, off, len);
            }
        }

        @Override
        public void flush() throws java.io.IOException {
            a.flush();
        }
    }
}

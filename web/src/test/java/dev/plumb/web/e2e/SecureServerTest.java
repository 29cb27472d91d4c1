package dev.plumb.web.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.plumb.agent.cli.AgentCli;
import dev.plumb.agent.ship.PemTrust;
import dev.plumb.web.cli.PlumbCli;
import dev.plumb.web.cli.RunningServer;
import dev.plumb.web.cli.ServerCommand;
import dev.plumb.web.cli.ServerOptions;
import dev.plumb.web.config.WebSecurity;
import dev.plumb.web.support.TestCertificates;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * `plumb server --web-tls-cert/--web-tls-key` with a login (plumb.web.auth.*, the password as
 * `plumb hash-password` printed it): HTTPS only, every page and /api call needs the password
 * (401 otherwise), /actuator/health stays open, /actuator/prometheus does not, no
 * configuration-revealing actuator endpoint exists, another site cannot make a browser change
 * anything, and `plumb import` works with --user over HTTPS.
 */
class SecureServerTest {
    static final String USER = "admin";
    static final String PASSWORD = "correct horse battery staple";
    static final JsonMapper json = JsonMapper.builder().build();

    @TempDir
    static Path dir;
    static TestCertificates certificate;
    static RunningServer server;
    static HttpClient https;
    static String base;

    @BeforeAll
    static void start() throws Exception {
        certificate = TestCertificates.selfSigned(dir, "web");
        String hash = hashPassword(PASSWORD);
        assertThat(hash).startsWith("{bcrypt}$2a$").doesNotContain(PASSWORD);

        // the flags as `plumb server` maps them
        ServerCommand command = new ServerCommand();
        new CommandLine(command).parseArgs("--web-tls-cert", certificate.certificate().toString(),
                "--web-tls-key", certificate.privateKey().toString(), "--plumb.web.auth.username=" + USER,
                "--plumb.web.auth.password=" + hash);
        server = RunningServer.start(new ServerOptions(0, 0, dir.resolve("data"), null, null, null, null,
                command.springArguments()));
        base = server.webUrl();
        assertThat(base).startsWith("https://localhost:");
        https = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .sslContext(PemTrust.sslContext(certificate.certificate())).connectTimeout(Duration.ofSeconds(10)).build();
    }

    @AfterAll
    static void stop() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    /** `plumb hash-password`, the password piped in. */
    static String hashPassword(String password) {
        InputStream stdin = System.in;
        try {
            System.setIn(new ByteArrayInputStream((password + "\n").getBytes(StandardCharsets.UTF_8)));
            StringWriter out = new StringWriter();
            CommandLine cli = AgentCli.newCommandLine(new PlumbCli());
            cli.setOut(new PrintWriter(out, true));
            assertThat(cli.execute("hash-password")).isZero();
            return out.toString().strip();
        } finally {
            System.setIn(stdin);
        }
    }

    static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    static HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
        return https.send(request.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> get(String path, String authorization) throws Exception {
        HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(base + path));
        if (authorization != null) {
            r.header("Authorization", authorization);
        }
        return send(r);
    }

    static HttpResponse<String> postRule(String name, Map<String, String> headers) throws Exception {
        HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(base + "/api/alerts/rules"))
                .header("Authorization", basic(USER, PASSWORD)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\": \"" + name + "\", \"service\": \"shop\"}"));
        headers.forEach(r::header);
        return send(r);
    }

    @Test
    void theApiAnswersOverHttpsWithTheRightPassword() throws Exception {
        HttpResponse<String> r = get("/api/sessions", basic(USER, PASSWORD));
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(json.readTree(r.body()).has("items")).isTrue();
        assertThat(get("/", basic(USER, PASSWORD)).statusCode()).isEqualTo(200);
    }

    @Test
    void withoutTheRightPasswordEverythingIs401() throws Exception {
        for (String authorization : new String[] {null, basic(USER, "wrong"), basic("someone", PASSWORD)}) {
            HttpResponse<String> api = get("/api/sessions", authorization);
            assertThat(api.statusCode()).as("%s", authorization).isEqualTo(401);
            assertThat(api.headers().firstValue("Content-Type").orElse("")).startsWith("application/json");
            assertThat(json.readTree(api.body()).path("error").asString()).startsWith("authentication required");
            assertThat(api.headers().firstValue("WWW-Authenticate").orElse("")).startsWith("Basic realm=\"Plumb\"");

            // a page: the browser's own login prompt
            HttpResponse<String> page = get("/sessions/1", authorization);
            assertThat(page.statusCode()).isEqualTo(401);
            assertThat(page.headers().firstValue("WWW-Authenticate").orElse("")).startsWith("Basic realm=\"Plumb\"");
            assertThat(page.body()).doesNotContain("<html");

            assertThat(get("/js/api.js", authorization).statusCode()).isEqualTo(401);
            assertThat(get("/actuator/prometheus", authorization).statusCode()).isEqualTo(401);
        }
    }

    @Test
    void healthIsOpenMetricsNeedTheLoginAndNothingRevealsConfiguration() throws Exception {
        HttpResponse<String> health = get("/actuator/health", null);
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(health.body()).contains("UP");
        assertThat(get("/actuator/health/readiness", null).statusCode()).isEqualTo(200);
        HttpResponse<String> metrics = get("/actuator/prometheus", basic(USER, PASSWORD));
        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.body()).contains("# TYPE");

        for (String endpoint : List.of("env", "configprops", "beans", "heapdump", "threaddump", "loggers", "mappings",
                "conditions", "startup", "sbom")) {
            assertThat(get("/actuator/" + endpoint, basic(USER, PASSWORD)).statusCode()).as(endpoint).isEqualTo(404);
        }
        JsonNode links = json.readTree(get("/actuator", basic(USER, PASSWORD)).body()).path("_links");
        assertThat(links.propertyNames()).allMatch(n -> n.equals("self") || n.startsWith("health") || n.equals("info")
                || n.equals("prometheus"));
    }

    @Test
    void everyResponseCarriesTheSecurityHeaders() throws Exception {
        for (String path : List.of("/", "/api/sessions", "/js/api.js", "/actuator/health", "/nonexistent")) {
            HttpResponse<String> r = get(path, basic(USER, PASSWORD));
            assertThat(r.headers().firstValue("Content-Security-Policy")).as(path).hasValue(WebSecurity.CONTENT_SECURITY_POLICY);
            assertThat(r.headers().firstValue("X-Content-Type-Options")).as(path).hasValue("nosniff");
            assertThat(r.headers().firstValue("Referrer-Policy")).as(path).hasValue("same-origin");
            assertThat(r.headers().firstValue("X-Frame-Options")).as(path).hasValue("DENY");
            assertThat(r.headers().firstValue("Strict-Transport-Security")).as(path).isPresent();
        }
        assertThat(WebSecurity.CONTENT_SECURITY_POLICY).contains("frame-ancestors 'none'").contains("script-src 'self';")
                .doesNotContain("unsafe-eval");
        assertThat(get("/api/sessions", basic(USER, PASSWORD)).headers().firstValue("Cache-Control").orElse(""))
                .contains("no-store");
        assertThat(get("/js/api.js", basic(USER, PASSWORD)).headers().firstValue("Cache-Control").orElse(""))
                .doesNotContain("no-store");
    }

    @Test
    void anotherSiteCannotMakeABrowserChangeAnything() throws Exception {
        String self = base;
        for (Map<String, String> forged : List.of(
                Map.of("Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site"),
                Map.of("Origin", "https://plumb.evil.example", "Sec-Fetch-Site", "same-site"),
                Map.of("Origin", "https://evil.example"),
                Map.of("Origin", "null"))) {
            HttpResponse<String> r = postRule("forged", forged);
            assertThat(r.statusCode()).as("%s", forged).isEqualTo(403);
            assertThat(json.readTree(r.body()).path("error").asString()).startsWith("cross-site request refused");
        }
        assertThat(get("/api/alerts/rules", basic(USER, PASSWORD)).body()).doesNotContain("forged");

        // this server's own pages, and clients that are not browsers, may
        assertThat(postRule("from-the-page", Map.of("Origin", self, "Sec-Fetch-Site", "same-origin")).statusCode())
                .isEqualTo(201);
        assertThat(postRule("from-an-old-browser", Map.of("Origin", self)).statusCode()).isEqualTo(201);
        assertThat(postRule("from-curl", Map.of()).statusCode()).isEqualTo(201);
        // reading is not refused: a cross-site GET cannot read the answer anyway (no CORS)
        assertThat(send(HttpRequest.newBuilder(URI.create(base + "/api/sessions"))
                .header("Authorization", basic(USER, PASSWORD)).header("Sec-Fetch-Site", "cross-site")).statusCode())
                .isEqualTo(200);
    }

    @Test
    void plumbImportLogsInOverHttps() throws Exception {
        Path file = Files.write(dir.resolve("junk.bin"), new byte[] {1, 2, 3, 4});
        String ca = certificate.certificate().toString();

        Cli noLogin = plumb("import", "--server", base, "--tls-ca", ca, file.toString());
        assertThat(noLogin.exit()).isEqualTo(1);
        assertThat(noLogin.err()).contains("requires a login; pass --user U");

        Cli wrong = plumb("import", "--server", base, "--tls-ca", ca, "--user", USER, "--password=nope", file.toString());
        assertThat(wrong.exit()).isEqualTo(1);
        assertThat(wrong.err()).contains("did not accept the login of admin");

        Cli untrusted = plumb("import", "--server", base, "--user", USER, "--password=" + PASSWORD, file.toString());
        assertThat(untrusted.exit()).isEqualTo(3);
        assertThat(untrusted.err()).contains("cannot talk HTTPS with " + base).contains("--tls-ca FILE")
                .doesNotContain("Exception");

        // logged in: the server reads the file (and says what is wrong with this one)
        Cli in = plumb("import", "--server", base, "--tls-ca", ca, "--user", USER, "--password=" + PASSWORD, file.toString());
        assertThat(in.exit()).isEqualTo(1);
        assertThat(in.err()).contains("junk.bin was not imported: unknown format");
    }

    @Test
    void tlsOptionsOfTheServerCommandsAreChecked() {
        Cli certOnly = plumb("server", "--web-tls-cert", certificate.certificate().toString());
        assertThat(certOnly.exit()).isEqualTo(2);
        assertThat(certOnly.err()).contains("--web-tls-cert and --web-tls-key go together");
        Cli missing = plumb("gatherer", "--db-url", "jdbc:postgresql://localhost/x", "--tls-cert",
                dir.resolve("nope.pem").toString(), "--tls-key", certificate.privateKey().toString());
        assertThat(missing.exit()).isEqualTo(2);
        assertThat(missing.err()).contains("--tls-cert: cannot read " + dir.resolve("nope.pem"));
        Cli web = plumb("web", "--db-url", "jdbc:postgresql://localhost/x", "--web-tls-key",
                certificate.privateKey().toString());
        assertThat(web.exit()).isEqualTo(2);
        assertThat(plumb("server", "--help").out().replaceAll("\\s+", "")).contains("--tls-cert").contains("--web-tls-cert")
                .contains("--plumb.web.auth.username=U");
    }

    record Cli(int exit, String out, String err) {
    }

    static Cli plumb(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = AgentCli.newCommandLine(new PlumbCli());
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int exit = cli.execute(args);
        return new Cli(exit, out.toString(), err.toString());
    }
}

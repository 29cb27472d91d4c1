package dev.plumb.web.cli;

import dev.plumb.agent.ship.PemTrust;
import dev.plumb.web.pages.Humanize;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import javax.net.ssl.SSLException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * `plumb import FILE`: uploads a recording to a running server's POST /api/import (the server
 * does the reading, so a split deployment and `plumb server` behave the same) and prints the
 * new session's URL. The file's modification time goes along: heaptrack files hold only
 * times relative to their start, and the file was last written when the recording ended.
 */
@Command(name = "import", mixinStandardHelpOptions = true,
        description = {"Import a recording from another profiler as a new session:",
                "heaptrack files (heaptrack.APP.PID.gz / .zst) or pprof heap profiles (gzipped profile.proto)."},
        footer = {"", "Exit codes: 0 imported; 1 the server rejected the file or the login (the reason is printed);",
                "2 bad arguments; 3 the server cannot be reached (or its certificate is not trusted)."})
public final class ImportCommand implements Callable<Integer> {
    static final int UNREACHABLE = 3;

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "FILE", description = "The recording to import.")
    Path file;

    @Option(names = "--server", paramLabel = "URL", defaultValue = "${env:PLUMB_SERVER:-http://localhost:8080}",
            description = "Plumb server (env PLUMB_SERVER; default ${DEFAULT-VALUE}).")
    String server;

    @Option(names = "--service", paramLabel = "S", description = "Service name (default: the program's name).")
    String service;

    @Option(names = "--deployment", paramLabel = "D", description = "Deployment (default: imported).")
    String deployment;

    @Option(names = "--host", paramLabel = "H", description = "Host the recording was made on (default: imported).")
    String host;

    @Option(names = "--user", paramLabel = "U", defaultValue = "${env:PLUMB_USER}",
            description = "Log in as U, for a server with a login (env PLUMB_USER). The password comes from"
                    + " PLUMB_PASSWORD, else it is asked for.")
    String user;

    @Option(names = "--password", paramLabel = "P", arity = "0..1", interactive = true,
            defaultValue = "${env:PLUMB_PASSWORD}",
            description = "Password for --user (env PLUMB_PASSWORD; --password alone asks for it; a password typed"
                    + " on the command line is visible to other users of this machine).")
    String password;

    @Option(names = "--tls-ca", paramLabel = "FILE",
            description = "PEM certificate(s) to trust for an https --server: its CA, or its self-signed certificate"
                    + " (default: the JVM's trust store).")
    Path tlsCa;

    @Override
    public Integer call() throws Exception {
        URI base = serverUri();
        if (!Files.isRegularFile(file)) {
            throw new ParameterException(spec.commandLine(), "FILE '" + file + "' is not a readable file");
        }
        Map<String, String> query = new LinkedHashMap<>();
        query.put("name", file.getFileName().toString());
        query.put("recordedUntil", Files.getLastModifiedTime(file).toInstant().toString());
        putIfSet(query, "service", service);
        putIfSet(query, "deployment", deployment);
        putIfSet(query, "host", host);
        URI uri = base.resolve("/api/import?" + query.entrySet().stream()
                .map(e -> e.getKey() + "=" + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
                .collect(Collectors.joining("&")));
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        HttpClient.Builder client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10));
        if (tlsCa != null) {
            try {
                client.sslContext(PemTrust.sslContext(tlsCa));
            } catch (IOException e) {
                throw new ParameterException(spec.commandLine(), "--tls-ca: " + (e instanceof java.nio.file.NoSuchFileException
                        ? "cannot read " + tlsCa : e.getMessage()));
            }
        }
        HttpRequest.Builder request = HttpRequest.newBuilder(uri)
                .header("Content-Type", "application/octet-stream")
                .POST(HttpRequest.BodyPublishers.ofFile(file));
        if (user != null && !user.isBlank()) {
            request.header("Authorization", "Basic " + Base64.getEncoder().encodeToString(
                    (user + ":" + password()).getBytes(StandardCharsets.UTF_8)));
        }
        HttpResponse<String> response;
        try {
            response = client.build().send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (SSLException e) {
            err.println("plumb: cannot talk HTTPS with " + base + ": " + rootMessage(e)
                    + (tlsCa == null ? " (a self-signed or private CA's certificate needs --tls-ca FILE)" : ""));
            return UNREACHABLE;
        } catch (ConnectException | HttpConnectTimeoutException e) {
            err.println("plumb: cannot reach the Plumb server at " + base + " (" + e.getClass().getSimpleName()
                    + "); start one with `plumb server` or pass --server URL");
            return UNREACHABLE;
        } catch (IOException e) {
            err.println("plumb: the upload to " + base + " failed: " + e.getMessage());
            return UNREACHABLE;
        }
        JsonNode body = parse(response.body());
        if (response.statusCode() == 401) {
            err.println("plumb: " + file.getFileName() + " was not imported: " + (user == null || user.isBlank()
                    ? "the server at " + base + " requires a login; pass --user U (password from PLUMB_PASSWORD, or asked for)"
                    : "the server at " + base + " did not accept the login of " + user + " (wrong user or password)"));
            return 1;
        }
        if (response.statusCode() != 201) {
            String reason = body != null && body.hasNonNull("error") ? body.get("error").asString()
                    : "HTTP " + response.statusCode() + " " + response.body();
            err.println("plumb: " + file.getFileName() + " was not imported: " + reason);
            return 1;
        }
        long session = body.path("session").asLong();
        out.println("Session:  " + base.resolve("/sessions/" + session));
        out.println("Imported: " + body.path("format").asString() + ", " + body.path("allocations").asLong()
                + " allocations, peak " + Humanize.bytes(body.path("peakBytes").asLong()) + ", leaked "
                + Humanize.bytes(body.path("bytesLeaked").asLong()));
        out.flush();
        return 0;
    }

    private URI serverUri() {
        try {
            URI uri = URI.create(server.endsWith("/") ? server.substring(0, server.length() - 1) : server);
            if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme()) || uri.getHost() == null) {
                throw new IllegalArgumentException("not an http(s) URL");
            }
            return uri;
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--server must be an http(s) URL like http://localhost:8080, not '"
                    + server + "'");
        }
    }

    /** The password for --user: --password, PLUMB_PASSWORD, or asked for on the terminal. */
    private String password() {
        if (password != null) {
            return password;
        }
        java.io.Console console = System.console();
        if (console == null) {
            throw new ParameterException(spec.commandLine(), "--user " + user
                    + " needs a password: set PLUMB_PASSWORD (or pass --password)");
        }
        char[] typed = console.readPassword("Password for %s at %s: ", user, server);
        return typed == null ? "" : new String(typed);
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.getMessage();
    }

    private static void putIfSet(Map<String, String> query, String key, String value) {
        if (value != null && !value.isBlank()) {
            query.put(key, value);
        }
    }

    private static JsonNode parse(String body) {
        try {
            return JsonMapper.builder().build().readTree(body);
        } catch (RuntimeException e) {
            return null;
        }
    }
}

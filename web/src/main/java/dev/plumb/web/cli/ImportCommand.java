package dev.plumb.web.cli;

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
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
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
        footer = {"", "Exit codes: 0 imported; 1 the server rejected the file (its reason is printed);",
                "2 bad arguments; 3 the server cannot be reached."})
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
        HttpResponse<String> response;
        try {
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build();
            response = http.send(HttpRequest.newBuilder(uri)
                    .header("Content-Type", "application/octet-stream")
                    .POST(HttpRequest.BodyPublishers.ofFile(file)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (ConnectException | HttpConnectTimeoutException e) {
            err.println("plumb: cannot reach the Plumb server at " + base + " (" + e.getClass().getSimpleName()
                    + "); start one with `plumb server` or pass --server URL");
            return UNREACHABLE;
        } catch (IOException e) {
            err.println("plumb: the upload to " + base + " failed: " + e.getMessage());
            return UNREACHABLE;
        }
        JsonNode body = parse(response.body());
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

package dev.plumb.web.cli;

import dev.plumb.web.pages.Humanize;
import dev.plumb.agent.run.ProfiledRun;
import dev.plumb.agent.ship.GathererAddress;
import dev.plumb.agent.ship.SessionLabels;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Start the server, profile the bundled leaky example, print where to look.",
                "Keeps serving until Ctrl-C."})
public final class DemoCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ServerCommand.ServerMixin server;

    @Option(names = "--requests", paramLabel = "N", defaultValue = "2000",
            description = "Requests the example serves; each leaks 4 KiB (default ${DEFAULT-VALUE}).")
    int requests;

    @Option(names = "--interval-ms", paramLabel = "MS", defaultValue = "5",
            description = "Pause between the example's requests (default ${DEFAULT-VALUE}).")
    int intervalMs;

    @Option(names = "--exit", description = "Stop after printing the results instead of serving on.")
    boolean exitAfter;

    @Override
    public Integer call() throws Exception {
        if (requests < 1 || intervalMs < 0) {
            throw new ParameterException(spec.commandLine(), "--requests must be at least 1 and --interval-ms not negative");
        }
        var out = spec.commandLine().getOut();
        var err = spec.commandLine().getErr();
        Path example = findExample();
        // The demo's own lines are the output; per-connection logging would bury them.
        if (System.getenv("PLUMB_LOG_LEVEL") == null) {
            System.setProperty("PLUMB_LOG_LEVEL", "WARN");
        }
        ServerOptions options = server.toOptions(spec, List.of());
        out.println("plumb: starting the server (embedded PostgreSQL, web, gatherer)…");
        out.flush();
        RunningServer running = RunningServer.start(options);
        try {
            String deployment = "demo-" + UUID.randomUUID().toString().substring(0, 8);
            out.printf("plumb: profiling %s with %d requests (about %d s)…%n", example, requests,
                    Math.max(1, requests * (long) (intervalMs + 1) / 1000));
            out.flush();
            SessionLabels labels = new SessionLabels("localhost", "leaky-demo", deployment,
                    options.token() == null ? "" : options.token(), Map.of());
            int exit = new ProfiledRun(List.of(example.toString(), "--requests", String.valueOf(requests),
                    "--interval-ms", String.valueOf(intervalMs)),
                    new GathererAddress("localhost", running.gathererPort()), labels, Duration.ofSeconds(60),
                    new java.io.PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.err), true)).run();
            if (exit != 0) {
                err.println("plumb: the example exited with " + exit);
            }
            report(running, deployment, out);
        } catch (Exception e) {
            running.close();
            throw e;
        }
        if (exitAfter) {
            running.close();
            return 0;
        }
        out.println("plumb: serving on " + running.webUrl() + "/ — Ctrl-C to stop");
        out.flush();
        running.awaitShutdown();
        return 0;
    }

    /** Reads the result back through the public API, as a user's script would. */
    private static void report(RunningServer running, String deployment, java.io.PrintWriter out) throws Exception {
        // HTTP/1.1: by default the JDK client asks plain-HTTP servers for an h2c upgrade, a
        // request some servers stall on (seen as rare 30 s hangs in our tests).
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        JsonMapper json = JsonMapper.builder().build();
        JsonNode sessions = get(http, json, running.webUrl() + "/api/sessions?limit=50");
        long sessionId = -1;
        for (JsonNode s : sessions.path("items")) {
            if (deployment.equals(s.path("deployment").asString())) {
                sessionId = s.path("id").asLong();
            }
        }
        if (sessionId < 0) {
            throw new IllegalStateException("the demo session did not reach the server; see the messages above");
        }
        JsonNode leaks = get(http, json, running.webUrl() + "/api/sessions/" + sessionId + "/leaks?limit=1");
        JsonNode top = leaks.path("items").path(0);
        out.println();
        out.println("Session:  " + running.webUrl() + "/sessions/" + sessionId);
        if (top.isMissingNode()) {
            out.println("Top leak: none found");
        } else {
            out.printf("Top leak: %s — %s in %,d allocations still alive at exit (%s, %s/s)%n",
                    top.path("frames").path(0).path("function").asString(),
                    Humanize.bytes(top.path("bytesLeaked").asLong()), top.path("count").asLong(),
                    top.path("verdict").asString(), Humanize.bytes((long) top.path("slope").asDouble()));
        }
        out.println();
        out.flush();
    }

    private static JsonNode get(HttpClient http, JsonMapper json, String url) throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(url))
                .timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IllegalStateException(url + " answered " + response.statusCode() + ": " + response.body());
        }
        return json.readTree(response.body());
    }

    private Path findExample() {
        List<Path> candidates = new ArrayList<>();
        String home = System.getProperty("plumb.home");
        if (home != null) {
            candidates.add(Path.of(home, "examples", "target", "leaky"));
        }
        candidates.add(Path.of("examples", "target", "leaky"));
        for (Path p : candidates) {
            if (Files.isExecutable(p)) {
                return p.toAbsolutePath();
            }
        }
        throw new ParameterException(spec.commandLine(), "the example program is not built (looked for "
                + candidates + "); run ./plumb demo from the repository, or build with mvn -B -DskipTests package");
    }
}

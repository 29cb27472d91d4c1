package dev.plumb.web.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.plumb.agent.run.ProfiledRun;
import dev.plumb.agent.ship.GathererAddress;
import dev.plumb.agent.ship.SessionLabels;
import dev.plumb.web.cli.RunningServer;
import dev.plumb.web.cli.ServerOptions;
import dev.plumb.web.support.Await;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The alert path end to end with the real example under the real capture library: the leaking
 * build fires the built-in rule (received by a real HTTP server, after a refused first attempt)
 * and resolves once the process is gone; the fixed build never fires. Per-backtrace verdicts
 * of both runs, the deploy comparison between them and the Prometheus gauges are checked on
 * the same data. Windows and durations are shortened by properties so the test takes seconds.
 */
class AlertsEndToEndTest {
    static final String SERVICE = "shop";
    static final Duration FOR = Duration.ofSeconds(3);
    static final Duration INTERVAL = Duration.ofMillis(250);
    static final Duration WAIT = Duration.ofSeconds(90);

    @TempDir
    static Path dataDir;
    static WebhookReceiver receiver;
    static RunningServer server;
    static final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    static final JsonMapper json = JsonMapper.builder().build();
    static long leakingSession;
    static long fixedSession;
    static JsonNode firing;

    @BeforeAll
    static void start() throws Exception {
        receiver = new WebhookReceiver(1);
        server = RunningServer.start(new ServerOptions(0, 0, dataDir, null, null, null, null, List.of(
                "--plumb.alerts.evaluation-interval=" + INTERVAL.toMillis() + "ms",
                "--plumb.alerts.window=5m",
                "--plumb.alerts.ended-grace=8s",
                "--plumb.alerts.default-rule.for=" + FOR.toSeconds() + "s",
                "--plumb.alerts.webhook-urls=" + receiver.url(),
                "--plumb.alerts.webhook-backoff=100ms")));
        leakingSession = profile("leaking", "host-1");
        firing = Await.until("a firing webhook for the leaking build", WAIT, () -> webhook("firing", "leaking"));
    }

    @AfterAll
    static void stop() throws Exception {
        if (server != null) {
            server.close();
        }
        if (receiver != null) {
            receiver.close();
        }
    }

    /** Runs the example under the capture library; returns its session id. */
    static long profile(String deployment, String host, String... extraArgs) throws Exception {
        Path example = Path.of(System.getProperty("plumb.root"), "examples", "target", "leaky");
        List<String> command = new ArrayList<>(List.of(example.toString(), "--requests", "2000", "--interval-ms", "2"));
        command.addAll(List.of(extraArgs));
        ByteArrayOutputStream agentOutput = new ByteArrayOutputStream();
        // Condensing off, because these runs are shortened to about four seconds: with it, what
        // lives past the run's end would only arrive at the end (allocations reach the gatherer up
        // to the threshold late), so the alert would have to go pending and fire within the ended
        // grace; and the verdicts are computed from raw rows at ~0.1 s resolution, finer than the
        // one second condensing keeps exact (a group counts as alive from its first allocation to
        // its last free; docs/RATIONALE.md), which blurs the ring's bounded shape.
        int exit = new ProfiledRun(command, new GathererAddress("localhost", server.gathererPort()),
                new SessionLabels(host, SERVICE, deployment, "", Map.of()), Duration.ofSeconds(60),
                new PrintStream(agentOutput, true)).condenseAfter(Duration.ZERO).run();
        assertThat(exit).as("example exit code; agent said: %s", agentOutput).isZero();
        for (JsonNode s : get("/api/sessions").path("items")) {
            if (deployment.equals(s.path("deployment").asString()) && SERVICE.equals(s.path("service").asString())) {
                return s.path("id").asLong();
            }
        }
        throw new AssertionError("no session for " + deployment);
    }

    static Optional<JsonNode> webhook(String status, String deployment) {
        return receiver.received().stream()
                .filter(m -> status.equals(m.path("status").asString())
                        && deployment.equals(m.path("alerts").path(0).path("labels").path("deployment").asString()))
                .findFirst();
    }

    static JsonNode get(String path) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(server.webUrl() + path))
                .timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as("GET %s → %s", path, r.body()).isEqualTo(200);
        return json.readTree(r.body());
    }

    static String text(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(server.webUrl() + path)).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    static String verdictOf(long session, String function) throws Exception {
        for (JsonNode group : get("/api/sessions/" + session + "/leaks").path("items")) {
            if (function.equals(group.path("frames").path(0).path("function").asString())) {
                return group.path("verdict").asString();
            }
        }
        return null;
    }

    @Test
    void leakingBuildFiresAnAlertmanagerWebhookWithTheEvidence() throws Exception {
        assertThat(receiver.requests()).as("the first POST was refused and retried").isGreaterThan(1);
        assertThat(firing.path("version").asString()).isEqualTo("4");
        assertThat(firing.path("receiver").asString()).isEqualTo("plumb");
        assertThat(firing.path("externalURL").asString()).isEqualTo(server.webUrl());
        assertThat(firing.path("groupKey").asString()).contains("service=\"shop\"");
        assertThat(firing.path("groupLabels").path("deployment").asString()).isEqualTo("leaking");
        JsonNode alert = firing.path("alerts").path(0);
        assertThat(alert.path("status").asString()).isEqualTo("firing");
        assertThat(alert.path("labels").path("alertname").asString()).isEqualTo("PlumbLinearLeak");
        assertThat(alert.path("labels").path("service").asString()).isEqualTo(SERVICE);
        assertThat(alert.path("labels").path("host").asString()).isEqualTo("host-1");
        assertThat(alert.path("endsAt").asString()).isEqualTo("0001-01-01T00:00:00Z");
        assertThat(alert.path("startsAt").asString()).isNotBlank();
        assertThat(alert.path("fingerprint").asString()).matches("[0-9a-f]{16}");
        JsonNode a = alert.path("annotations");
        assertThat(a.path("top_backtraces").asString()).startsWith("remember_request_trace ← handle_request");
        assertThat(Double.parseDouble(a.path("slope_bytes_per_second").asString())).isGreaterThan(100_000);
        assertThat(Double.parseDouble(a.path("r2").asString())).isGreaterThan(0.9);
        assertThat(a.path("view_url").asString()).isEqualTo(server.webUrl() + "/sessions/" + leakingSession);
        assertThat(alert.path("generatorURL").asString()).isEqualTo(a.path("view_url").asString());
        assertThat(a.path("summary").asString()).contains("shop").contains("leaking").contains("host-1");
    }

    @Test
    void perBacktraceVerdictsOfTheRealRuns() throws Exception {
        assertThat(verdictOf(leakingSession, "remember_request_trace")).isEqualTo("linear");
        assertThat(verdictOf(leakingSession, "load_config")).isEqualTo("startup");
        assertThat(verdictOf(leakingSession, "record_latency_sample")).isEqualTo("bounded");
    }

    /**
     * One ordered story, so it lives in one test: the leaking process is gone → resolved; then
     * the fixed build runs, is evaluated for longer than the for-duration, and never fires.
     */
    @Test
    void leakResolvesAndTheFixedBuildNeverFires() throws Exception {
        String fingerprint = firing.path("alerts").path(0).path("fingerprint").asString();
        JsonNode resolved = Await.until("a resolved webhook once the leaking process is gone", WAIT,
                () -> webhook("resolved", "leaking"));
        assertThat(resolved.path("alerts").path(0).path("fingerprint").asString()).isEqualTo(fingerprint);
        assertThat(resolved.path("alerts").path(0).path("endsAt").asString()).isNotEqualTo("0001-01-01T00:00:00Z");

        fixedSession = profile("fixed", "host-2", "--fixed");
        String fixedGauge = "plumb_leaked_bytes{deployment=\"fixed\",host=\"host-2\",service=\"shop\"}";
        Await.until("the evaluator to see the fixed build", WAIT,
                () -> Optional.of(0).filter(x -> metrics().contains(fixedGauge)));
        double seen = evaluations();
        double needed = seen + 2.0 * FOR.toMillis() / INTERVAL.toMillis();
        Await.until("evaluations over twice the for-duration", WAIT,
                () -> Optional.of(0).filter(x -> evaluations() >= needed));
        assertThat(metrics()).as("still evaluating the fixed build").contains(fixedGauge);
        assertThat(webhook("firing", "fixed")).isEmpty();
        assertThat(get("/api/alerts").path("items").valueStream()
                .filter(x -> "fixed".equals(x.path("labels").path("deployment").asString())
                        && "firing".equals(x.path("status").asString()))).isEmpty();

        assertThat(verdictOf(fixedSession, "remember_request_trace")).as("freed, so not in the leak table").isNull();
        assertThat(get("/api/sessions/" + fixedSession + "/leaks").path("items").valueStream()
                .map(g -> g.path("verdict").asString())).doesNotContain("linear");
        assertThat(verdictOf(fixedSession, "record_latency_sample")).isEqualTo("bounded");

        JsonNode compare = get("/api/services/shop/compare?base=leaking&target=fixed").path("items");
        JsonNode trace = compare.valueStream()
                .filter(r -> "remember_request_trace".equals(r.path("frames").path(0).path("function").asString()))
                .findFirst().orElseThrow();
        assertThat(trace.path("change").asString()).isEqualTo("fixed");
        assertThat(trace.path("ci95").path(1).asDouble()).isNegative();
        assertThat(get("/api/services/shop/deployments/leaking/verdict").path("verdict").asString()).isEqualTo("linear");
        assertThat(get("/api/services/shop/deployments/fixed/verdict").path("verdict").asString()).isNotEqualTo("linear");
    }

    static String metrics() {
        try {
            return text("/actuator/prometheus");
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    static double evaluations() {
        Matcher m = Pattern.compile("(?m)^plumb_alert_evaluations_total(?:\\{[^}]*\\})? (\\S+)$").matcher(metrics());
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }
}

package dev.plumb.webtest;

import dev.plumb.gatherer.store.IngestStore;
import dev.plumb.gatherer.store.Partitions;
import dev.plumb.web.support.TestDatabase;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.ComponentScan;
import org.springframework.context.annotation.Import;
import org.springframework.http.client.ReactorResourceFactory;

/**
 * The web module alone — API, queries, pages — on a random port against the test database,
 * without the gatherer or the CLI's application class. It lives outside dev.plumb.web so the
 * server application's component scan never picks it up. It has its own Reactor Netty event
 * loops: another Spring context closing in the same JVM (the end-to-end test's server) disposes
 * the global ones, which would otherwise take this server down with it.
 */
@SpringBootConfiguration
@EnableAutoConfiguration
@ComponentScan({"dev.plumb.web.api", "dev.plumb.web.query", "dev.plumb.web.pages", "dev.plumb.web.imports",
        "dev.plumb.web.export", "dev.plumb.web.alerts", "dev.plumb.web.config"})
@Import({IngestStore.class, Partitions.class})
public class TestWebApp {
    @Bean
    ReactorResourceFactory privateReactorResources() {
        ReactorResourceFactory factory = new ReactorResourceFactory();
        factory.setUseGlobalResources(false);
        return factory;
    }

    private static ConfigurableApplicationContext context;
    private static final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();

    /** Starts once per JVM; returns the base URL, e.g. http://localhost:41234. */
    public static synchronized String baseUrl() {
        if (context == null) {
            var db = TestDatabase.get();
            context = new SpringApplicationBuilder(TestWebApp.class)
                    .properties("server.port=0",
                            "spring.datasource.url=" + db.jdbcUrl(),
                            "spring.datasource.username=" + db.user(),
                            "spring.datasource.password=",
                            "spring.flyway.enabled=false",
                            // tests run evaluations on demand, at times of their choosing
                            "plumb.alerts.enabled=false",
                            "spring.main.banner-mode=off")
                    .run();
            Runtime.getRuntime().addShutdownHook(new Thread(context::close));
        }
        int port = ((WebServerApplicationContext) context).getWebServer().getPort();
        return "http://localhost:" + port;
    }

    /** The running context, e.g. to run an alert evaluation on demand. */
    public static ConfigurableApplicationContext context() {
        baseUrl();
        return context;
    }

    public static HttpResponse<String> get(String pathAndQuery) {
        return send("GET", pathAndQuery, null);
    }

    /** A request with an optional JSON body. */
    public static HttpResponse<String> send(String method, String pathAndQuery, String jsonBody) {
        HttpRequest.BodyPublisher body = jsonBody == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString(jsonBody);
        try {
            return client.send(HttpRequest.newBuilder(URI.create(baseUrl() + pathAndQuery))
                    .header("Content-Type", "application/json")
                    .timeout(Duration.ofSeconds(30)).method(method, body).build(), HttpResponse.BodyHandlers.ofString());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public static HttpResponse<byte[]> send(HttpRequest.Builder request) {
        try {
            return client.send(request.timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** POSTs bytes as application/octet-stream. */
    public static HttpResponse<byte[]> postBytes(String pathAndQuery, byte[] body) {
        return send(HttpRequest.newBuilder(URI.create(baseUrl() + pathAndQuery))
                .header("Content-Type", "application/octet-stream")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)));
    }

    public static HttpResponse<byte[]> getBytes(String pathAndQuery) {
        return send(HttpRequest.newBuilder(URI.create(baseUrl() + pathAndQuery)).GET());
    }
}

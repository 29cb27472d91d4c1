package dev.plumb.web.cli;

import dev.plumb.gatherer.db.EmbeddedDatabase;
import dev.plumb.gatherer.ingest.GathererServer;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * A started `plumb server`: embedded PostgreSQL (unless an external URL was given) plus the
 * Spring context with gatherer and web — or, for the split deployment, only one of the two
 * roles (`plumb web`, `plumb gatherer`). The CLI, the demo, the container images and the
 * end-to-end tests all start through here, so they exercise the same path.
 */
public final class RunningServer implements AutoCloseable {
    private final EmbeddedDatabase embedded;
    private final ConfigurableApplicationContext context;
    private final ServerRole role;

    private RunningServer(EmbeddedDatabase embedded, ConfigurableApplicationContext context, ServerRole role) {
        this.embedded = embedded;
        this.context = context;
        this.role = role;
    }

    public static RunningServer start(ServerOptions options) throws IOException {
        return start(options, ServerRole.ALL);
    }

    /**
     * @param role which beans to run; the HTTP port (options.webPort) serves the UI for ALL and
     *             WEB, and only actuator (health, metrics) for GATHERER
     */
    public static RunningServer start(ServerOptions options, ServerRole role) throws IOException {
        EmbeddedDatabase embedded = null;
        String url = options.dbUrl();
        String user = options.dbUser();
        String password = options.dbPassword();
        if (url == null) {
            embedded = EmbeddedDatabase.start(options.dataDir().resolve("postgres"));
            url = embedded.jdbcUrl();
            user = embedded.user();
            password = "";
        }
        Map<String, Object> properties = new LinkedHashMap<>();
        properties.put("server.port", options.webPort());
        properties.put("plumb.gatherer.port", options.gathererPort());
        properties.put("spring.datasource.url", url);
        properties.put("spring.datasource.username", user == null ? "" : user);
        properties.put("spring.datasource.password", password == null ? "" : password);
        if (options.token() != null && !options.token().isBlank()) {
            properties.put("plumb.gatherer.tokens", options.token());
        }
        try {
            // Every role's HTTP server (the gatherer role serves actuator) answers off the read
            // callback, and has the same login, headers and cross-site check.
            ConfigurableApplicationContext context = new SpringApplicationBuilder(role.application(),
                    dev.plumb.web.config.AnswerOffTheReadCallback.class, dev.plumb.web.config.WebSecurity.class)
                    .properties(properties)
                    .run(options.springArgs().toArray(String[]::new));
            return new RunningServer(embedded, context, role);
        } catch (RuntimeException e) {
            if (embedded != null) {
                embedded.close();
            }
            throw e;
        }
    }

    public int webPort() {
        return Integer.parseInt(context.getEnvironment().getProperty("local.server.port", "-1"));
    }

    public int gathererPort() {
        GathererServer gatherer = context.getBeanProvider(GathererServer.class).getIfAvailable();
        if (gatherer == null) {
            throw new IllegalStateException("this process runs the " + role + " role, which has no gatherer");
        }
        return gatherer.port();
    }

    /** http, or https when the web port has a certificate (--web-tls-cert, server.ssl.*). */
    public String webUrl() {
        var env = context.getEnvironment();
        boolean https = env.getProperty("server.ssl.enabled", Boolean.class, true)
                && (env.getProperty("server.ssl.certificate") != null || env.getProperty("server.ssl.key-store") != null
                || env.getProperty("server.ssl.bundle") != null);
        return (https ? "https" : "http") + "://localhost:" + webPort();
    }

    public ConfigurableApplicationContext context() {
        return context;
    }

    /**
     * Serves until the JVM is asked to stop (Ctrl-C, or SIGTERM from docker stop / the kubelet),
     * then closes: graceful shutdown lets in-flight requests and batches finish.
     */
    public void awaitShutdown() throws InterruptedException {
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                close();
            } catch (Exception ignored) {
                // shutting down anyway
            } finally {
                stopped.countDown();
            }
        }, "plumb-shutdown"));
        stopped.await();
    }

    @Override
    public void close() throws IOException {
        try {
            context.close();
        } finally {
            if (embedded != null) {
                embedded.close();
            }
        }
    }
}

package dev.plumb.web.cli;

import dev.plumb.gatherer.db.EmbeddedDatabase;
import dev.plumb.gatherer.ingest.GathererServer;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * A started `plumb server`: embedded PostgreSQL (unless an external URL was given) plus the
 * Spring context with gatherer and web. The CLI, the demo and the end-to-end tests all start
 * the server through here, so they exercise the same path.
 */
public final class RunningServer implements AutoCloseable {
    private final EmbeddedDatabase embedded;
    private final ConfigurableApplicationContext context;

    private RunningServer(EmbeddedDatabase embedded, ConfigurableApplicationContext context) {
        this.embedded = embedded;
        this.context = context;
    }

    public static RunningServer start(ServerOptions options) throws IOException {
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
            ConfigurableApplicationContext context = new SpringApplicationBuilder(PlumbServerApplication.class)
                    .properties(properties)
                    .run(options.springArgs().toArray(String[]::new));
            return new RunningServer(embedded, context);
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
        return context.getBean(GathererServer.class).port();
    }

    public String webUrl() {
        return "http://localhost:" + webPort();
    }

    public ConfigurableApplicationContext context() {
        return context;
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

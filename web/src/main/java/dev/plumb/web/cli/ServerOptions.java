package dev.plumb.web.cli;

import java.nio.file.Path;
import java.util.List;

/**
 * How to start `plumb server`: ports (0 = any free one), where embedded PostgreSQL keeps its
 * data (ignored with an external dbUrl), agent token, and extra Spring `--key=value` arguments.
 */
public record ServerOptions(int webPort, int gathererPort, Path dataDir, String dbUrl, String dbUser,
                            String dbPassword, String token, List<String> springArgs) {
    public ServerOptions {
        springArgs = List.copyOf(springArgs);
    }

    public static Path defaultDataDir() {
        String env = System.getenv("PLUMB_DATA_DIR");
        return env != null && !env.isBlank() ? Path.of(env) : Path.of(System.getProperty("user.home"), ".plumb");
    }
}

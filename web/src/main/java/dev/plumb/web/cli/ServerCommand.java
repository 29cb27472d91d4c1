package dev.plumb.web.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Unmatched;

@Command(name = "server", mixinStandardHelpOptions = true,
        description = {"Run the gatherer and the web UI in one process.",
                "PostgreSQL is embedded (data in --data-dir) unless --db-url is given."},
        footer = {"", "Other --key=value arguments are Spring properties, e.g. --logging.level.dev.plumb=debug"})
public final class ServerCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ServerMixin server;

    @Unmatched
    List<String> springArgs = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        ServerOptions options = server.toOptions(spec, springArgs);
        RunningServer running = RunningServer.start(options);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                running.close();
            } catch (Exception ignored) {
                // shutting down anyway
            } finally {
                stopped.countDown();
            }
        }, "plumb-shutdown"));
        var out = spec.commandLine().getOut();
        out.println("plumb: web UI      " + running.webUrl() + "/");
        out.println("plumb: gatherer    localhost:" + running.gathererPort() + "  (agents: plumb run --gatherer HOST:"
                + running.gathererPort() + " -- CMD)");
        out.println("plumb: database    " + (options.dbUrl() == null
                ? "embedded PostgreSQL in " + options.dataDir().resolve("postgres") : options.dbUrl()));
        out.println("plumb: Ctrl-C to stop");
        out.flush();
        stopped.await();
        return 0;
    }

    /** Options shared by `server` and `demo`. */
    public static final class ServerMixin {
        @Option(names = "--web-port", paramLabel = "PORT", defaultValue = "8080", description = "HTTP port of the UI and API (default ${DEFAULT-VALUE}).")
        int webPort;

        @Option(names = "--gatherer-port", paramLabel = "PORT", defaultValue = "7070", description = "TCP port for agents (default ${DEFAULT-VALUE}).")
        int gathererPort;

        @Option(names = "--data-dir", paramLabel = "DIR", description = "Where embedded PostgreSQL keeps data (default: $PLUMB_DATA_DIR or ~/.plumb).")
        Path dataDir;

        @Option(names = "--db-url", paramLabel = "JDBC_URL", description = "Use this PostgreSQL instead of the embedded one.")
        String dbUrl;

        @Option(names = "--db-user", paramLabel = "U", description = "User for --db-url.")
        String dbUser;

        @Option(names = "--db-password", paramLabel = "P", defaultValue = "${env:PLUMB_DB_PASSWORD}", description = "Password for --db-url (env PLUMB_DB_PASSWORD).")
        String dbPassword;

        @Option(names = "--token", paramLabel = "T", defaultValue = "${env:PLUMB_TOKEN}", description = "Token agents must present (env PLUMB_TOKEN; default: none required).")
        String token;

        ServerOptions toOptions(CommandSpec spec, List<String> springArgs) {
            checkPort(spec, "--web-port", webPort);
            checkPort(spec, "--gatherer-port", gathererPort);
            if (dbUrl != null && !dbUrl.startsWith("jdbc:postgresql:")) {
                throw new ParameterException(spec.commandLine(), "--db-url must be a PostgreSQL JDBC URL (jdbc:postgresql://HOST:PORT/DB), not '" + dbUrl + "'");
            }
            if (dbUrl == null && (dbUser != null)) {
                throw new ParameterException(spec.commandLine(), "--db-user only makes sense with --db-url");
            }
            for (String arg : springArgs) {
                if (!arg.startsWith("--") || !arg.contains("=")) {
                    throw new ParameterException(spec.commandLine(), "unknown argument '" + arg
                            + "'; extra settings must look like --key=value");
                }
            }
            return new ServerOptions(webPort, gathererPort, dataDir != null ? dataDir : ServerOptions.defaultDataDir(),
                    dbUrl, dbUser, dbPassword, token, springArgs);
        }

        private static void checkPort(CommandSpec spec, String name, int port) {
            if (port < 0 || port > 65535) {
                throw new ParameterException(spec.commandLine(), name + " must be between 0 and 65535, not " + port);
            }
        }
    }
}

package dev.plumb.web.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Unmatched;

@Command(name = "server", mixinStandardHelpOptions = true,
        description = {"Run the gatherer and the web UI in one process.",
                "PostgreSQL is embedded (data in --data-dir) unless --db-url is given.",
                "Optional: TLS for agents (--tls-cert/--tls-key), HTTPS (--web-tls-cert/--web-tls-key), and a login for"
                        + " the UI and API (--plumb.web.auth.username=U --plumb.web.auth.password=P, or"
                        + " PLUMB_WEB_AUTH_USERNAME/PLUMB_WEB_AUTH_PASSWORD)."},
        footer = {"", "Other --key=value arguments are Spring properties, e.g. --logging.level.dev.plumb=debug"})
public final class ServerCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ServerMixin server;

    @Mixin
    GathererTlsOptions gathererTls = new GathererTlsOptions();

    @Mixin
    WebTlsOptions webTls = new WebTlsOptions();

    @Unmatched
    List<String> springArgs = new ArrayList<>();

    /**
     * The Spring arguments this command line amounts to: the extra --key=value arguments and
     * the TLS options as the properties they stand for.
     */
    public List<String> springArguments() {
        CliChecks.springArgs(spec, springArgs);
        List<String> args = new ArrayList<>(springArgs);
        args.addAll(gathererTls.springArgs(spec));
        args.addAll(webTls.springArgs(spec));
        return args;
    }

    @Override
    public Integer call() throws Exception {
        ServerOptions options = server.toOptions(spec, springArguments());
        RunningServer running = RunningServer.start(options);
        var out = spec.commandLine().getOut();
        printStarted(out, running, options);
        out.println("plumb: Ctrl-C to stop");
        out.flush();
        running.awaitShutdown();
        return 0;
    }

    /** Where to find what was started; no secret (a password in a JDBC URL is masked). */
    static void printStarted(java.io.PrintWriter out, RunningServer running, ServerOptions options) {
        var env = running.context().getEnvironment();
        boolean tls = env.getProperty("plumb.gatherer.tls.certificate") != null;
        String user = env.getProperty("plumb.web.auth.username");
        out.println("plumb: web UI      " + running.webUrl() + "/");
        out.println("plumb: login       " + (user == null || user.isBlank()
                ? "none: anyone who can reach the web port can read every profile (set plumb.web.auth.*)"
                : "HTTP basic, user " + user));
        out.println("plumb: gatherer    localhost:" + running.gathererPort() + (tls ? ", TLS only" : "")
                + "  (agents: plumb run --gatherer HOST:" + running.gathererPort() + (tls ? " --tls" : "") + " -- CMD)");
        out.println("plumb: database    " + (options.dbUrl() == null
                ? "embedded PostgreSQL in " + options.dataDir().resolve("postgres") : CliChecks.redacted(options.dbUrl())));
    }

    /** Options shared by `server` and `demo`. */
    public static final class ServerMixin {
        @Option(names = "--web-port", paramLabel = "PORT", defaultValue = "8080", description = "HTTP port of the UI and API (default ${DEFAULT-VALUE}).")
        int webPort;

        @Option(names = "--gatherer-port", paramLabel = "PORT", defaultValue = "7070", description = "TCP port for agents (default ${DEFAULT-VALUE}).")
        int gathererPort;

        @Option(names = "--data-dir", paramLabel = "DIR", description = "Where embedded PostgreSQL keeps data (default: $PLUMB_DATA_DIR or ~/.plumb).")
        Path dataDir;

        @Mixin
        DatabaseOptions database = new DatabaseOptions();

        @Mixin
        TokenOption token = new TokenOption();

        ServerOptions toOptions(CommandSpec spec, List<String> springArgs) {
            CliChecks.port(spec, "--web-port", webPort);
            CliChecks.port(spec, "--gatherer-port", gathererPort);
            database.check(spec, false);
            CliChecks.springArgs(spec, springArgs);
            return new ServerOptions(webPort, gathererPort, dataDir != null ? dataDir : ServerOptions.defaultDataDir(),
                    database.url, database.user, database.password, token.token, springArgs);
        }
    }
}

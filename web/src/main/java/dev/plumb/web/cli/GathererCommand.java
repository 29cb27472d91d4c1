package dev.plumb.web.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Unmatched;

@Command(name = "gatherer", mixinStandardHelpOptions = true,
        description = {"Run only the gatherer (split deployment; no UI): agents' TCP ingest into PostgreSQL.",
                "Needs an external PostgreSQL; applies the schema migrations at start.",
                "Stateless: run as many as you like behind a TCP load balancer."},
        footer = {"", "Example:  plumb gatherer --db-url jdbc:postgresql://db:5432/plumb --db-user plumb --token s3cret",
                "Other --key=value arguments are Spring properties, e.g. --plumb.gatherer.writer-threads=8"})
public final class GathererCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--gatherer-port", paramLabel = "PORT", defaultValue = "7070",
            description = "TCP port for agents (default ${DEFAULT-VALUE}).")
    int gathererPort;

    /** Not 8080, so a gatherer and a web role can share a machine with their defaults. */
    @Option(names = "--http-port", paramLabel = "PORT", defaultValue = "8081",
            description = "HTTP port of /actuator/health and /actuator/prometheus (default ${DEFAULT-VALUE}).")
    int httpPort;

    @Mixin
    DatabaseOptions database = new DatabaseOptions();

    @Mixin
    TokenOption token = new TokenOption();

    @Mixin
    GathererTlsOptions gathererTls = new GathererTlsOptions();

    @Unmatched
    List<String> springArgs = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        CliChecks.port(spec, "--gatherer-port", gathererPort);
        CliChecks.port(spec, "--http-port", httpPort);
        database.check(spec, true);
        CliChecks.springArgs(spec, springArgs);
        List<String> args = new ArrayList<>(springArgs);
        args.addAll(gathererTls.springArgs(spec));
        RunningServer running = RunningServer.start(new ServerOptions(httpPort, gathererPort, null, database.url,
                database.user, database.password, token.token, args), ServerRole.GATHERER);
        var out = spec.commandLine().getOut();
        out.println("plumb: gatherer    :" + running.gathererPort() + (gathererTls.enabled() ? ", TLS only" : "")
                + "  (agents: plumb run --gatherer HOST:" + running.gathererPort()
                + (gathererTls.enabled() ? " --tls" : "") + " -- CMD)");
        out.println("plumb: health      " + running.webUrl() + "/actuator/health");
        out.println("plumb: database    " + CliChecks.redacted(database.url));
        out.flush();
        running.awaitShutdown();
        return 0;
    }
}

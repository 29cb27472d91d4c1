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

@Command(name = "web", mixinStandardHelpOptions = true,
        description = {"Run only the web UI and API (split deployment; no gatherer).",
                "Needs an external PostgreSQL; applies the schema migrations at start."},
        footer = {"", "Example:  plumb web --db-url jdbc:postgresql://db:5432/plumb --db-user plumb",
                "Other --key=value arguments are Spring properties."})
public final class WebCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--web-port", paramLabel = "PORT", defaultValue = "8080",
            description = "HTTP port of the UI, API and /actuator (default ${DEFAULT-VALUE}).")
    int webPort;

    @Mixin
    DatabaseOptions database = new DatabaseOptions();

    @Mixin
    WebTlsOptions webTls = new WebTlsOptions();

    @Unmatched
    List<String> springArgs = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        CliChecks.port(spec, "--web-port", webPort);
        database.check(spec, true);
        CliChecks.springArgs(spec, springArgs);
        List<String> args = new ArrayList<>(springArgs);
        args.addAll(webTls.springArgs(spec));
        RunningServer running = RunningServer.start(new ServerOptions(webPort, 0, null, database.url, database.user,
                database.password, null, args), ServerRole.WEB);
        var out = spec.commandLine().getOut();
        out.println("plumb: web UI      " + running.webUrl() + "/");
        out.println("plumb: database    " + CliChecks.redacted(database.url));
        out.flush();
        running.awaitShutdown();
        return 0;
    }
}

package dev.plumb.agent.cli;

import dev.plumb.agent.ship.GathererAddress;
import dev.plumb.agent.ship.GathererClient;
import dev.plumb.agent.ship.GathererRejectedException;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

@Command(name = "run", mixinStandardHelpOptions = true,
        description = {"Run CMD under the capture library and stream its allocations to a gatherer.",
                "If the gatherer is away, CMD runs anyway: its profile is delivered when the gatherer appears or, "
                        + "--flush-timeout seconds after CMD exited, saved in --spool-dir for `plumb upload`.",
                "Exit code is CMD's own."},
        footer = {"", "Example:  plumb run --service proxy --deployment v42 -- ./proxy --port 8080"})
public final class RunCommand implements Callable<Integer> {
    public static final int EXIT_CANNOT_START = 127;
    public static final int EXIT_NO_GATHERER = 3;

    @Spec
    CommandSpec spec;

    @Mixin
    GathererOptions target;

    @Option(names = "--spool-dir", paramLabel = "DIR", defaultValue = "${env:PLUMB_SPOOL_DIR:-${sys:user.home}/.plumb/spool}",
            description = "Where a profile the gatherer could not take in time is saved for `plumb upload`"
                    + " (env PLUMB_SPOOL_DIR; default ${DEFAULT-VALUE}).")
    java.nio.file.Path spoolDir;

    @Mixin
    ProfileOptions profile;

    @Override
    public Integer call() throws Exception {
        AgentConfigFile config = profile.validate(spec);
        GathererAddress address = target.address(spec);
        var err = spec.commandLine().getErr();
        java.io.IOException unreachable = GathererClient.probe(address, 3000);
        if (unreachable instanceof GathererRejectedException refused) {
            // A TLS handshake that cannot succeed: say it now, and keep the profile for later.
            err.println("plumb: " + refused.getMessage() + "; running " + profile.command.get(0)
                    + " anyway and saving its profile in " + spoolDir + " for `plumb upload`.");
            err.flush();
        } else if (unreachable != null) {
            String reachability = unreachable.getMessage() == null ? unreachable.getClass().getSimpleName()
                    : unreachable.getMessage();
            // The program runs anyway: its capture spools locally and is delivered when the
            // gatherer appears, or saved for `plumb upload` if it has not by the flush timeout.
            err.println("plumb: cannot reach the gatherer at " + address + " (" + reachability + "); running "
                    + profile.command.get(0) + " anyway and delivering when it appears (start one with"
                    + " `./plumb server`, or point --gatherer at a running one).");
            err.flush();
        }
        return profile.run(address, target.token(), config, spoolDir, err);
    }

}

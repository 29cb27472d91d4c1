package dev.plumb.agent.cli;

import dev.plumb.agent.ship.GathererAddress;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/** Where an agent command sends data and the token it presents (`run`, `upload`). */
public final class GathererOptions {
    @Option(names = "--gatherer", paramLabel = "HOST:PORT", defaultValue = "${env:PLUMB_GATHERER:-localhost:7070}",
            description = "Gatherer to send to (env PLUMB_GATHERER; default ${DEFAULT-VALUE}).")
    String gatherer;

    @Option(names = "--token", paramLabel = "T", defaultValue = "${env:PLUMB_TOKEN:-}",
            description = "Shared token the gatherer expects (env PLUMB_TOKEN).")
    String token;

    GathererAddress address(CommandSpec spec) {
        try {
            return GathererAddress.parse(gatherer);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--gatherer: " + e.getMessage());
        }
    }

    String token() {
        return token == null ? "" : token;
    }
}

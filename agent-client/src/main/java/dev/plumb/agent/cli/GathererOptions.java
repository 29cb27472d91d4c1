package dev.plumb.agent.cli;

import dev.plumb.agent.ship.GathererAddress;
import dev.plumb.agent.ship.GathererTls;
import java.io.IOException;
import java.nio.file.Path;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/** Where an agent command sends data, how (plaintext or TLS), and the token it presents (`run`, `upload`). */
public final class GathererOptions {
    @Option(names = "--gatherer", paramLabel = "HOST:PORT", defaultValue = "${env:PLUMB_GATHERER:-localhost:7070}",
            description = "Gatherer to send to (env PLUMB_GATHERER; default ${DEFAULT-VALUE}).")
    String gatherer;

    @Option(names = "--token", paramLabel = "T", defaultValue = "${env:PLUMB_TOKEN:-}",
            description = "Shared token the gatherer expects (env PLUMB_TOKEN).")
    String token;

    @Option(names = "--tls", defaultValue = "${env:PLUMB_TLS:-false}", fallbackValue = "true",
            description = "Connect to the gatherer over TLS, checking that its certificate is trusted and names"
                    + " the gatherer's host (env PLUMB_TLS=true).")
    boolean tls;

    @Option(names = "--tls-ca", paramLabel = "FILE", defaultValue = "${env:PLUMB_TLS_CA}",
            description = "PEM certificate(s) to trust for the gatherer: its CA, or its self-signed certificate"
                    + " (env PLUMB_TLS_CA; default: the JVM's trust store). Implies --tls.")
    Path tlsCa;

    GathererAddress address(CommandSpec spec) {
        GathererAddress address;
        try {
            address = GathererAddress.parse(gatherer);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--gatherer: " + e.getMessage());
        }
        if (tlsCa != null) {
            try {
                return address.withTls(GathererTls.trusting(tlsCa));
            } catch (IOException e) {
                throw new ParameterException(spec.commandLine(), "--tls-ca: " + (e instanceof java.nio.file.NoSuchFileException
                        ? "cannot read " + tlsCa : e.getMessage()));
            }
        }
        return tls ? address.withTls(GathererTls.withDefaultTrust()) : address;
    }

    String token() {
        return token == null ? "" : token;
    }
}

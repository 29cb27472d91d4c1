package dev.plumb.web.cli;

import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

/** TLS on the agents' port (`server`, `gatherer`): plumb.gatherer.tls.certificate / private-key. */
public final class GathererTlsOptions {
    @Option(names = "--tls-cert", paramLabel = "FILE",
            description = "PEM certificate (chain) for the agents' port; with --tls-key the port accepts only TLS"
                    + " (agents connect with --tls). Same as --plumb.gatherer.tls.certificate=FILE.")
    Path cert;

    @Option(names = "--tls-key", paramLabel = "FILE",
            description = "PEM private key of --tls-cert (unencrypted PKCS#8, 'BEGIN PRIVATE KEY').")
    Path key;

    boolean enabled() {
        return cert != null;
    }

    /** Spring arguments for the checked files; none when TLS is off. */
    List<String> springArgs(CommandSpec spec) {
        List<Path> files = TlsFiles.check(spec, "--tls-cert", cert, "--tls-key", key);
        if (files.isEmpty()) {
            return List.of();
        }
        return List.of("--plumb.gatherer.tls.certificate=" + files.get(0), "--plumb.gatherer.tls.private-key=" + files.get(1));
    }
}

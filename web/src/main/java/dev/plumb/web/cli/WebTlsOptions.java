package dev.plumb.web.cli;

import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

/** HTTPS for the web UI and API (`server`, `web`): Spring Boot's PEM SSL properties. */
public final class WebTlsOptions {
    @Option(names = "--web-tls-cert", paramLabel = "FILE",
            description = "PEM certificate (chain) for the web port; with --web-tls-key it serves HTTPS only."
                    + " Same as --server.ssl.certificate=file:FILE.")
    Path cert;

    @Option(names = "--web-tls-key", paramLabel = "FILE",
            description = "PEM private key of --web-tls-cert. Same as --server.ssl.certificate-private-key=file:FILE.")
    Path key;

    /** Spring arguments for the checked files; none when HTTPS is off. */
    List<String> springArgs(CommandSpec spec) {
        List<Path> files = TlsFiles.check(spec, "--web-tls-cert", cert, "--web-tls-key", key);
        if (files.isEmpty()) {
            return List.of();
        }
        return List.of("--server.ssl.certificate=" + files.get(0).toUri(),
                "--server.ssl.certificate-private-key=" + files.get(1).toUri());
    }
}

package dev.plumb.web.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

/** A PEM certificate and its key given as two options: both or neither, both readable. */
final class TlsFiles {
    private TlsFiles() {
    }

    /** The absolute certificate and key paths, or an empty list when neither option was given. */
    static List<Path> check(CommandSpec spec, String certOption, Path cert, String keyOption, Path key) {
        if (cert == null && key == null) {
            return List.of();
        }
        if (cert == null || key == null) {
            throw new ParameterException(spec.commandLine(), certOption + " and " + keyOption + " go together"
                    + " (a PEM certificate and its PEM private key)");
        }
        for (Path p : List.of(cert, key)) {
            if (!Files.isRegularFile(p) || !Files.isReadable(p)) {
                throw new ParameterException(spec.commandLine(), (p == cert ? certOption : keyOption)
                        + ": cannot read " + p);
            }
        }
        return List.of(cert.toAbsolutePath(), key.toAbsolutePath());
    }
}

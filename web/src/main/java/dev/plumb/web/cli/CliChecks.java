package dev.plumb.web.cli;

import java.util.List;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

/** Argument checks shared by the server-side commands; each failure is an exit-2 usage error. */
final class CliChecks {
    private CliChecks() {
    }

    static void port(CommandSpec spec, String name, int port) {
        if (port < 0 || port > 65535) {
            throw new ParameterException(spec.commandLine(), name + " must be between 0 and 65535, not " + port);
        }
    }

    /** Leftover arguments are passed to Spring, so they must look like Spring properties. */
    static void springArgs(CommandSpec spec, List<String> springArgs) {
        for (String arg : springArgs) {
            if (!arg.startsWith("--") || !arg.contains("=")) {
                throw new ParameterException(spec.commandLine(), "unknown argument '" + arg
                        + "'; extra settings must look like --key=value");
            }
        }
    }

    /** A JDBC URL fit to print: a password in its parameters is masked. */
    static String redacted(String jdbcUrl) {
        return jdbcUrl == null ? null : jdbcUrl.replaceAll("(?i)(password=)[^&;]*", "$1***");
    }
}

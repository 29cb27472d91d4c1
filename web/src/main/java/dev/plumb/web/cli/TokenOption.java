package dev.plumb.web.cli;

import picocli.CommandLine.Option;

/** The agent token a gatherer requires; shared by every command that runs one. */
public final class TokenOption {
    @Option(names = "--token", paramLabel = "T", defaultValue = "${env:PLUMB_TOKEN}",
            description = "Token agents must present (env PLUMB_TOKEN; default: none required).")
    String token;
}

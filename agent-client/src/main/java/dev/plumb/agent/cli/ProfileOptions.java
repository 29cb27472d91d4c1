package dev.plumb.agent.cli;

import dev.plumb.agent.run.ProfiledRun;
import dev.plumb.agent.ship.GathererAddress;
import dev.plumb.agent.ship.SessionLabels;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;

/** What `plumb run` and `plumb record` share: the program, its labels, and how to capture it. */
public final class ProfileOptions {
    @Option(names = "--service", paramLabel = "S", defaultValue = "${env:PLUMB_SERVICE}",
            description = "Service label (env PLUMB_SERVICE; default: the executable's name).")
    String service;

    @Option(names = "--deployment", paramLabel = "D", defaultValue = "${env:PLUMB_DEPLOYMENT:-unversioned}",
            description = "Deployment label: version, image or git sha (env PLUMB_DEPLOYMENT; default ${DEFAULT-VALUE}).")
    String deployment;

    @Option(names = "--host", paramLabel = "H", defaultValue = "${env:PLUMB_HOST}",
            description = "Host label (env PLUMB_HOST; default: this machine's hostname).")
    String host;

    @Option(names = "--mode", paramLabel = "full|sampled", defaultValue = "full",
            description = {"full: every allocation and free, lossless; the program waits if the agent falls behind (default).",
                    "sampled: Poisson sampling by bytes, each sample weighted; for always-on production use"
                            + " (the agent then uses only CPU the program leaves idle, and decodes once a second)."})
    String mode;

    @Option(names = "--sample-bytes", paramLabel = "BYTES", defaultValue = "524288",
            description = "Sampled mode: mean bytes allocated between two samples (default ${DEFAULT-VALUE}).")
    long sampleBytes;

    @Option(names = "--follow-exec",
            description = "Also profile programs CMD execs (each becomes its own session); by default they run unprofiled.")
    boolean followExec;

    @Option(names = "--flush-timeout", paramLabel = "SECONDS", defaultValue = "60",
            description = "After CMD exits, how long to wait for its children's data (default ${DEFAULT-VALUE}).")
    long flushTimeoutSeconds;

    @Option(names = "--stats-interval", paramLabel = "SECONDS", defaultValue = "60",
            description = "While CMD runs, print the agent's progress this often: events/s, stacks, lag, reconnects,"
                    + " drops (default ${DEFAULT-VALUE}; 0 = never).")
    long statsIntervalSeconds;

    @Option(names = "--spool-limit", paramLabel = "SIZE", defaultValue = "${env:PLUMB_SPOOL_LIMIT:-1g}",
            description = {"Raw capture each profiled process may have waiting on local disk while decoding or the"
                    + " gatherer lags (e.g. 256m, 4g; env PLUMB_SPOOL_LIMIT; default ${DEFAULT-VALUE}).",
                    "At the limit, full mode makes the program wait (never drops: a lost free is a false leak);"
                            + " sampled mode drops samples, counted in the summary."})
    String spoolLimit;

    @Option(names = "--condense-after", paramLabel = "SECONDS", defaultValue = "${env:PLUMB_CONDENSE_AFTER:-10}",
            description = {"Allocations freed within this many seconds are condensed: folded per backtrace, size and"
                    + " second into one weighted row and its free (graphs, flamegraphs and leak tables stay the same,"
                    + " far fewer rows are stored). Longer-lived ones are shipped individually. They reach the"
                    + " gatherer up to this much later. 0 = off (env PLUMB_CONDENSE_AFTER; default ${DEFAULT-VALUE})."})
    long condenseAfterSeconds;

    @Parameters(paramLabel = "CMD", arity = "1..*", description = "The program to profile and its arguments (after --).")
    List<String> command;

    /** Usage errors in these options or in the agent config file, as picocli parameter errors. */
    AgentConfigFile validate(CommandSpec spec) {
        AgentConfigFile config = AgentConfigFile.load(System.getenv());
        if (config.problem() != null) {
            throw new ParameterException(spec.commandLine(), config.problem());
        }
        if (!"full".equals(mode) && !"sampled".equals(mode)) {
            throw new ParameterException(spec.commandLine(), "--mode must be full or sampled, not '" + mode + "'");
        }
        if (sampleBytes < 1) {
            throw new ParameterException(spec.commandLine(), "--sample-bytes must be at least 1");
        }
        if (statsIntervalSeconds < 0) {
            throw new ParameterException(spec.commandLine(), "--stats-interval must not be negative");
        }
        if (condenseAfterSeconds < 0) {
            throw new ParameterException(spec.commandLine(), "--condense-after must not be negative");
        }
        if (flushTimeoutSeconds < 0) {
            throw new ParameterException(spec.commandLine(), "--flush-timeout must not be negative");
        }
        try {
            spoolLimitBytes();
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--spool-limit: " + e.getMessage());
        }
        return config;
    }

    /**
     * Runs the program under the capture library, shipping to {@code gatherer}; returns its
     * exit code. What cannot be delivered in time is saved under {@code undeliveredDir} (null:
     * dropped and counted).
     */
    int run(GathererAddress gatherer, String token, AgentConfigFile config, java.nio.file.Path undeliveredDir,
            PrintWriter err) throws Exception {
        SessionLabels labels = new SessionLabels(host != null ? host : localHostName(), service, deployment,
                token == null ? "" : token, config.labels());
        try {
            return new ProfiledRun(command, gatherer, labels, Duration.ofSeconds(flushTimeoutSeconds),
                    new java.io.PrintStream(new WriterOutputStream(err), true), captureEnv())
                    .saveUndeliveredTo(undeliveredDir).reportEvery(Duration.ofSeconds(statsIntervalSeconds))
                    .spoolLimit(spoolLimitBytes()).condenseAfter(Duration.ofSeconds(condenseAfterSeconds))
                    .yieldCpuToProgram("sampled".equals(mode)).run();
        } catch (ProfiledRun.CommandNotStartedException e) {
            err.println("plumb: " + e.getMessage());
            return RunCommand.EXIT_CANNOT_START;
        }
    }

    /** --spool-limit in bytes: a number with an optional k, m or g (powers of 1024; "KiB", "MB" read the same). */
    long spoolLimitBytes() {
        return parseSize(spoolLimit);
    }

    static long parseSize(String text) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?i)\\s*(\\d+)\\s*(?:([kmg])(?:i?b)?|b)?\\s*")
                .matcher(text == null ? "" : text);
        if (!m.matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a size (e.g. 1048576, 256m, 4g)");
        }
        int shift = m.group(2) == null ? 0 : switch (Character.toLowerCase(m.group(2).charAt(0))) {
            case 'k' -> 10;
            case 'm' -> 20;
            default -> 30;
        };
        long n;
        try {
            n = Long.parseLong(m.group(1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "' is too large");
        }
        if (n < 1 || n > (Long.MAX_VALUE >> shift)) {
            throw new IllegalArgumentException("'" + text + "' must be at least 1 byte and fit in 8 EiB");
        }
        long bytes = n << shift;
        if (bytes < 64 * 1024) {
            throw new IllegalArgumentException("'" + text + "' is below the least spool of 64k");
        }
        return bytes;
    }

    /** The capture library's settings (see agent-client/native/README.md). */
    Map<String, String> captureEnv() {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("PLUMB_MODE", mode);
        if ("sampled".equals(mode)) {
            env.put("PLUMB_SAMPLE_BYTES", Long.toString(sampleBytes));
        }
        if (followExec) {
            env.put("PLUMB_FOLLOW_EXEC", "1");
        }
        return env;
    }

    static String localHostName() {
        String env = System.getenv("HOSTNAME");
        if (env != null && !env.isBlank()) {
            return env;
        }
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "localhost";
        }
    }
}

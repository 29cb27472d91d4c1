package dev.plumb.agent.cli;

import dev.plumb.agent.record.RecordingServer;
import dev.plumb.agent.ship.GathererAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

@Command(name = "record", mixinStandardHelpOptions = true,
        description = {"Like run, but write the profile to a recording file for `plumb upload` later.",
                "No gatherer is needed now. Exit code is CMD's own."},
        footer = {"", "Example:  plumb record -o proxy.plumb --service proxy -- ./proxy --port 8080",
                "          plumb upload --gatherer gatherer.internal:7070 proxy.plumb"})
public final class RecordCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE", required = true,
            description = "Recording to write (replaced if it exists).")
    Path output;

    @Mixin
    ProfileOptions profile;

    @Override
    public Integer call() throws Exception {
        AgentConfigFile config = profile.validate(spec);
        Path parent = output.toAbsolutePath().getParent();
        if (parent == null || !Files.isDirectory(parent) || !Files.isWritable(parent)) {
            throw new ParameterException(spec.commandLine(), "-o: cannot write " + output
                    + " (its directory does not exist or is not writable)");
        }
        var err = spec.commandLine().getErr();
        Path parts = Files.createTempDirectory("plumb-record-");
        int exit;
        try (RecordingServer recorder = new RecordingServer(output, parts)) {
            exit = profile.run(new GathererAddress("127.0.0.1", recorder.port()), "", config, null, err);
        } finally {
            Files.deleteIfExists(parts);
        }
        err.println("plumb: recording written to " + output + " (" + Files.size(output)
                + " bytes); send it with: plumb upload " + output);
        err.flush();
        return exit;
    }
}

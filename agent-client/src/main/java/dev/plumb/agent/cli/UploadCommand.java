package dev.plumb.agent.cli;

import dev.plumb.agent.record.RecordingUploader;
import dev.plumb.agent.ship.GathererAddress;
import dev.plumb.agent.ship.GathererRejectedException;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "upload", mixinStandardHelpOptions = true,
        description = {"Send a recording (from `plumb record`, or saved by `plumb run`) to a gatherer.",
                "Uploading the same file again stores nothing twice; a damaged file is uploaded up to the damage,"
                        + " which is reported with its byte offset."},
        footer = {"", "Exit codes: 0 uploaded; 1 the file is damaged (its intact part was uploaded) or the gatherer refused it;",
                "2 bad arguments; 3 the gatherer cannot be reached."})
public final class UploadCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    GathererOptions target;

    @Parameters(paramLabel = "FILE", description = "The recording.")
    Path file;

    @Override
    public Integer call() throws Exception {
        if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
            throw new ParameterException(spec.commandLine(), "cannot read the recording " + file);
        }
        GathererAddress address = target.address(spec);
        var err = spec.commandLine().getErr();
        RecordingUploader.Result result;
        try {
            result = new RecordingUploader(address, target.token(),
                    new PrintStream(new WriterOutputStream(err), true)).upload(file);
        } catch (GathererRejectedException e) {
            err.println("plumb: " + e.getMessage());
            return 1;
        } catch (IOException e) {
            err.println("plumb: cannot upload to the gatherer at " + address + ": " + e.getMessage());
            return RunCommand.EXIT_NO_GATHERER;
        }
        err.printf("plumb: %d session(s): %d batches stored, %d already there%n",
                result.sessions(), result.batchesSent(), result.batchesAlreadyStored());
        err.flush();
        return result.complete() ? 0 : 1;
    }
}

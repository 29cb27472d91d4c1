package dev.plumb.web.cli;

import dev.plumb.agent.cli.AgentCli;
import dev.plumb.agent.cli.RecordCommand;
import dev.plumb.agent.cli.RunCommand;
import dev.plumb.agent.cli.UploadCommand;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** `./plumb`: the whole product in one jar — server, demo and the agent commands. */
@Command(name = "plumb", mixinStandardHelpOptions = true, version = "plumb 0.1.0",
        description = {"Plumb: find memory leaks in native programs, across a fleet.", ""},
        subcommands = {DemoCommand.class, ServerCommand.class, WebCommand.class, GathererCommand.class,
                RunCommand.class, RecordCommand.class, UploadCommand.class, ImportCommand.class, HashPasswordCommand.class},
        footer = {"", "Start with:  plumb demo"})
public final class PlumbCli implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    public static void main(String[] args) {
        System.exit(AgentCli.newCommandLine(new PlumbCli()).execute(args));
    }

    /** No command given: say which exist. */
    @Override
    public Integer call() {
        spec.commandLine().getErr().println("plumb: missing command");
        spec.commandLine().usage(spec.commandLine().getErr());
        return 2;
    }
}

package dev.plumb.agent.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The agent-only CLI, for hosts that profile but do not serve. */
@Command(name = "plumb", mixinStandardHelpOptions = true, version = "plumb 0.1.0",
        description = "Plumb host agent: profile native programs and stream their allocations.",
        subcommands = {RunCommand.class, RecordCommand.class, UploadCommand.class})
public final class AgentCli implements java.util.concurrent.Callable<Integer> {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    /** No command given: say which exist. */
    @Override
    public Integer call() {
        spec.commandLine().getErr().println("plumb: missing command");
        spec.commandLine().usage(spec.commandLine().getErr());
        return 2;
    }

    public static void main(String[] args) {
        System.exit(newCommandLine(new AgentCli()).execute(args));
    }

    /** Usage errors exit 2 with the message and the usage, everywhere the CLI is built. */
    public static CommandLine newCommandLine(Object root) {
        CommandLine cli = new CommandLine(root);
        cli.setDefaultValueProvider(AgentConfigFile.load(System.getenv()));
        cli.setExitCodeExceptionMapper(e -> 1);
        cli.getCommandSpec().exitCodeOnInvalidInput(2);
        cli.setParameterExceptionHandler((ex, args) -> {
            CommandLine c = ex.getCommandLine();
            c.getErr().println("plumb: " + ex.getMessage());
            c.getErr().println("Try '" + c.getCommandSpec().qualifiedName() + " --help' for usage.");
            return 2;
        });
        cli.setExecutionExceptionHandler((ex, c, parsed) -> {
            c.getErr().println("plumb: " + (ex.getMessage() == null ? ex.toString() : ex.getMessage()));
            return 1;
        });
        return cli;
    }
}

package dev.plumb.agent.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class AgentConfigFileTest {
    @TempDir
    Path dir;

    private Path file() throws Exception {
        return Files.writeString(dir.resolve("agent.properties"), """
                gatherer = gatherer.internal:7171
                service = checkout
                deployment = 2026.11.25-abc123
                condense-after = 30
                label.region = cdg
                label.team = payments
                """);
    }

    @Test
    void fileSuppliesDefaultsAndFlagsStillWin() throws Exception {
        AgentConfigFile config = AgentConfigFile.load(Map.of("PLUMB_CONFIG", file().toString()));
        assertThat(config.problem()).isNull();
        RunCommand run = new RunCommand();
        new CommandLine(run).setDefaultValueProvider(config).parseArgs("--deployment", "hotfix", "--", "/bin/true");
        assertThat(run.target.gatherer).isEqualTo("gatherer.internal:7171");
        assertThat(run.profile.service).isEqualTo("checkout");
        assertThat(run.profile.deployment).isEqualTo("hotfix");
        assertThat(run.profile.condenseAfterSeconds).isEqualTo(30);

        RunCommand flag = new RunCommand();
        new CommandLine(flag).setDefaultValueProvider(config).parseArgs("--condense-after", "0", "--", "/bin/true");
        assertThat(flag.profile.condenseAfterSeconds).as("a flag beats the file").isZero();
        assertThat(config.labels()).containsExactly(Map.entry("region", "cdg"), Map.entry("team", "payments"));
    }

    @Test
    void environmentBeatsTheFile() throws Exception {
        AgentConfigFile config = AgentConfigFile.load(Map.of("PLUMB_CONFIG", file().toString(), "PLUMB_SERVICE", "from-env"));
        RunCommand run = new RunCommand();
        CommandLine cli = new CommandLine(run).setDefaultValueProvider(config);
        assertThat(config.defaultValue(cli.getCommandSpec().findOption("--service"))).isNull();
        assertThat(config.defaultValue(cli.getCommandSpec().findOption("--gatherer"))).isEqualTo("gatherer.internal:7171");

        AgentConfigFile condense = AgentConfigFile.load(Map.of("PLUMB_CONFIG", file().toString(), "PLUMB_CONDENSE_AFTER", "5"));
        assertThat(condense.defaultValue(cli.getCommandSpec().findOption("--condense-after"))).isNull();
        assertThat(config.defaultValue(cli.getCommandSpec().findOption("--condense-after"))).isEqualTo("30");
    }

    @Test
    void withoutAFileCondensingDefaultsToTenSeconds() {
        RunCommand run = new RunCommand();
        new CommandLine(run).setDefaultValueProvider(AgentConfigFile.load(Map.of())).parseArgs("--", "/bin/true");
        assertThat(run.profile.condenseAfterSeconds).isEqualTo(System.getenv("PLUMB_CONDENSE_AFTER") == null ? 10
                : Long.parseLong(System.getenv("PLUMB_CONDENSE_AFTER")));
    }

    @Test
    void aMissingNamedFileIsAProblemNotACrash() {
        AgentConfigFile config = AgentConfigFile.load(Map.of("PLUMB_CONFIG", dir.resolve("nope.properties").toString()));
        assertThat(config.problem()).contains("nope.properties").contains("not a readable file");
    }

    @Test
    void tlsSettingsComeFromTheFileToo() throws Exception {
        Path file = Files.writeString(dir.resolve("tls.properties"), "gatherer = gatherer.internal:7070\ntls = true\n"
                + "tls-ca = /etc/plumb/ca.pem\n");
        RunCommand run = new RunCommand();
        new CommandLine(run).setDefaultValueProvider(AgentConfigFile.load(Map.of("PLUMB_CONFIG", file.toString())))
                .parseArgs("--", "/bin/true");
        assertThat(run.target.tls).isTrue();
        assertThat(run.target.tlsCa).isEqualTo(Path.of("/etc/plumb/ca.pem"));

        RunCommand plain = new RunCommand();
        new CommandLine(plain).setDefaultValueProvider(AgentConfigFile.load(Map.of("PLUMB_CONFIG", file().toString())))
                .parseArgs("--", "/bin/true");
        assertThat(plain.target.tls).isFalse();
        assertThat(plain.target.tlsCa).isNull();
    }
}

package dev.plumb.agent.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import picocli.CommandLine.IDefaultValueProvider;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The agent's config file, for hosts where flags are awkward (a systemd unit, an image's
 * entrypoint). Precedence: a flag, then its environment variable, then this file, then the
 * built-in default. The file is {@code $PLUMB_CONFIG} (which must exist), else
 * {@code /etc/plumb/agent.properties} if present. Keys: {@code gatherer}, {@code service},
 * {@code deployment}, {@code host}, {@code token}, {@code tls} ({@code true}/{@code false}),
 * {@code tls-ca} (a PEM file), {@code condense-after} (seconds), and {@code label.NAME=value}
 * for extra session labels.
 */
public final class AgentConfigFile implements IDefaultValueProvider {
    static final Path SYSTEM_FILE = Path.of("/etc/plumb/agent.properties");
    private static final Map<String, String> ENV_OF_OPTION = Map.of(
            "--gatherer", "PLUMB_GATHERER", "--service", "PLUMB_SERVICE", "--deployment", "PLUMB_DEPLOYMENT",
            "--host", "PLUMB_HOST", "--token", "PLUMB_TOKEN", "--tls", "PLUMB_TLS", "--tls-ca", "PLUMB_TLS_CA",
            "--condense-after", "PLUMB_CONDENSE_AFTER");

    private final Properties properties;
    private final Map<String, String> environment;
    private final String problem;

    private AgentConfigFile(Properties properties, Map<String, String> environment, String problem) {
        this.properties = properties;
        this.environment = environment;
        this.problem = problem;
    }

    /**
     * The file this environment names, or an empty config when there is none. Never throws:
     * a file that cannot be read is reported by {@link #problem()} when a command runs.
     */
    public static AgentConfigFile load(Map<String, String> environment) {
        String named = environment.get("PLUMB_CONFIG");
        boolean explicit = named != null && !named.isBlank();
        Path file = explicit ? Path.of(named) : SYSTEM_FILE;
        Properties properties = new Properties();
        if (!Files.isRegularFile(file)) {
            return new AgentConfigFile(properties, environment,
                    explicit ? "PLUMB_CONFIG names " + file + ", which is not a readable file" : null);
        }
        try (InputStream in = Files.newInputStream(file)) {
            properties.load(in);
            return new AgentConfigFile(properties, environment, null);
        } catch (IOException | IllegalArgumentException e) {
            return new AgentConfigFile(new Properties(), environment,
                    "cannot read the agent config file " + file + ": " + e.getMessage());
        }
    }

    /** Why the config file could not be used, or null. */
    public String problem() {
        return problem;
    }

    @Override
    public String defaultValue(ArgSpec arg) {
        if (!(arg instanceof OptionSpec option)) {
            return null;
        }
        String env = ENV_OF_OPTION.get(option.longestName());
        if (env == null || environment.get(env) != null) {
            return null; // not a file setting, or the environment decides (the annotated default reads it)
        }
        return properties.getProperty(option.longestName().substring(2));
    }

    /** {@code label.NAME=value} entries, as extra session labels. */
    public Map<String, String> labels() {
        Map<String, String> labels = new TreeMap<>();
        for (String key : properties.stringPropertyNames()) {
            if (key.startsWith("label.") && key.length() > "label.".length()) {
                labels.put(key.substring("label.".length()), properties.getProperty(key));
            }
        }
        return labels;
    }
}

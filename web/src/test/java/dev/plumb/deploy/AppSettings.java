package dev.plumb.deploy;

import dev.plumb.agent.cli.AgentCli;
import dev.plumb.web.cli.PlumbCli;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.RecordComponent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.Name;
import org.springframework.context.annotation.ClassPathScanningCandidateComponentProvider;
import org.springframework.core.type.filter.AnnotationTypeFilter;
import picocli.CommandLine;

/**
 * Every setting the applications read, collected from the code rather than listed by hand:
 * the plumb.* @ConfigurationProperties records, the keys of application.properties, and the
 * PLUMB_* environment variables the CLI, the server and the logging configuration read.
 */
final class AppSettings {
    /** A row of the configuration reference: a Spring property (with its env form) or an env-only variable. */
    record Setting(String property, String env) implements Comparable<Setting> {
        public int compareTo(Setting o) {
            return (property + env).compareTo(o.property + o.env);
        }

        String key() {
            return property != null ? property : env;
        }
    }

    private static final Pattern ENV_READ = Pattern.compile(
            "\\$\\{env:(PLUMB_[A-Z_]+)|get(?:env)?\\(\"(PLUMB_[A-Z_]+)\"\\)|\\$\\{(PLUMB_[A-Z_]+):-");

    static Set<Setting> all() {
        Set<Setting> settings = new TreeSet<>();
        for (String property : springProperties()) {
            settings.add(new Setting(property, envForm(property)));
        }
        for (String env : environmentVariables()) {
            settings.add(new Setting(null, env));
        }
        return settings;
    }

    /** Every environment variable a container may set: env-only variables and env forms of properties. */
    static Set<String> allEnvNames() {
        Set<String> names = new TreeSet<>();
        all().forEach(s -> names.add(s.env()));
        return names;
    }

    static Set<String> springProperties() {
        Set<String> properties = new TreeSet<>(configurationProperties());
        Properties app = new Properties();
        try (var in = AppSettings.class.getResourceAsStream("/application.properties")) {
            app.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        properties.addAll(app.stringPropertyNames());
        return properties;
    }

    /** plumb.* keys of the @ConfigurationProperties records under dev.plumb (kebab-case, as documented). */
    static Set<String> configurationProperties() {
        var scanner = new ClassPathScanningCandidateComponentProvider(false);
        scanner.addIncludeFilter(new AnnotationTypeFilter(ConfigurationProperties.class));
        Set<String> keys = new TreeSet<>();
        for (BeanDefinition candidate : scanner.findCandidateComponents("dev.plumb")) {
            Class<?> type = load(candidate.getBeanClassName());
            ConfigurationProperties annotation = type.getAnnotation(ConfigurationProperties.class);
            String prefix = annotation.value().isEmpty() ? annotation.prefix() : annotation.value();
            if (!type.isRecord()) {
                throw new AssertionError(type + ": configuration properties are records here; teach AppSettings other shapes");
            }
            addRecordKeys(prefix, type, keys);
        }
        return keys;
    }

    /** A nested record (e.g. plumb.alerts.default-rule) contributes its own keys under its name. */
    private static void addRecordKeys(String prefix, Class<?> type, Set<String> keys) {
        RecordComponent[] components = type.getRecordComponents();
        java.lang.reflect.Parameter[] parameters = canonicalConstructor(type, components).getParameters();
        for (int i = 0; i < components.length; i++) {
            RecordComponent component = components[i];
            // @Name targets constructor parameters, where binding reads it
            Name renamed = parameters[i].getAnnotation(Name.class);
            String key = prefix + "." + (renamed != null ? renamed.value() : kebab(component.getName()));
            if (component.getType().isRecord() && component.getType().getName().startsWith("dev.plumb.")) {
                addRecordKeys(key, component.getType(), keys);
            } else {
                keys.add(key);
            }
        }
    }

    /** PLUMB_* variables read by picocli defaults (${env:…}), System.getenv, an environment map's get, or logback (${…:-}). */
    static Set<String> environmentVariables() {
        Set<String> names = new TreeSet<>();
        List<String> sources = new ArrayList<>();
        sources.add(Repo.read("web/src/main/resources/logback.xml"));
        for (String module : List.of("agent-client", "gatherer", "web")) {
            try (Stream<Path> files = Files.walk(Repo.file(module + "/src/main/java"))) {
                files.filter(f -> f.toString().endsWith(".java")).forEach(f -> sources.add(read(f)));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        for (String source : sources) {
            Matcher m = ENV_READ.matcher(source);
            while (m.find()) {
                for (int g = 1; g <= m.groupCount(); g++) {
                    if (m.group(g) != null) {
                        names.add(m.group(g));
                    }
                }
            }
        }
        return names;
    }

    /** The default of a `plumb` subcommand's option, e.g. the port a role listens on in its image. */
    static int defaultPort(String subcommand, String option) {
        CommandLine cli = AgentCli.newCommandLine(new PlumbCli()).getSubcommands().get(subcommand);
        return Integer.parseInt(cli.getCommandSpec().findOption(option).defaultValue());
    }

    /** Spring's relaxed binding from the environment: upper case, dots to underscores, dashes dropped. */
    static String envForm(String property) {
        return property.replace("-", "").replace('.', '_').toUpperCase();
    }

    private static String kebab(String camel) {
        return camel.replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase();
    }

    private static java.lang.reflect.Constructor<?> canonicalConstructor(Class<?> type, RecordComponent[] components) {
        try {
            return type.getDeclaredConstructor(Stream.of(components).map(RecordComponent::getType).toArray(Class<?>[]::new));
        } catch (NoSuchMethodException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Class<?> load(String name) {
        try {
            return Class.forName(name);
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

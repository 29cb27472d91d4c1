package dev.plumb.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.yaml.snakeyaml.Yaml;

/** helm/plumb rendered the way `helm template` would, for the template subset of {@link GoTemplate}. */
final class HelmChart {
    static final Path DIR = Repo.file("helm/plumb");

    /** A release rendered with these values on top of values.yaml (like --set). */
    record Release(List<Map<String, Object>> manifests, String notes, Map<String, Object> values) {
        List<Map<String, Object>> ofKind(String kind) {
            return manifests.stream().filter(m -> kind.equals(m.get("kind"))).toList();
        }

        Map<String, Object> named(String kind, String name) {
            return ofKind(kind).stream().filter(m -> name.equals(Repo.at(m, "metadata", "name"))).findFirst()
                    .orElseThrow(() -> new AssertionError("no " + kind + " named " + name + " in the rendered chart"));
        }
    }

    static Release render(String releaseName, Map<String, Object> overrides) {
        Map<String, Object> values = Repo.yaml(read(DIR.resolve("values.yaml")));
        merge(values, overrides);
        Map<String, Object> chart = Repo.yaml(read(DIR.resolve("Chart.yaml")));
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("Values", values);
        root.put("Release", Map.of("Name", releaseName, "Namespace", "plumb", "Service", "Helm"));
        root.put("Chart", Map.of("Name", chart.get("name"), "Version", chart.get("version"),
                "AppVersion", chart.get("appVersion")));

        GoTemplate template = new GoTemplate();
        List<Path> files = templates();
        files.stream().filter(f -> f.getFileName().toString().startsWith("_")).forEach(f -> template.addHelpers(read(f)));
        List<Map<String, Object>> manifests = new ArrayList<>();
        String notes = null;
        for (Path file : files) {
            String name = file.getFileName().toString();
            if (name.startsWith("_")) {
                continue;
            }
            String rendered;
            try {
                rendered = template.render(read(file), root);
            } catch (RuntimeException e) {
                throw new IllegalArgumentException(name + ": " + e.getMessage(), e);
            }
            if (name.equals("NOTES.txt")) {
                notes = rendered;
                continue;
            }
            for (Object doc : new Yaml().loadAll(rendered)) {
                if (doc != null) {
                    @SuppressWarnings("unchecked")
                    Map<String, Object> manifest = (Map<String, Object>) doc;
                    manifests.add(manifest);
                }
            }
        }
        return new Release(manifests, notes, values);
    }

    static List<Path> templates() {
        try (Stream<Path> files = Files.list(DIR.resolve("templates"))) {
            return files.sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @SuppressWarnings("unchecked")
    private static void merge(Map<String, Object> into, Map<String, Object> overrides) {
        overrides.forEach((key, value) -> {
            if (value instanceof Map<?, ?> nested && into.get(key) instanceof Map<?, ?> existing) {
                merge((Map<String, Object>) existing, (Map<String, Object>) nested);
            } else {
                into.put(key, value);
            }
        });
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

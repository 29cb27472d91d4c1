package dev.plumb.deploy;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The repository's Dockerfile as stages: base image, COPY sources from the context, EXPOSE. */
final class DockerfileStages {
    record Stage(String name, String from, List<String> contextSources, List<Integer> exposed, List<String> copiedTo) {
    }

    static Map<String, Stage> parse(String dockerfile) {
        Map<String, Stage> stages = new LinkedHashMap<>();
        Stage current = null;
        for (String raw : dockerfile.replace("\\\n", " ").split("\n")) {
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] words = line.split("\\s+");
            switch (words[0].toUpperCase()) {
                case "FROM" -> {
                    if (words.length != 4 || !words[2].equalsIgnoreCase("AS")) {
                        throw new AssertionError("every stage must be named (FROM image AS name): " + line);
                    }
                    current = new Stage(words[3], words[1], new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
                    stages.put(current.name(), current);
                }
                case "COPY" -> {
                    List<String> args = List.of(words).subList(1, words.length);
                    boolean fromStage = args.stream().anyMatch(a -> a.startsWith("--from="));
                    List<String> paths = args.stream().filter(a -> !a.startsWith("--")).toList();
                    if (!fromStage) {
                        current.contextSources().addAll(paths.subList(0, paths.size() - 1));
                    }
                    current.copiedTo().add(paths.get(paths.size() - 1));
                }
                case "EXPOSE" -> {
                    for (String port : List.of(words).subList(1, words.length)) {
                        current.exposed().add(Integer.parseInt(port));
                    }
                }
                default -> {
                    // RUN, ENV, CMD …: not cross-checked
                }
            }
        }
        return stages;
    }

    /** Exposed ports of a stage including those of the stages it is built FROM. */
    static List<Integer> exposed(Map<String, Stage> stages, String name) {
        List<Integer> ports = new ArrayList<>();
        for (Stage s = stages.get(name); s != null; s = stages.get(s.from())) {
            ports.addAll(s.exposed());
        }
        return ports;
    }
}

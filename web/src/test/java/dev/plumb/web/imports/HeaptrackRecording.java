package dev.plumb.web.imports;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Test fixture: compiles resources/imports/heaptracked.c with gcc and records it with the real
 * heaptrack; then asks heaptrack_print for its numbers. Tests using it are skipped when
 * heaptrack is not installed (.ci/run installs it, so CI does not skip).
 */
public final class HeaptrackRecording {
    public final Path file;

    private HeaptrackRecording(Path file) {
        this.file = file;
    }

    public static boolean heaptrackInstalled() {
        try {
            return run(List.of("heaptrack_print", "--version"), Path.of(".")).exit == 0
                    && run(List.of("heaptrack", "--version"), Path.of(".")).exit == 0;
        } catch (IOException e) {
            return false;
        }
    }

    public static HeaptrackRecording record(Path dir) throws IOException {
        assumeTrue(heaptrackInstalled(), "heaptrack is not installed");
        Path source = dir.resolve("heaptracked.c");
        try (InputStream in = HeaptrackRecording.class.getResourceAsStream("/imports/heaptracked.c")) {
            Files.copy(in, source);
        }
        Path program = dir.resolve("heaptracked");
        Output gcc = run(List.of("gcc", "-g", "-O0", "-o", program.toString(), source.toString()), dir);
        assertThat(gcc.exit).as("gcc: %s", gcc.text).isZero();
        Output recorded = run(List.of("heaptrack", "-o", dir.resolve("heaptrack.heaptracked.4242").toString(),
                program.toString()), dir);
        assertThat(recorded.exit).as("heaptrack: %s", recorded.text).isZero();
        try (Stream<Path> files = Files.list(dir)) {
            Path file = files.filter(p -> p.getFileName().toString().matches("heaptrack\\.heaptracked\\.4242\\.(gz|zst)"))
                    .findFirst().orElseThrow(() -> new AssertionError("no recording in " + dir + ": " + recorded.text));
            return new HeaptrackRecording(file);
        }
    }

    /** heaptrack_print's summary, without suppressions (Plumb applies none). */
    public String printSummary() throws IOException {
        Output out = run(printCommand(List.of()), file.getParent());
        assertThat(out.exit).as("heaptrack_print: %s", out.text).isZero();
        return out.text;
    }

    /** Exact figures: heaptrack_print's flamegraph output for a cost type, summed over stacks. */
    public long printTotal(String costType) throws IOException {
        Path stacks = file.resolveSibling("stacks-" + costType + ".txt");
        Output out = run(printCommand(List.of("--flamegraph-cost-type", costType, "-F", stacks.toString())),
                file.getParent());
        assertThat(out.exit).as("heaptrack_print: %s", out.text).isZero();
        long sum = 0;
        for (String line : Files.readAllLines(stacks, StandardCharsets.UTF_8)) {
            if (!line.isBlank()) {
                sum += Long.parseLong(line.substring(line.lastIndexOf(' ') + 1).trim());
            }
        }
        return sum;
    }

    private List<String> printCommand(List<String> extra) {
        List<String> command = new ArrayList<>(List.of("heaptrack_print", "--disable-builtin-suppressions",
                "--disable-embedded-suppressions", "-p", "0", "-a", "0", "-T", "0"));
        command.addAll(extra);
        command.add(file.toString());
        return command;
    }

    private record Output(int exit, String text) {
    }

    private static Output run(List<String> command, Path dir) throws IOException {
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError(command + " timed out");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
        return new Output(p.exitValue(), text);
    }
}

package dev.plumb.agent.capture;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Builds the C test fixtures (src/test/resources/fixtures) and finds tools on PATH. */
final class Fixtures {

    /** Copies fixtures/NAME.c into dir and compiles it with gcc and the given flags; returns the executable. */
    static Path build(Path dir, String name, String... flags) throws Exception {
        return buildAs(dir, name, name, flags);
    }

    static Path buildAs(Path dir, String source, String exeName, String... flags) throws Exception {
        Path src = copy(dir, source + ".c");
        Path exe = dir.resolve(exeName);
        List<String> cmd = new ArrayList<>(List.of("gcc", "-g", "-o", exe.toString(), src.toString()));
        cmd.addAll(List.of(flags));
        run(cmd);
        return exe;
    }

    static Path copy(Path dir, String resource) throws Exception {
        Path out = dir.resolve(resource);
        if (!Files.exists(out)) {
            try (InputStream in = Fixtures.class.getResourceAsStream("/fixtures/" + resource)) {
                assertThat(in).as("fixture %s", resource).isNotNull();
                Files.copy(in, out);
            }
        }
        return out;
    }

    /** Runs a command to completion; fails the test with its output if it does not exit 0. */
    static String run(List<String> cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(CaptureHarness.TIMEOUT_SECONDS, TimeUnit.SECONDS)).as("%s timed out", cmd).isTrue();
        assertThat(p.exitValue()).as("%s: %s", cmd, out).isZero();
        return out;
    }

    /** Plain run without the library: exit code, stdout and stderr. */
    record Plain(int exitCode, String stdout, String stderr) {
    }

    static Plain runPlain(Path workDir, List<String> cmd) throws Exception {
        return runPlain(workDir, cmd, java.util.Map.of());
    }

    static Plain runPlain(Path workDir, List<String> cmd, java.util.Map<String, String> env) throws Exception {
        Path err = Files.createTempFile(workDir, "plain-stderr", ".txt");
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(workDir.toFile())
                .redirectError(err.toFile());
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(CaptureHarness.TIMEOUT_SECONDS, TimeUnit.SECONDS)).as("%s timed out", cmd).isTrue();
        return new Plain(p.exitValue(), out, Files.readString(err));
    }

    static Path onPath(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, tool))) {
                return Path.of(dir, tool);
            }
        }
        return null;
    }

    static boolean headerExists(String path) {
        return Files.exists(Path.of("/usr/include", path));
    }

    private Fixtures() {
    }
}

package dev.plumb.agent.run;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * In sampled mode — the always-on production mode — the agent must not take CPU the profiled
 * service wants: after the program has started (it keeps the niceness it was given), every
 * thread of this JVM is reniced to {@link #NICE}. Threads created later inherit it from their
 * creators. Linux niceness is per thread, hence one `renice` with every task id. Full mode
 * keeps normal priority: there the program waits for the agent when it falls behind, so a
 * starved agent would slow the program down instead.
 */
public final class YieldToProgram {
    static final int NICE = 10;

    private YieldToProgram() {
    }

    /** Lowers this JVM's threads' priority; returns whether it worked (renice may be absent). */
    static boolean lowerAgentPriority() {
        return setNiceness(NICE);
    }

    /**
     * Sets every thread of this JVM to {@code nice}; returns whether it worked. Raising the
     * priority again (a lower value) needs privileges.
     */
    public static boolean setNiceness(int nice) {
        List<String> command = new ArrayList<>(List.of("renice", "-n", String.valueOf(nice), "-p"));
        try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
            tasks.forEach(t -> command.add(t.getFileName().toString()));
        } catch (IOException e) {
            return false;
        }
        try {
            Process renice = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            return renice.waitFor(5, TimeUnit.SECONDS) && renice.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}

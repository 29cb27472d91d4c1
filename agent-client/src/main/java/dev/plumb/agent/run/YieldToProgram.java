package dev.plumb.agent.run;

import dev.plumb.agent.capture.CaptureLibrary;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * In sampled mode — the always-on production mode — the agent must not take CPU the profiled
 * service wants. Before the program starts, this JVM's threads are moved to the SCHED_IDLE
 * scheduling class (with {@code plumb-idle}; where that fails, reniced to 19): decoding,
 * symbolizing, shipping, JIT compiling then run only on CPU the program leaves idle, and a
 * program thread that wakes up takes its CPU back at once — nice 19 alone lets an agent thread
 * finish its time slice first, which measurably slowed an allocation-bound program (bench/README).
 *
 * <p>Kept at normal priority: the thread that starts the program (a child inherits its parent
 * thread's scheduling, so the program keeps what it was given) and the acceptor (it starts
 * each connection's pump, which copies the capture socket to the spool). The JVM's safepoint
 * and GC threads are idle-class too: a pause they stretch on a saturated host stalls the pump
 * as well, but the library queues 4 MiB and in sampled mode drops samples rather than wait
 * (counted), which is the trade an always-on profiler makes. Threads created later inherit the
 * class of the thread that starts them. Doing this before the program starts matters: the JVM
 * compiles the agent's code while the program runs. Full mode keeps normal priority: there the
 * program waits for the agent when it falls behind, so a starved agent would slow it down.
 */
public final class YieldToProgram {
    static final int NICE = 19;
    /** Scheduling policy number of SCHED_IDLE (field 41 of /proc/…/stat). */
    static final int SCHED_IDLE = 5;

    private YieldToProgram() {
    }

    /**
     * Moves this JVM's threads but {@code keep} (kernel thread ids) to SCHED_IDLE, or failing
     * that nice 19; returns whether either worked.
     */
    static boolean lowerAgentPriority(Set<Long> keep) {
        List<String> tids = new ArrayList<>();
        try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path task : tasks.toList()) {
                String tid = task.getFileName().toString();
                if (!keep.contains(Long.parseLong(tid))) {
                    tids.add(tid);
                }
            }
        } catch (IOException | NumberFormatException e) {
            return false;
        }
        if (tids.isEmpty()) {
            return true;
        }
        List<String> idle = new ArrayList<>();
        try {
            idle.add(CaptureLibrary.extractIdleHelper().toString());
        } catch (IllegalStateException notBuilt) {
            idle.clear();
        }
        if (!idle.isEmpty()) {
            idle.addAll(tids);
            if (run(idle)) {
                return true;
            }
        }
        List<String> renice = new ArrayList<>(List.of("renice", "-n", String.valueOf(NICE), "-p"));
        renice.addAll(tids);
        return run(renice);
    }

    /** The kernel's id of the calling thread (Java 17 has no API for it). */
    static long currentThreadId() throws IOException {
        Path self = Files.readSymbolicLink(Path.of("/proc/thread-self")); // "PID/task/TID"
        return Long.parseLong(self.getFileName().toString());
    }

    private static boolean run(List<String> command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            return p.waitFor(5, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}

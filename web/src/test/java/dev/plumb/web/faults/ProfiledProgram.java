package dev.plumb.web.faults;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * `plumb run -- bench/timed PROGRAM…` started under bench/subreaper, as a separate process
 * tree: the agent's JVM can be killed with SIGKILL, and the program it profiles is still
 * observed to the end (the subreaper reaps the orphan and logs its exit code; bench/timed
 * writes the program's own wall time).
 */
final class ProfiledProgram {
    private final Process reaper;
    private final Path reaperLog;
    private final Path stdout;
    private final Path stderr;
    private final Path timeFile;
    private final long startNanos = System.nanoTime();

    /**
     * What happened: the agent's and the program's exit codes (the program's is the agent's
     * unless the agent was killed), the program's output and wall time, and the agent's output.
     */
    record Outcome(int agentExit, int programExit, boolean programOrphaned, String stdout, String programStderr,
                   String agentOutput, double programSeconds, double totalSeconds) {
        AgentSummary summary(String exeSuffix) {
            return AgentSummary.find(agentOutput, exeSuffix);
        }

        /** Highest "captured but not yet processed" figure of the agent's progress lines, in KiB. */
        long maxSpoolLagKib() {
            long max = 0;
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("([\\d,]+) KiB captured").matcher(agentOutput);
            while (m.find()) {
                max = Math.max(max, Long.parseLong(m.group(1).replace(",", "")));
            }
            return max;
        }
    }

    private ProfiledProgram(Process reaper, Path reaperLog, Path stdout, Path stderr, Path timeFile) {
        this.reaper = reaper;
        this.reaperLog = reaperLog;
        this.stdout = stdout;
        this.stderr = stderr;
        this.timeFile = timeFile;
    }

    /**
     * @param plumb      how to run the plumb CLI (e.g. java -jar plumb.jar)
     * @param runOptions options of `plumb run` (gatherer, service, mode, …)
     * @param program    the program and its arguments
     */
    static ProfiledProgram start(FaultLab lab, String name, List<String> plumb, List<String> runOptions,
                                 List<String> program) throws IOException {
        Path dir = Files.createDirectories(lab.work().resolve(name));
        Path log = dir.resolve("reaper.log");
        Path timeFile = dir.resolve("program.seconds");
        List<String> cmd = new ArrayList<>();
        cmd.add(lab.subreaper().toString());
        cmd.add(log.toString());
        cmd.add(plumb.get(0)); // java
        // the agent's work directory (its raw spool) lives under java.io.tmpdir; a killed agent
        // cannot remove it, so keep it inside this experiment's directory
        cmd.add("-Djava.io.tmpdir=" + Files.createDirectories(dir.resolve("tmp")));
        cmd.addAll(plumb.subList(1, plumb.size()));
        cmd.add("run");
        cmd.addAll(runOptions);
        cmd.add("--follow-exec"); // bench/timed execs the program: the program is the second session
        cmd.add("--");
        cmd.add(lab.timed().toString());
        cmd.addAll(program);
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile())
                .redirectOutput(dir.resolve("stdout.txt").toFile()).redirectError(dir.resolve("stderr.txt").toFile());
        pb.environment().put("BENCH_TIME_FILE", timeFile.toString());
        pb.environment().put("PLUMB_SPOOL_DIR", dir.resolve("spool").toString());
        return new ProfiledProgram(pb.start(), log, dir.resolve("stdout.txt"), dir.resolve("stderr.txt"), timeFile);
    }

    /** The program alone, without Plumb: the reference for its output, exit code and wall time. */
    static Outcome bare(FaultLab lab, String name, List<String> program) throws Exception {
        Path dir = Files.createDirectories(lab.work().resolve(name));
        Path timeFile = dir.resolve("program.seconds");
        List<String> cmd = new ArrayList<>(List.of(lab.timed().toString()));
        cmd.addAll(program);
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile())
                .redirectOutput(dir.resolve("stdout.txt").toFile()).redirectError(dir.resolve("stderr.txt").toFile());
        pb.environment().put("BENCH_TIME_FILE", timeFile.toString());
        long start = System.nanoTime();
        Process p = pb.start();
        if (!p.waitFor(10, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new IllegalStateException("bare run of " + program + " did not finish");
        }
        double total = (System.nanoTime() - start) / 1e9;
        return new Outcome(p.exitValue(), p.exitValue(), false, Files.readString(dir.resolve("stdout.txt")),
                Files.readString(dir.resolve("stderr.txt")), "", Double.parseDouble(Files.readString(timeFile).trim()), total);
    }

    /** Pid of `plumb run`'s JVM (the subreaper's direct child). */
    long agentPid(Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (Files.exists(reaperLog)) {
                for (String line : Files.readAllLines(reaperLog)) {
                    if (line.startsWith("child ")) {
                        return Long.parseLong(line.substring(6).trim());
                    }
                }
            }
            TimeUnit.MILLISECONDS.sleep(20);
        }
        throw new IllegalStateException("the subreaper never named its child");
    }

    /** SIGKILL to `plumb run`'s JVM: no shutdown hook, no flush, its sockets simply close. */
    void killAgent() throws Exception {
        long pid = agentPid(Duration.ofSeconds(30));
        ProcessHandle agent = ProcessHandle.of(pid).orElseThrow(() -> new IllegalStateException("agent " + pid + " is gone"));
        agent.destroyForcibly();
        agent.onExit().get(30, TimeUnit.SECONDS);
    }

    /** What `plumb run` has written to stderr so far (its progress lines among it). */
    String agentOutputSoFar() {
        try {
            return Files.readString(stderr);
        } catch (IOException e) {
            return "";
        }
    }

    boolean isRunning() {
        return reaper.isAlive();
    }

    Outcome await(Duration timeout) throws Exception {
        if (!reaper.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            reaper.descendants().forEach(ProcessHandle::destroyForcibly);
            reaper.destroyForcibly();
            throw new AssertionError("plumb run did not finish within " + timeout + "; agent said:\n" + Files.readString(stderr));
        }
        double total = (System.nanoTime() - startNanos) / 1e9;
        long child = agentPid(Duration.ofSeconds(1));
        int agentExit = -1;
        List<int[]> others = new ArrayList<>();
        for (String line : Files.readAllLines(reaperLog)) {
            if (line.startsWith("child ")) {
                continue;
            }
            String[] f = line.trim().split(" ");
            int pid = Integer.parseInt(f[0]);
            int code = Integer.parseInt(f[1]);
            if (pid == child) {
                agentExit = code;
            } else {
                others.add(new int[] {pid, code});
            }
        }
        // The program is bench/timed (which exits with the program's code). Orphaned only if the
        // agent died first; then the subreaper reaped it and its code is in the log.
        boolean orphaned = !others.isEmpty();
        int programExit = orphaned ? others.get(others.size() - 1)[1] : agentExit;
        String err = Files.readString(stderr);
        String programErr = err.lines().filter(l -> !l.startsWith("plumb: ")).map(l -> l + "\n").collect(Collectors.joining());
        String agent = err.lines().filter(l -> l.startsWith("plumb: ")).collect(Collectors.joining("\n"));
        double programSeconds = Files.exists(timeFile) ? Double.parseDouble(Files.readString(timeFile).trim()) : -1;
        return new Outcome(agentExit, programExit, orphaned, Files.readString(stdout), programErr, agent, programSeconds, total);
    }
}

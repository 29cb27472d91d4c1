package dev.plumb.agent.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class RunCommandTest {
    record Result(int exit, String out, String err) {
    }

    static Result plumb(String... args) {
        CommandLine cli = AgentCli.newCommandLine(new AgentCli());
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int exit = cli.execute(args);
        return new Result(exit, out.toString(), err.toString());
    }

    static int closedPort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Test
    void unreachableGathererIsSaidPlainlyTheProgramRunsAndItsProfileIsSaved(@org.junit.jupiter.api.io.TempDir java.nio.file.Path spool)
            throws Exception {
        Result r = plumb("run", "--gatherer", "localhost:" + closedPort(), "--flush-timeout", "1",
                "--spool-dir", spool.toString(), "--", "/bin/sh", "-c", "exit 7");
        assertThat(r.exit()).as("the program's own exit code").isEqualTo(7);
        assertThat(r.err()).contains("cannot reach the gatherer at localhost:").contains("running /bin/sh anyway")
                .contains("saved in " + spool).contains("plumb upload");
        try (var saved = java.nio.file.Files.list(spool)) {
            assertThat(saved.toList()).singleElement().satisfies(f -> assertThat(java.nio.file.Files.size(f)).isPositive());
        }
    }

    @Test
    void badArgumentsExit2WithTheReason() {
        Result mode = plumb("run", "--mode", "turbo", "--", "/bin/true");
        assertThat(mode.exit()).isEqualTo(2);
        assertThat(mode.err()).contains("--mode must be full or sampled, not 'turbo'").contains("--help");

        Result address = plumb("run", "--gatherer", "host:notaport", "--", "/bin/true");
        assertThat(address.exit()).isEqualTo(2);
        assertThat(address.err()).contains("port is not a number");

        Result noCommand = plumb("run");
        assertThat(noCommand.exit()).isEqualTo(2);
        assertThat(noCommand.err()).contains("CMD");

        Result spool = plumb("run", "--spool-limit", "lots", "--", "/bin/true");
        assertThat(spool.exit()).isEqualTo(2);
        assertThat(spool.err()).contains("--spool-limit: 'lots' is not a size");

        Result tiny = plumb("run", "--spool-limit", "1k", "--", "/bin/true");
        assertThat(tiny.exit()).isEqualTo(2);
        assertThat(tiny.err()).contains("below the least spool of 64k");

        Result unknown = plumb("frobnicate");
        assertThat(unknown.exit()).isEqualTo(2);
    }

    @Test
    void helpDescribesTheCommand() {
        Result r = plumb("run", "--help");
        assertThat(r.exit()).isZero();
        assertThat(r.out()).contains("--gatherer").contains("--service").contains("--deployment").contains("Exit code is CMD's")
                .contains("--mode").contains("sampled: Poisson sampling").contains("--sample-bytes")
                .contains("--follow-exec").contains("--tls").contains("--tls-ca");
    }

    @Test
    void sampledModeAndFollowExecBecomeCaptureSettings() {
        RunCommand run = new RunCommand();
        picocli.CommandLine cli = new picocli.CommandLine(run);
        cli.parseArgs("--mode", "sampled", "--sample-bytes", "65536", "--follow-exec", "--", "/bin/true");
        assertThat(run.profile.captureEnv()).containsEntry("PLUMB_MODE", "sampled")
                .containsEntry("PLUMB_SAMPLE_BYTES", "65536").containsEntry("PLUMB_FOLLOW_EXEC", "1");

        RunCommand full = new RunCommand();
        new picocli.CommandLine(full).parseArgs("--", "/bin/true");
        assertThat(full.profile.captureEnv()).containsOnly(java.util.Map.entry("PLUMB_MODE", "full"));

        Result bad = plumb("run", "--mode", "sampled", "--sample-bytes", "0", "--", "/bin/true");
        assertThat(bad.exit()).isEqualTo(2);
        assertThat(bad.err()).contains("--sample-bytes must be at least 1");
    }

    @Test
    void missingCommandListsTheCommands() {
        Result r = plumb();
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("missing command").contains("run");
    }

    @Test
    void recordAndUploadExplainBadArguments() throws Exception {
        Result noOutput = plumb("record", "--", "/bin/true");
        assertThat(noOutput.exit()).isEqualTo(2);
        assertThat(noOutput.err()).contains("--output");

        Result badDir = plumb("record", "-o", "/nonexistent-dir/x.plumb", "--", "/bin/true");
        assertThat(badDir.exit()).isEqualTo(2);
        assertThat(badDir.err()).contains("cannot write /nonexistent-dir/x.plumb");

        Result missing = plumb("upload", "/nonexistent.plumb");
        assertThat(missing.exit()).isEqualTo(2);
        assertThat(missing.err()).contains("cannot read the recording /nonexistent.plumb");
    }

    @Test
    void recordWritesAFileThatUploadCannotSendWithoutAGatherer(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        java.nio.file.Path out = dir.resolve("true.plumb");
        Result rec = plumb("record", "-o", out.toString(), "--service", "rec-test", "--", "/bin/true");
        assertThat(rec.exit()).isZero();
        assertThat(rec.err()).contains("recording written to " + out);
        assertThat(java.nio.file.Files.size(out)).isPositive();

        Result up = plumb("upload", "--gatherer", "localhost:" + closedPort(), out.toString());
        assertThat(up.exit()).isEqualTo(RunCommand.EXIT_NO_GATHERER);
        assertThat(up.err()).contains("cannot upload to the gatherer");
    }

    @Test
    void aLongRunReportsProgressAndTheSummaryIncludesTheLibrarysCounters(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        java.nio.file.Path out = dir.resolve("sleep.plumb");
        Result r = plumb("record", "-o", out.toString(), "--stats-interval", "1", "--", "/bin/sh", "-c",
                "i=0; while [ $i -lt 30 ]; do i=$((i+1)); sleep 0.1; done");
        assertThat(r.exit()).isZero();
        assertThat(r.err()).containsPattern("pid \\d+: [\\d,]+ events \\([\\d,]+/s\\), [\\d,]+ stacks, [\\d,]+ KiB captured");
        assertThat(r.err()).containsPattern("KiB captured but not yet processed, [\\d,]+ temporaries condensed into"
                + " [\\d,]+ rows, ");

        Result bad = plumb("run", "--stats-interval", "-1", "--", "/bin/true");
        assertThat(bad.exit()).isEqualTo(2);
        assertThat(bad.err()).contains("--stats-interval must not be negative");
    }

    @Test
    void inSampledModeTheAgentYieldsTheCpuToTheProgram(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        java.nio.file.Path seen = dir.resolve("threads.txt");
        // The program (a shell, itself profiled) waits up to 10 s until its parent, the agent's JVM,
        // has the pump and the decoder of its capture stream, then writes "name|policy|nice" for
        // every agent thread and for itself. /proc/PID/task/TID/stat after "(comm) ": field 17 is
        // the nice value, 39 the scheduling policy (0 normal, 5 SCHED_IDLE).
        String script = "st() { sed 's/.*) //' $1 | cut -d' ' -f17,39; };"
                + " for i in $(seq 100); do grep -qx plumb-capture /proc/$PPID/task/*/comm 2>/dev/null"
                + " && grep -qx plumb-pump /proc/$PPID/task/*/comm && break; sleep 0.1; done;"
                + " for t in /proc/$PPID/task/*; do echo \"$(cat $t/comm)|$(st $t/stat)\"; done > " + seen + ";"
                + " echo \"program|$(st /proc/$$/stat)\" >> " + seen;
        // its own JVM: the test's threads must keep their scheduling
        Process agent = new ProcessBuilder(java.nio.file.Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "dev.plumb.agent.cli.AgentCli", "record",
                "-o", dir.resolve("s.plumb").toString(), "--mode", "sampled", "--", "/bin/sh", "-c", script)
                .redirectErrorStream(true).start();
        String output = new String(agent.getInputStream().readAllBytes());
        assertThat(agent.waitFor()).as(output).isZero();
        java.util.Map<String, String> policy = new java.util.HashMap<>();
        java.util.Map<String, String> nice = new java.util.HashMap<>();
        for (String line : java.nio.file.Files.readAllLines(seen)) {
            String[] f = line.split("\\|");
            String[] v = f[1].split(" ");
            nice.putIfAbsent(f[0], v[0]);
            policy.merge(f[0], v[1], (a, b) -> a.equals(b) ? a : a + "," + b);
        }
        String ownNice = niceness(ProcessHandle.current().pid());
        assertThat(policy).as(String.join("\n", java.nio.file.Files.readAllLines(seen)))
                .containsEntry("program", "0") // the program keeps the scheduling it was given
                .containsEntry("plumb-pump", "0") // the library's sends wait for the pump
                .containsEntry("plumb-accept", "0")
                .containsEntry("VM Thread", "5")
                .containsEntry("plumb-capture", "5") // decoding, shipping and the JIT use idle CPU only
                .containsEntry("C2 CompilerThre", "5")
                .containsEntry("plumb-start", "5");
        assertThat(nice).containsEntry("program", ownNice);
    }

    private static String niceness(long pid) throws Exception {
        String stat = java.nio.file.Files.readString(java.nio.file.Path.of("/proc", String.valueOf(pid), "stat"));
        return stat.substring(stat.lastIndexOf(')') + 2).split(" ")[16]; // field 19: nice
    }

    @Test
    void spoolLimitTakesSizesWithUnits() {
        assertThat(ProfileOptions.parseSize("1g")).isEqualTo(1L << 30);
        assertThat(ProfileOptions.parseSize("256MiB")).isEqualTo(256L << 20);
        assertThat(ProfileOptions.parseSize("64k")).isEqualTo(64L << 10);
        assertThat(ProfileOptions.parseSize("1048576")).isEqualTo(1L << 20);
        RunCommand run = new RunCommand();
        new picocli.CommandLine(run).parseArgs("--", "/bin/true");
        assertThat(run.profile.spoolLimitBytes()).as("default").isEqualTo(dev.plumb.agent.run.ProfiledRun.DEFAULT_SPOOL_LIMIT_BYTES);
    }

    @Test
    void anUnreadableTlsCaIsABadArgument(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        Result missing = plumb("upload", "--tls-ca", dir.resolve("nope.pem").toString(), "--gatherer", "localhost:1",
                "/bin/true");
        assertThat(missing.exit()).isEqualTo(2);
        assertThat(missing.err()).contains("--tls-ca: cannot read " + dir.resolve("nope.pem"));

        java.nio.file.Path notPem = java.nio.file.Files.writeString(dir.resolve("x.pem"), "hello");
        Result junk = plumb("run", "--tls-ca", notPem.toString(), "--", "/bin/true");
        assertThat(junk.exit()).isEqualTo(2);
        assertThat(junk.err()).contains("--tls-ca: " + notPem);
    }

    @Test
    void condenseAfterReachesTheShipperAndZeroTurnsCondensingOff(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        String[] program = {"/bin/sh", "-c", "for i in 1 2 3 4 5 6 7 8; do x=$(echo $i); done"};
        Result on = plumb(concat(new String[] {"record", "-o", dir.resolve("on.plumb").toString(), "--"}, program));
        assertThat(on.exit()).isZero();
        java.util.regex.Matcher condensed = java.util.regex.Pattern.compile("([\\d,]+) temporaries condensed into ([\\d,]+) rows")
                .matcher(on.err());
        assertThat(condensed.find()).as(on.err()).isTrue();
        assertThat(Long.parseLong(condensed.group(1).replace(",", ""))).as("the shell's temporaries, by default").isPositive();

        Result off = plumb(concat(new String[] {"record", "-o", dir.resolve("off.plumb").toString(), "--condense-after", "0",
                "--"}, program));
        assertThat(off.exit()).isZero();
        assertThat(off.err()).contains(" 0 temporaries condensed into 0 rows");
        assertThat(java.nio.file.Files.size(dir.resolve("off.plumb"))).as("without condensing the recording is bigger")
                .isGreaterThan(java.nio.file.Files.size(dir.resolve("on.plumb")));

        Result bad = plumb("run", "--condense-after", "-1", "--", "/bin/true");
        assertThat(bad.exit()).isEqualTo(2);
        assertThat(bad.err()).contains("--condense-after must not be negative");
        assertThat(plumb("run", "--help").out()).contains("--condense-after").contains("0 = off");
    }

    private static String[] concat(String[] a, String[] b) {
        String[] all = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }
}

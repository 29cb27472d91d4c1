package dev.plumb.agent.capture;

import static dev.plumb.agent.capture.CaptureIntegrationTest.liveAllocations;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.plumb.agent.record.RecordingServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Target safety: real programs run once bare and once under the capture library (full and
 * sampled mode, LD_PRELOAD with the library's own socket protocol), and some of them once more
 * through `plumb run` (the agent's JVM, spooling, shipping to a recorder that acknowledges
 * like a gatherer). Stdout, stderr and the exit code must be identical — non-zero exit codes
 * and error output included — and the capture stream consistent (every FREE matches an
 * earlier ALLOC).
 */
class RealProgramsTest {
    @TempDir
    Path tmp;

    // PLUMB_UNWIND_CHECK: every stack replayed from the library's shape cache is unwound by
    // libunwind as well and compared (unwindMismatches, asserted 0 in same())
    private static final Map<String, String> FULL = Map.of("PLUMB_FOLLOW_EXEC", "1", "PLUMB_UNWIND_CHECK", "1");
    private static final Map<String, String> SAMPLED = Map.of("PLUMB_FOLLOW_EXEC", "1", "PLUMB_MODE", "sampled",
            "PLUMB_SAMPLE_BYTES", "65536", "PLUMB_UNWIND_CHECK", "1");

    private RecordingListener same(List<String> command, Map<String, String> env) throws Exception {
        return same(command, env, Map.of());
    }

    /** Bare vs under the library with {@code captureEnv}; {@code env} is given to both runs. */
    private RecordingListener same(List<String> command, Map<String, String> captureEnv, Map<String, String> env)
            throws Exception {
        Path work = Files.createTempDirectory(tmp, "run");
        Fixtures.Plain plain = Fixtures.runPlain(work, command, env);
        Map<String, String> both = new HashMap<>(env);
        both.putAll(captureEnv);
        CaptureHarness.Result r = CaptureHarness.run(work, command, both);
        assertThat(r.exitCode()).as("%s exit code", command).isEqualTo(plain.exitCode());
        assertThat(r.stdout()).as("%s stdout", command).isEqualTo(plain.stdout());
        assertThat(r.stderr()).as("%s stderr", command).isEqualTo(plain.stderr());
        for (RecordingListener s : r.sessions()) {
            liveAllocations(s);
            s.counters.forEach(c -> assertThat(c.unwindMismatches()).as("%s: replayed stacks libunwind disagrees with",
                    command).isZero());
        }
        return r.events();
    }

    /** What `plumb run` reported about one profiled process, and how the program itself behaved. */
    record PlumbRun(int exitCode, String stdout, String programStderr, String agentOutput, long libraryEvents) {
    }

    private static final Pattern SUMMARY = Pattern.compile(
            "plumb: pid \\d+ \\(.*?\\): ([\\d,]+) allocations, ([\\d,]+) frees.*the capture library recorded ([\\d,]+) events");

    /**
     * Runs {@code command} bare and through `plumb run` (a separate JVM, as a user runs it) against
     * a recorder that acknowledges like a gatherer; the program's stdout, its stderr (plumb's own
     * lines start with "plumb: ") and its exit code must be the same.
     */
    private PlumbRun sameThroughPlumbRun(List<String> command, String mode, Map<String, String> env) throws Exception {
        Path work = Files.createTempDirectory(tmp, "plumb-run");
        Fixtures.Plain plain = Fixtures.runPlain(work, command, env);
        Path recording = work.resolve("recording.plumb");
        Path stdout = work.resolve("stdout.txt");
        Path stderr = work.resolve("stderr.txt");
        int exit;
        try (RecordingServer gatherer = new RecordingServer(recording, Files.createDirectories(work.resolve("parts")))) {
            List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", System.getProperty("java.class.path"), "dev.plumb.agent.cli.AgentCli", "run",
                    "--gatherer", "127.0.0.1:" + gatherer.port(), "--mode", mode, "--stats-interval", "0",
                    "--flush-timeout", "60", "--service", "target-safety",
                    "--follow-exec", "--")); // like FULL/SAMPLED: tools on PATH may be wrapper scripts (pyenv shims)
            cmd.addAll(command);
            ProcessBuilder pb = new ProcessBuilder(cmd).directory(work.toFile())
                    .redirectOutput(stdout.toFile()).redirectError(stderr.toFile());
            pb.environment().putAll(env);
            Process p = pb.start();
            try {
                assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("plumb run %s finished", command).isTrue();
            } finally {
                p.destroyForcibly();
            }
            exit = p.exitValue();
        }
        String err = Files.readString(stderr);
        String programErr = err.lines().filter(l -> !l.startsWith("plumb: ")).map(l -> l + "\n").collect(Collectors.joining());
        String agent = err.lines().filter(l -> l.startsWith("plumb: ")).collect(Collectors.joining("\n"));
        assertThat(exit).as("%s exit code through plumb run; agent: %s", command, agent).isEqualTo(plain.exitCode());
        assertThat(Files.readString(stdout)).as("%s stdout through plumb run", command).isEqualTo(plain.stdout());
        assertThat(programErr).as("%s stderr through plumb run", command).isEqualTo(plain.stderr());
        assertThat(agent).as("the agent delivered everything").doesNotContain("NOT delivered").doesNotContain("could not deliver");
        Matcher m = SUMMARY.matcher(agent);
        long events = 0;
        int sessions = 0;
        while (m.find()) { // one summary per process image
            events += Long.parseLong(m.group(3).replace(",", ""));
            sessions++;
        }
        assertThat(sessions).as("summaries with the library's event count in: %s", agent).isPositive();
        assertThat(events).as("the library recorded events: %s", agent).isPositive();
        assertThat(Files.size(recording)).as("the profile was shipped").isPositive();
        return new PlumbRun(exit, Files.readString(stdout), programErr, agent, events);
    }

    private static final String PYTHON_WORKLOAD = "import json, threading, collections\n"
            + "d = {}\n"
            + "for i in range(200000):\n"
            + "    d[str(i)] = [i, str(i) * 3, {'k': i}]\n"
            + "    if i % 3 == 0: del d[str(i)]\n"
            + "out = []\n"
            + "def work(n):\n"
            + "    c = collections.Counter(json.dumps(list(range(n))) for _ in range(50))\n"
            + "    out.append(len(c))\n"
            + "ts = [threading.Thread(target=work, args=(3000 + k,)) for k in range(4)]\n"
            + "[t.start() for t in ts]; [t.join() for t in ts]\n"
            + "print(len(d), sorted(out))\n";

    @Test
    void python3AllocationHeavyScript() throws Exception {
        Path python = Fixtures.onPath("python3");
        assumeThat(python).as("python3 on PATH").isNotNull();
        RecordingListener full = same(List.of(python.toString(), "-c", PYTHON_WORKLOAD), FULL);
        assertThat(full.allocs.size()).as("pymalloc serves small objects itself").isGreaterThan(5_000);
        assertThat(full.counters.get(0).fastUnwinds()).as("the interpreter's stacks repeat").isPositive();
        RecordingListener sampled = same(List.of(python.toString(), "-c", PYTHON_WORKLOAD), SAMPLED);
        assertThat(sampled.allocs).isNotEmpty().allSatisfy(a -> assertThat(a.weight()).isGreaterThanOrEqualTo(1.0));
    }

    @Test
    void python3ExitCodesAndErrorOutputAreItsOwn() throws Exception {
        Path python = Fixtures.onPath("python3");
        assumeThat(python).as("python3 on PATH").isNotNull();
        String exits3 = "import sys\n"
                + "rows = [{'id': i, 'tags': ['t%d' % (i % 7)] * (i % 5)} for i in range(100000)]\n"
                + "print(sum(len(r['tags']) for r in rows))\n"
                + "sys.stdout.flush()\n"
                + "print('warning: giving up with 3', file=sys.stderr)\n"
                + "sys.exit(3)\n";
        same(List.of(python.toString(), "-c", exits3), FULL);
        same(List.of(python.toString(), "-c", exits3), SAMPLED);
        String raises = "data = {str(i): bytes(i % 300) for i in range(50000)}\n"
                + "print(len(data))\n"
                + "def parse(x):\n"
                + "    raise ValueError('bad record %d' % x)\n"
                + "parse(len(data))\n";
        same(List.of(python.toString(), "-c", raises), FULL); // traceback on stderr, exit 1

        PlumbRun run = sameThroughPlumbRun(List.of(python.toString(), "-c", exits3), "full", Map.of());
        assertThat(run.exitCode()).isEqualTo(3);
        assertThat(run.programStderr()).isEqualTo("warning: giving up with 3\n");
        sameThroughPlumbRun(List.of(python.toString(), "-c", PYTHON_WORKLOAD), "sampled", Map.of());
    }

    @Test
    void sqlite3Workload() throws Exception {
        Path sqlite = Fixtures.onPath("sqlite3");
        assumeThat(sqlite).as("sqlite3 on PATH").isNotNull();
        String sql = "create table t(id integer primary key, v text);"
                + "with recursive c(x) as (select 1 union all select x + 1 from c where x < 50000)"
                + " insert into t(v) select hex((x * 2654435761) % 4294967296) || x from c;" // deterministic: both runs must print the same
                + "create index iv on t(v);"
                + "select count(*), count(distinct substr(v, 1, 3)) from t;"
                + "delete from t where id % 2 = 0; vacuum; select count(*) from t;";
        for (Map<String, String> env : List.of(FULL, SAMPLED)) {
            RecordingListener ev = same(List.of(sqlite.toString(), ":memory:", sql), env);
            assertThat(ev.allocs).isNotEmpty();
        }
        // an error: message on stderr, exit code 1, output before it unchanged
        List<String> failing = List.of(sqlite.toString(), "-bail", ":memory:",
                "create table t(x); insert into t values (1), (2); select sum(x) from t; select * from missing;");
        same(failing, FULL);
        PlumbRun run = sameThroughPlumbRun(List.of(sqlite.toString(), ":memory:", sql), "full", Map.of());
        assertThat(run.stdout()).isEqualTo("50000|9\n25000\n");
    }

    @Test
    void gitInitCommitAndLogWithFixedIdentityAndDates() throws Exception {
        Path git = Fixtures.onPath("git");
        assumeThat(git).as("git on PATH").isNotNull();
        Path home = Files.createDirectories(tmp.resolve("home"));
        // fixed identity and dates: commit ids are then the same in every run, bare or captured
        Map<String, String> env = Map.of("HOME", home.toString(), "GIT_CONFIG_NOSYSTEM", "1",
                "GIT_AUTHOR_NAME", "Ada", "GIT_AUTHOR_EMAIL", "ada@example.org", "GIT_AUTHOR_DATE", "2024-01-02T03:04:05Z",
                "GIT_COMMITTER_NAME", "Ada", "GIT_COMMITTER_EMAIL", "ada@example.org",
                "GIT_COMMITTER_DATE", "2024-01-02T03:04:05Z", "LC_ALL", "C");
        Path bare = tmp.resolve("bare-repo");
        Path captured = tmp.resolve("captured-repo");
        List<String> logs = new ArrayList<>();
        for (Path repo : List.of(bare, captured)) {
            boolean underLibrary = repo.equals(captured);
            List<List<String>> steps = List.of(
                    List.of(git.toString(), "init", "-q", "-b", "main", repo.toString()),
                    List.of(git.toString(), "-C", repo.toString(), "add", "."),
                    List.of(git.toString(), "-C", repo.toString(), "commit", "-q", "-m", "first"),
                    List.of(git.toString(), "-C", repo.toString(), "commit", "-q", "-a", "-m", "second"));
            for (int i = 0; i < steps.size(); i++) {
                if (i == 1) {
                    Files.createDirectories(repo.resolve("src"));
                    for (int f = 0; f < 200; f++) {
                        Files.writeString(repo.resolve("src/f" + f + ".txt"), ("line " + f + "\n").repeat(f + 1));
                    }
                }
                if (i == 3) {
                    Files.writeString(repo.resolve("src/f7.txt"), "changed\n");
                }
                List<String> step = steps.get(i);
                int exit = underLibrary
                        ? CaptureHarness.run(Files.createTempDirectory(tmp, "git"), step, merged(env, FULL)).exitCode()
                        : Fixtures.runPlain(Files.createTempDirectory(tmp, "git"), step, env).exitCode();
                assertThat(exit).as("%s", step).isZero();
            }
            List<String> log = List.of(git.toString(), "-C", repo.toString(), "log", "--format=%H %an %ad %s", "--date=iso-strict");
            logs.add(underLibrary ? CaptureHarness.run(Files.createTempDirectory(tmp, "git"), log, merged(env, FULL)).stdout()
                    : Fixtures.runPlain(Files.createTempDirectory(tmp, "git"), log, env).stdout());
        }
        assertThat(logs.get(1)).as("same commits, byte for byte (same ids)").isEqualTo(logs.get(0)).contains(" second\n");

        // reads under the library against the same repository: identical output, errors included
        same(List.of(git.toString(), "-C", bare.toString(), "log", "--format=%H %s", "--stat"), FULL, env);
        same(List.of(git.toString(), "-C", bare.toString(), "status", "--porcelain"), SAMPLED, env);
        same(List.of(git.toString(), "-C", bare.toString(), "rev-parse", "--verify", "no-such-branch"), FULL, env); // exit 128
        List<String> log = List.of(git.toString(), "-C", bare.toString(), "log", "--format=%H %an %ad %s", "--date=iso-strict");
        assertThat(sameThroughPlumbRun(log, "full", env).stdout()).isEqualTo(logs.get(0));
    }

    private static Map<String, String> merged(Map<String, String> a, Map<String, String> b) {
        Map<String, String> m = new HashMap<>(a);
        m.putAll(b);
        return m;
    }

    @Test
    void multiThreadedCProgramAndForkExec() throws Exception {
        Path mt = Fixtures.build(tmp, "mt_alloc", "-O2", "-pthread");
        same(List.of(mt.toString()), FULL);
        same(List.of(mt.toString()), SAMPLED);
        Path fe = Fixtures.build(tmp, "forkexec", "-O2");
        same(List.of(fe.toString()), FULL);
        same(List.of(fe.toString()), SAMPLED);
    }

    /**
     * A pre-forking TCP server under load: workers forked before and during the load (while
     * client threads allocate), 8 000 requests, a checksum over the replies; and the same with
     * a non-zero exit code of its own.
     */
    @Test
    void forkingServerUnderLoad() throws Exception {
        Path server = Fixtures.build(tmp, "forkserver", "-O2", "-pthread");
        RecordingListener full = same(List.of(server.toString(), "2000"), FULL);
        assertThat(full.allocs.size()).as("the parent's own requests were recorded").isGreaterThanOrEqualTo(8_000 * 3);
        same(List.of(server.toString(), "2000"), SAMPLED);
        same(List.of(server.toString(), "500", "3"), FULL);
        PlumbRun run = sameThroughPlumbRun(List.of(server.toString(), "2000"), "full", Map.of());
        assertThat(run.stdout()).startsWith("forkserver: workers=4 clients=4 requests=8000 checksum=").endsWith(" bad=0\n");
        assertThat(run.libraryEvents()).as("an allocation and a free per request buffer").isGreaterThanOrEqualTo(8_000 * 6);
        assertThat(sameThroughPlumbRun(List.of(server.toString(), "500", "3"), "sampled", Map.of()).exitCode()).isEqualTo(3);
    }
}

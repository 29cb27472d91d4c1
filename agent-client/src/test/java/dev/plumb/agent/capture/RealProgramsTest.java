package dev.plumb.agent.capture;

import static dev.plumb.agent.capture.CaptureIntegrationTest.liveAllocations;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real programs under the library, in full and sampled mode: same stdout and exit code as
 * without it, and a consistent stream (every FREE matches an earlier ALLOC).
 */
class RealProgramsTest {
    @TempDir
    Path tmp;

    private static final Map<String, String> FULL = Map.of("PLUMB_FOLLOW_EXEC", "1");
    private static final Map<String, String> SAMPLED = Map.of("PLUMB_FOLLOW_EXEC", "1", "PLUMB_MODE", "sampled",
            "PLUMB_SAMPLE_BYTES", "65536");

    private RecordingListener same(List<String> command, Map<String, String> env) throws Exception {
        Path work = Files.createTempDirectory(tmp, "run");
        Fixtures.Plain plain = Fixtures.runPlain(work, command);
        CaptureHarness.Result r = CaptureHarness.run(work, command, env);
        assertThat(r.exitCode()).as("%s exit code", command).isEqualTo(plain.exitCode());
        assertThat(r.stdout()).as("%s stdout", command).isEqualTo(plain.stdout());
        for (RecordingListener s : r.sessions()) {
            liveAllocations(s);
        }
        return r.events();
    }

    @Test
    void python3AllocationHeavyScript() throws Exception {
        Path python = Fixtures.onPath("python3");
        assumeThat(python).as("python3 on PATH").isNotNull();
        String script = "import json, threading, collections\n"
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
        RecordingListener full = same(List.of(python.toString(), "-c", script), FULL);
        assertThat(full.allocs.size()).as("pymalloc serves small objects itself").isGreaterThan(5_000);
        RecordingListener sampled = same(List.of(python.toString(), "-c", script), SAMPLED);
        assertThat(sampled.allocs).isNotEmpty().allSatisfy(a -> assertThat(a.weight()).isGreaterThanOrEqualTo(1.0));
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
    }

    @Test
    void gitInitCommitAndLog() throws Exception {
        Path git = Fixtures.onPath("git");
        assumeThat(git).as("git on PATH").isNotNull();
        Path repo = tmp.resolve("repo");
        Fixtures.run(List.of(git.toString(), "init", "-q", repo.toString()));
        Files.writeString(repo.resolve("a.txt"), "hello\n");
        Fixtures.run(List.of(git.toString(), "-C", repo.toString(), "add", "a.txt"));
        Fixtures.run(List.of(git.toString(), "-C", repo.toString(), "-c", "user.name=t", "-c", "user.email=t@e",
                "commit", "-q", "-m", "first"));
        same(List.of(git.toString(), "-C", repo.toString(), "log", "--format=%s %an"), FULL);
        same(List.of(git.toString(), "-C", repo.toString(), "status", "--porcelain"), SAMPLED);
        Path other = tmp.resolve("other");
        // git init under the library (writes files; output names the directory, so compare exit only)
        CaptureHarness.Result r = CaptureHarness.run(Files.createDirectories(tmp.resolve("w")),
                List.of(git.toString(), "init", "-q", other.toString()), FULL);
        assertThat(r.exitCode()).isZero();
        assertThat(other.resolve(".git/HEAD")).exists();
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
}

package dev.plumb.agent.capture;

import static org.assertj.core.api.Assertions.assertThat;

import dev.plumb.agent.capture.RecordingListener.Alloc;
import dev.plumb.agent.capture.RecordingListener.Free;
import dev.plumb.agent.symbols.ResolvedFrame;
import dev.plumb.agent.symbols.Symbolizer;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs real programs under libplumb.so and checks the decoded, symbolized stream. */
class CaptureIntegrationTest {

    @TempDir
    Path tmp;

    static Path plumbRoot() {
        String root = System.getProperty("plumb.root");
        assertThat(root).as("system property plumb.root (set by the Maven build)").isNotBlank();
        return Path.of(root);
    }

    /** Live allocations at the end of the stream: address -> ALLOC; also checks FREE matching. */
    static Map<Long, Alloc> liveAllocations(RecordingListener events) {
        Map<Long, Alloc> live = new LinkedHashMap<>();
        int a = 0;
        int f = 0;
        for (int i = 0; i < events.tags.length(); i++) {
            char tag = events.tags.charAt(i);
            if (tag == 'A') {
                Alloc alloc = events.allocs.get(a++);
                assertThat(events.stacks).as("STACK sent before the ALLOC using it").containsKey(alloc.stackId());
                assertThat(live).as("ALLOC of an address that is already live").doesNotContainKey(alloc.address());
                live.put(alloc.address(), alloc);
            } else if (tag == 'F') {
                Free free = events.frees.get(f++);
                assertThat(live.remove(free.address()))
                        .as("FREE of 0x%x matches an earlier ALLOC", free.address()).isNotNull();
            }
        }
        return live;
    }

    static Symbolizer symbolizer(RecordingListener events) {
        Symbolizer s = new Symbolizer();
        events.modules.forEach(s::addModule);
        return s;
    }

    static ResolvedFrame innermost(Symbolizer s, RecordingListener events, Alloc alloc) {
        long[] stack = events.stacks.get(alloc.stackId());
        assertThat(stack).isNotEmpty();
        return s.resolve(stack[0], true);
    }

    @Test
    void leakyProgramStreamDecodesAndSymbolizes() throws Exception {
        Path leaky = plumbRoot().resolve("examples/target/leaky");
        assertThat(leaky).as("built by the examples module").isExecutable();

        CaptureHarness.Result r = CaptureHarness.run(tmp,
                List.of(leaky.toString(), "--requests", "700", "--interval-ms", "0"));
        assertThat(r.sessions()).as("one process image, one connection").hasSize(1);
        RecordingListener ev = r.events();

        assertThat(r.exitCode()).isZero();
        assertThat(r.stdout()).contains("leaky: requests=700 leaked_request_bytes=2867200 "
                + "startup_bytes=1048576 bounded_bytes=524288");
        assertThat(ev.hellos).hasSize(1);
        assertThat(ev.tags.charAt(0)).as("HELLO comes first").isEqualTo('H');
        assertThat(ev.hellos.get(0).exe()).isEqualTo(leaky.toRealPath().toString());
        assertThat(ev.ends).as("END record").hasSize(1);
        assertThat(ev.tags.charAt(ev.tags.length() - 1)).as("END comes last").isEqualTo('E');
        assertThat(ev.modules).anySatisfy(m -> {
            assertThat(m.path()).isEqualTo(leaky.toRealPath().toString());
            assertThat(m.buildIdHex()).matches("[0-9a-f]{40}");
        });

        Map<Long, Alloc> live = liveAllocations(ev);
        Symbolizer sym = symbolizer(ev);

        List<Alloc> traces = new ArrayList<>();
        for (Alloc a : ev.allocs) {
            ResolvedFrame f = innermost(sym, ev, a);
            if (a.size() == 4096 && f.function().equals("remember_request_trace")) {
                assertThat(f.module()).isEqualTo("leaky");
                traces.add(a);
            }
        }
        assertThat(traces).hasSize(700);
        assertThat(traces).allSatisfy(a -> assertThat(live).containsKey(a.address()));

        List<Alloc> config = ev.allocs.stream().filter(a -> a.size() == 1048576).toList();
        assertThat(config).hasSize(1);
        assertThat(innermost(sym, ev, config.get(0)).function()).isEqualTo("load_config");
        assertThat(live).containsKey(config.get(0).address());

        // the bounded ring: 35 samples (one per 20 requests), 32 live of 16 KiB, 3 replaced
        Map<String, Integer> liveByFunction = new HashMap<>();
        for (Alloc a : live.values()) {
            liveByFunction.merge(innermost(sym, ev, a).function(), 1, Integer::sum);
        }
        assertThat(liveByFunction).containsEntry("record_latency_sample", 32)
                .doesNotContainKey("parse_request");

        // a caller frame resolves too: remember_request_trace is called from handle_request
        long[] stack = ev.stacks.get(traces.get(0).stackId());
        assertThat(sym.resolve(stack[1], false).function()).isEqualTo("handle_request");

        // stream timestamps are non-decreasing
        long last = 0;
        for (Alloc a : ev.allocs) {
            assertThat(a.atMicros()).isGreaterThanOrEqualTo(ev.hellos.get(0).startedAtMicros());
            last = Math.max(last, a.atMicros());
        }
        assertThat(ev.ends.get(0)).isGreaterThanOrEqualTo(last);
    }

    @Test
    void multithreadedProgramExitsCleanlyAndLeaksAddUp() throws Exception {
        Path src = tmp.resolve("mt_alloc.c");
        try (InputStream in = getClass().getResourceAsStream("/fixtures/mt_alloc.c")) {
            assertThat(in).isNotNull();
            Files.copy(in, src);
        }
        Path exe = tmp.resolve("mt_alloc");
        compile(src, exe, "-O1", "-g", "-pthread");

        CaptureHarness.Result r = CaptureHarness.run(tmp, List.of(exe.toString()));
        assertThat(r.sessions()).hasSize(1);
        RecordingListener ev = r.events();
        assertThat(r.exitCode()).isZero();
        Matcher m = Pattern.compile("leaked_allocs=(\\d+) leaked_bytes=(\\d+)").matcher(r.stdout());
        assertThat(m.find()).as("fixture output: %s", r.stdout()).isTrue();
        int leakedAllocs = Integer.parseInt(m.group(1));
        long leakedBytes = Long.parseLong(m.group(2));
        assertThat(ev.hellos).hasSize(1);
        assertThat(ev.ends).hasSize(1);

        Symbolizer sym = symbolizer(ev);
        // count only what the fixture's own code allocated: libc adds its own
        // (stdout buffer, per-thread TLS) which the program cannot report
        Map<Long, Alloc> live = liveAllocations(ev);
        long allocs = 0;
        long frees = 0;
        Map<Long, Boolean> fromFixture = new HashMap<>();
        int a = 0;
        int f = 0;
        for (int i = 0; i < ev.tags.length(); i++) {
            char tag = ev.tags.charAt(i);
            if (tag == 'A') {
                Alloc alloc = ev.allocs.get(a++);
                boolean own = innermost(sym, ev, alloc).module().equals("mt_alloc");
                fromFixture.put(alloc.address(), own);
                if (own) {
                    allocs++;
                }
            } else if (tag == 'F') {
                if (fromFixture.remove(ev.frees.get(f++).address())) {
                    frees++;
                }
            }
        }
        assertThat(allocs).as("4 threads x 20000 iterations + leaks").isGreaterThanOrEqualTo(80_000);
        assertThat(allocs - frees).isEqualTo(leakedAllocs);
        List<Alloc> ownLive = live.values().stream()
                .filter(x -> innermost(sym, ev, x).module().equals("mt_alloc")).toList();
        assertThat(ownLive).hasSize(leakedAllocs)
                .allSatisfy(x -> assertThat(innermost(sym, ev, x).function()).isEqualTo("leak_block"));
        assertThat(ownLive.stream().mapToLong(Alloc::size).sum()).isEqualTo(leakedBytes);
        // each allocation names its thread: the fixture's 4 workers (plus main) are told apart
        int pid = ev.hellos.get(0).pid();
        assertThat(ev.allocs.stream().mapToInt(Alloc::threadId).filter(tid -> tid != pid).distinct().count())
                .isGreaterThanOrEqualTo(4);
        assertThat(ev.allocs).allSatisfy(x -> assertThat(x.threadId()).isPositive());
    }

    @Test
    void everydayProgramsRunUnchangedWhileCaptured() throws Exception {
        List<List<String>> commands = new ArrayList<>();
        commands.add(List.of("/bin/ls", "-la", System.getProperty("java.home")) /* stable: / changes while tests run */);
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            Path python = Path.of(dir, "python3");
            if (!dir.isEmpty() && Files.isExecutable(python)) {
                commands.add(List.of(python.toString(), "-c",
                        "import json, threading\n"
                                + "out = []\n"
                                + "ts = [threading.Thread(target=lambda: out.append(len(json.dumps(list(range(5000))))))"
                                + " for _ in range(4)]\n"
                                + "[t.start() for t in ts]; [t.join() for t in ts]\n"
                                + "print(sum(out))"));
                break;
            }
        }
        int n = 0;
        for (List<String> command : commands) {
            Path work = Files.createDirectory(tmp.resolve("run" + n++));
            Process plain = new ProcessBuilder(command).redirectErrorStream(true).start();
            String expected = new String(plain.getInputStream().readAllBytes());
            assertThat(plain.waitFor(CaptureHarness.TIMEOUT_SECONDS, TimeUnit.SECONDS)).isTrue();

            // a pyenv shim execs the real python: follow exec so that image is captured too
            CaptureHarness.Result r = CaptureHarness.run(work, command, Map.of("PLUMB_FOLLOW_EXEC", "1"));
            assertThat(r.exitCode()).as("%s", command).isZero();
            assertThat(r.stdout()).as("%s", command).isEqualTo(expected);
            assertThat(r.events().hellos).hasSize(1);
            assertThat(r.events().ends).hasSize(1);
            assertThat(r.events().allocs).isNotEmpty();
            // wrappers (e.g. a pyenv shim) exec the real program: one stream per process image,
            // each starting with HELLO and internally consistent
            for (RecordingListener session : r.sessions()) {
                assertThat(session.tags.charAt(0)).isEqualTo('H');
                liveAllocations(session);
            }
        }
    }

    @Test
    void libraryStaysPassiveWithoutAgent() throws Exception {
        Path lib = CaptureLibrary.extract();
        for (String socket : new String[] {null, tmp.resolve("nobody-listens.sock").toString()}) {
            ProcessBuilder pb = new ProcessBuilder(plumbRoot().resolve("examples/target/leaky").toString(),
                    "--requests", "20", "--interval-ms", "0")
                    .redirectError(ProcessBuilder.Redirect.DISCARD);
            pb.environment().put("LD_PRELOAD", lib.toString());
            pb.environment().remove("PLUMB_SOCKET");
            if (socket != null) {
                pb.environment().put("PLUMB_SOCKET", socket);
            }
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes());
            assertThat(p.waitFor(CaptureHarness.TIMEOUT_SECONDS, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).isZero();
            assertThat(out).contains("leaky: requests=20 ");
        }
    }

    static void compile(Path src, Path exe, String... flags) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("gcc"));
        cmd.addAll(List.of(flags));
        cmd.addAll(List.of("-o", exe.toString(), src.toString()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(CaptureHarness.TIMEOUT_SECONDS, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("gcc: %s", out).isZero();
    }
}

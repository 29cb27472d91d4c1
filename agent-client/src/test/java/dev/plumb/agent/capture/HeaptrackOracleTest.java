package dev.plumb.agent.capture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.plumb.agent.capture.RecordingListener.Alloc;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Correctness oracle: on the same deterministic program (fixtures/oracle.c), Plumb's full mode
 * and heaptrack agree on the number of allocation calls, of frees, and on the leaked bytes.
 *
 * <p>What is counted, on both sides, is every allocation whose backtrace passes through the
 * fixture's own executable (including libc-internal allocations it causes, such as strdup's or
 * the stdio buffer allocated under printf), and every free of such an allocation. Allocations
 * made before main by the loader or by each tool's own start-up differ between the two runs by
 * construction and are left out, and so are the loader's TLS blocks (innermost frame in ld.so,
 * e.g. pthread_create's dtv): their size depends on how many TLS-using libraries are loaded,
 * and each tool loads different ones. Both tools record realloc as free(old) + allocation(new).
 *
 * <p>heaptrack side: heaptrack_print gives the totals (allocation calls; leaked bytes from its
 * "leaked" flamegraph); heaptrack's raw recording (read with zstdcat) gives, per event, the
 * backtrace and size, which filters to the fixture and counts frees (heaptrack_print prints no
 * free count). The raw totals are first checked against heaptrack_print's, so the reading of
 * the raw format is itself checked by heaptrack. Skipped if heaptrack is not installed.
 */
class HeaptrackOracleTest {
    @TempDir
    Path tmp;

    record Counts(long allocations, long frees, long leakedBytes) {
    }

    @Test
    void plumbFullModeAgreesWithHeaptrack() throws Exception {
        assumeThat(Fixtures.onPath("heaptrack")).as("heaptrack installed").isNotNull();
        assumeThat(Fixtures.onPath("heaptrack_print")).as("heaptrack_print installed").isNotNull();
        assumeThat(Fixtures.onPath("zstdcat")).as("zstdcat installed").isNotNull();
        Path exe = Fixtures.build(tmp, "oracle", "-O1", "-pthread");

        Counts plumb = plumbCounts(exe);
        Counts heaptrack = heaptrackCounts(exe);
        assertThat(plumb.allocations()).as("allocation calls from the fixture").isGreaterThan(10_000);
        assertThat(plumb).isEqualTo(heaptrack);
    }

    private Counts plumbCounts(Path exe) throws Exception {
        Path work = Files.createDirectories(tmp.resolve("plumb"));
        CaptureHarness.Result r = CaptureHarness.run(work, List.of(exe.toString()));
        assertThat(r.stdout()).isEqualTo("oracle: done\n");
        RecordingListener ev = r.events();
        String exePath = exe.toRealPath().toString();
        List<ModuleInfo> own = ev.modules.stream().filter(m -> m.path().equals(exePath)).toList();
        assertThat(own).isNotEmpty();
        Map<Long, Alloc> live = new HashMap<>();
        long allocations = 0;
        long frees = 0;
        int a = 0;
        int f = 0;
        for (int i = 0; i < ev.tags.length(); i++) {
            char tag = ev.tags.charAt(i);
            if (tag == 'A') {
                Alloc alloc = ev.allocs.get(a++);
                boolean fromFixture = false;
                long[] stack = ev.stacks.get(alloc.stackId());
                for (long address : stack) {
                    fromFixture |= own.stream().anyMatch(m -> m.contains(address));
                }
                fromFixture &= ev.modules.stream().noneMatch(m -> m.contains(stack[0]) && m.path().contains("/ld-linux"));
                if (fromFixture) {
                    allocations++;
                    live.put(alloc.address(), alloc);
                }
            } else if (tag == 'F') {
                if (live.remove(ev.frees.get(f++).address()) != null) {
                    frees++;
                }
            }
        }
        return new Counts(allocations, frees, live.values().stream().mapToLong(Alloc::size).sum());
    }

    private Counts heaptrackCounts(Path exe) throws Exception {
        Path work = Files.createDirectories(tmp.resolve("heaptrack"));
        Fixtures.run(List.of("heaptrack", "-o", work.resolve("rec").toString(), exe.toString()));
        Path rec;
        try (Stream<Path> files = Files.list(work)) {
            rec = files.filter(p -> p.getFileName().toString().startsWith("rec")).findFirst().orElseThrow();
        }

        // heaptrack_print's totals
        String summary = Fixtures.run(List.of("heaptrack_print", "-f", rec.toString(), "--print-peaks", "0",
                "--print-allocators", "0", "--print-temporary", "0", "--print-leaks", "0"));
        Matcher calls = Pattern.compile("calls to allocation functions: (\\d+)").matcher(summary);
        assertThat(calls.find()).as(summary).isTrue();
        Path folded = work.resolve("leaked.folded");
        Fixtures.run(List.of("heaptrack_print", "-f", rec.toString(), "--flamegraph-cost-type", "leaked",
                "-F", folded.toString()));
        long printLeaked = 0;
        for (String line : Files.readAllLines(folded)) {
            printLeaked += Long.parseLong(line.substring(line.lastIndexOf(' ') + 1));
        }

        // the raw recording: strings (s), instruction pointers (i), traces (t), allocation infos (a), +/-
        List<String> strings = new ArrayList<>(List.of(""));
        List<Integer> ipModule = new ArrayList<>(List.of(0));
        List<int[]> traces = new ArrayList<>(List.of(new int[] {0, 0})); // {ipIndex, parentTrace}
        List<long[]> infos = new ArrayList<>(); // {size, traceIndex}
        long allocations = 0;
        long frees = 0;
        long leaked = 0;
        long rawAllocations = 0;
        long rawLeaked = 0;
        Map<Integer, Boolean> traceFromFixture = new HashMap<>();
        String exePath = exe.toRealPath().toString();
        Process p = new ProcessBuilder("zstdcat", rec.toString()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream()))) {
            String line;
            while ((line = in.readLine()) != null) {
                if (line.isEmpty()) {
                    continue;
                }
                char tag = line.charAt(0);
                String[] f = line.split(" ");
                switch (tag) {
                    case 's' -> strings.add(line.substring(line.indexOf(' ', 2) + 1));
                    case 'i' -> ipModule.add(Integer.parseInt(f[2], 16));
                    case 't' -> traces.add(new int[] {Integer.parseInt(f[1], 16), Integer.parseInt(f[2], 16)});
                    case 'a' -> infos.add(new long[] {Long.parseLong(f[1], 16), Long.parseLong(f[2], 16)});
                    case '+', '-' -> {
                        long[] info = infos.get(Integer.parseInt(f[1], 16));
                        boolean own = fromFixture((int) info[1], traces, ipModule, strings, exePath, traceFromFixture);
                        long sign = tag == '+' ? 1 : -1;
                        rawLeaked += sign * info[0];
                        if (tag == '+') {
                            rawAllocations++;
                        }
                        if (own) {
                            leaked += sign * info[0];
                            if (tag == '+') {
                                allocations++;
                            } else {
                                frees++;
                            }
                        }
                    }
                    default -> {
                    }
                }
            }
        }
        assertThat(p.waitFor(CaptureHarness.TIMEOUT_SECONDS, TimeUnit.SECONDS)).isTrue();
        assertThat(rawAllocations).as("raw reading agrees with heaptrack_print's allocation calls")
                .isEqualTo(Long.parseLong(calls.group(1)));
        assertThat(rawLeaked).as("raw reading agrees with heaptrack_print's leaked bytes").isEqualTo(printLeaked);
        return new Counts(allocations, frees, leaked);
    }

    private static boolean fromFixture(int trace, List<int[]> traces, List<Integer> ipModule, List<String> strings,
                                       String exePath, Map<Integer, Boolean> memo) {
        Boolean known = memo.get(trace);
        if (known != null) {
            return known;
        }
        boolean own = false;
        for (int t = trace; t != 0 && !own; t = traces.get(t)[1]) {
            int module = ipModule.get(traces.get(t)[0]);
            own = module < strings.size() && strings.get(module).equals(exePath);
        }
        int innermost = ipModule.get(traces.get(trace)[0]);
        own &= !(innermost < strings.size() && strings.get(innermost).contains("/ld-linux"));
        memo.put(trace, own);
        return own;
    }
}

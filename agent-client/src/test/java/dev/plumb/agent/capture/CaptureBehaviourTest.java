package dev.plumb.agent.capture;

import static dev.plumb.agent.capture.CaptureIntegrationTest.liveAllocations;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.plumb.agent.capture.RecordingListener.Alloc;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The capture library's modes, controls and hooks, each on a small C fixture. */
class CaptureBehaviourTest {

    @TempDir
    Path tmp;

    @Test
    void everyCAllocatorFunctionIsRecorded() throws Exception {
        Path exe = Fixtures.build(tmp, "every_hook", "-O0");
        CaptureHarness.Result r = CaptureHarness.run(tmp, List.of(exe.toString()));
        assertThat(r.stdout()).isEqualTo("every_hook: usable_ok=1\n");
        RecordingListener ev = r.events();
        Map<Long, Alloc> live = liveAllocations(ev);
        assertThat(live.values()).extracting(Alloc::size)
                .contains(1001L, 1002L, 1004L, 1005L, 1006L, 1088L, 1007L, 1008L, 1009L)
                .doesNotContain(1003L, 1010L);
        assertThat(ev.allocs).extracting(Alloc::size).contains(1003L, 1010L);
        var sym = CaptureIntegrationTest.symbolizer(ev);
        assertThat(ev.allocs.stream().filter(a -> a.size() >= 1001 && a.size() <= 1088))
                .allSatisfy(a -> assertThat(CaptureIntegrationTest.innermost(sym, ev, a).function()).isEqualTo("main"));
    }

    @Test
    void crossThreadFreesNeverOvertakeTheirAllocations() throws Exception {
        Path exe = Fixtures.build(tmp, "xthread", "-O1", "-pthread");
        CaptureHarness.Result r = CaptureHarness.run(tmp, List.of(exe.toString()));
        assertThat(r.exitCode()).isZero();
        assertThat(r.stdout()).contains("xthread: handed=180000");
        RecordingListener ev = r.events();
        // liveAllocations fails on a FREE without an earlier ALLOC or an ALLOC of a live address
        Map<Long, Alloc> live = liveAllocations(ev);
        long handed = ev.allocs.stream().filter(a -> a.size() >= 16 && a.size() <= 64).count();
        assertThat(handed).isGreaterThanOrEqualTo(180_000);
        var sym = CaptureIntegrationTest.symbolizer(ev);
        assertThat(live.values()).as("the fixture frees every handed block")
                .noneMatch(a -> CaptureIntegrationTest.innermost(sym, ev, a).function().equals("producer"));
        assertThat(ev.frees.size()).isGreaterThanOrEqualTo(180_000);
        assertThat(ev.counters).hasSize(1);
        assertThat(ev.counters.get(0).events()).isEqualTo(ev.allocs.size() + ev.frees.size());
        assertThat(ev.options).containsExactly(new CaptureOptions(false, 0, 64, false, false, false, false));
    }

    @Test
    void sampledModeWeighsSamplesAndSendsOnlyTheirFrees() throws Exception {
        Path exe = Fixtures.build(tmp, "mt_alloc", "-O1", "-pthread");
        CaptureHarness.Result full = CaptureHarness.run(tmp, List.of(exe.toString()));
        long fullBytes = full.events().allocs.stream().mapToLong(Alloc::size).sum();

        Path work = tmp.resolve("sampled");
        java.nio.file.Files.createDirectory(work);
        CaptureHarness.Result r = CaptureHarness.run(work, List.of(exe.toString()),
                Map.of("PLUMB_MODE", "sampled", "PLUMB_SAMPLE_BYTES", "8192"));
        assertThat(r.exitCode()).isZero();
        assertThat(r.stdout()).isEqualTo(full.stdout());
        RecordingListener ev = r.events();
        assertThat(ev.options.get(0).sampled()).isTrue();
        assertThat(ev.options.get(0).sampleBytes()).isEqualTo(8192);
        assertThat(ev.allocs).isNotEmpty().allSatisfy(a -> {
            assertThat(a.weight()).isGreaterThanOrEqualTo(1.0);
            assertThat(a.weight()).isCloseTo(1.0 / -Math.expm1(-Math.max(1, a.size()) / 8192.0),
                    org.assertj.core.data.Offset.offset(1e-6 * a.weight()));
        });
        // far fewer records than full mode, and every FREE is for a sampled address
        assertThat(ev.allocs.size()).isLessThan(full.events().allocs.size() / 4);
        liveAllocations(ev);
        // the weighted sum estimates the bytes allocated (about 2000 samples: within 15 %)
        double estimate = ev.allocs.stream().mapToDouble(a -> a.weight() * a.size()).sum();
        assertThat(estimate).isBetween(fullBytes * 0.85, fullBytes * 1.15);
        assertThat(ev.counters.get(0).samples()).isEqualTo(ev.allocs.size());
        assertThat(ev.counters.get(0).droppedSamples()).isZero();
    }

    /**
     * 100,000 samples alive at once (every allocation is a sample at PLUMB_SAMPLE_BYTES=1), more
     * than the sampled set's first level holds: none may be dropped, and every one's FREE must
     * come (the fast path of free skips addresses whose bit is clear: a bit cleared while a
     * sample of it was still alive would lose that free, a false leak).
     */
    @Test
    void sampledSetHoldsManyLiveSamplesAndLosesNoFree() throws Exception {
        Path exe = Fixtures.build(tmp, "many_live", "-O1", "-pthread");
        CaptureHarness.Result r = CaptureHarness.run(tmp, List.of(exe.toString()),
                Map.of("PLUMB_MODE", "sampled", "PLUMB_SAMPLE_BYTES", "1"));
        assertThat(r.exitCode()).isZero();
        assertThat(r.stdout()).isEqualTo("many_live: live=100000 freed=100000\n");
        RecordingListener ev = r.events();
        var sym = CaptureIntegrationTest.symbolizer(ev);
        long kept = ev.allocs.stream()
                .filter(a -> CaptureIntegrationTest.innermost(sym, ev, a).function().equals("keep_block")).count();
        assertThat(kept).isEqualTo(100_000);
        assertThat(ev.counters.get(0).droppedSamples()).isZero();
        // liveAllocations fails on a FREE without its SAMPLE or a SAMPLE of an address still alive
        Map<Long, Alloc> live = liveAllocations(ev);
        assertThat(live.values()).as("every kept block's FREE was sent")
                .noneMatch(a -> CaptureIntegrationTest.innermost(sym, ev, a).function().equals("keep_block"));
    }

    @Test
    void startDisabledThenSigusr1TogglesRecordingAndFreezesLeaks() throws Exception {
        Path exe = Fixtures.build(tmp, "toggle", "-O1");
        CaptureHarness.Result r = CaptureHarness.run(tmp, List.of(exe.toString()), Map.of("PLUMB_START_DISABLED", "1"));
        assertThat(r.exitCode()).isZero();
        assertThat(r.stdout()).isEqualTo("toggle: done\n");
        RecordingListener ev = r.events();
        assertThat(ev.toggles).extracting(RecordingListener.Toggle::recording).containsExactly(false, true, false);
        assertThat(ev.options.get(0).startDisabled()).isTrue();
        // only phase 2 was recorded, and the frees made after the stop were not
        assertThat(ev.allocs).hasSize(100).allSatisfy(a -> assertThat(a.size()).isEqualTo(2002));
        assertThat(ev.frees).isEmpty();
        assertThat(liveAllocations(ev)).hasSize(100);
        // toggles sit in time order with the allocations
        assertThat(ev.tags.toString()).matches("HOTM*TS(A|S)+TKE");
    }

    @Test
    void forkedChildIsDetachedAndExecDoesNotFollowUnlessAsked() throws Exception {
        Path exe = Fixtures.build(tmp, "forkexec", "-O1");
        Fixtures.Plain plain = Fixtures.runPlain(tmp, List.of(exe.toString()));
        assertThat(plain.exitCode()).isEqualTo(7);

        CaptureHarness.Result r = CaptureHarness.run(tmp, List.of(exe.toString()));
        assertThat(r.exitCode()).isEqualTo(7);
        assertThat(r.stdout()).isEqualTo(plain.stdout()).contains("child-exec").contains("via-system");
        assertThat(r.sessions()).as("only the parent: the fork child is detached, exec'd images unprofiled").hasSize(1);
        RecordingListener ev = r.events(); // _exit still delivers END
        Map<Long, Alloc> live = liveAllocations(ev);
        assertThat(live.values().stream().filter(a -> a.size() == 4321)).hasSize(5);
        assertThat(live.values().stream().filter(a -> a.size() == 1234)).hasSize(3);
        assertThat(ev.allocs).noneMatch(a -> a.size() == 777); // the child's

        Path work = tmp.resolve("follow");
        java.nio.file.Files.createDirectory(work);
        CaptureHarness.Result f = CaptureHarness.run(work, List.of(exe.toString()), Map.of("PLUMB_FOLLOW_EXEC", "1"));
        assertThat(f.exitCode()).isEqualTo(7);
        assertThat(f.stdout()).isEqualTo(plain.stdout());
        assertThat(f.sessions()).as("parent, the exec'd echo, and system()'s shell").hasSizeGreaterThanOrEqualTo(3);
        assertThat(f.sessions()).allSatisfy(s -> {
            assertThat(s.tags.charAt(0)).isEqualTo('H');
            assertThat(s.ends).hasSize(1);
            liveAllocations(s);
        });
        assertThat(f.sessions()).anySatisfy(s -> assertThat(s.hellos.get(0).exe()).endsWith("/echo"));

        // bash hands its children the environment main() was given, not the one the constructor
        // cleaned: the exec hooks take our variables out of an explicit environment too.
        Path shell = tmp.resolve("shell");
        java.nio.file.Files.createDirectory(shell);
        // (/proc/self/environ is what the kernel gave the child, whatever its own constructor does)
        CaptureHarness.Result sh = CaptureHarness.run(shell, List.of("/bin/bash", "-c",
                "/bin/cat /proc/self/environ | /usr/bin/tr '\\0' '\\n'; /bin/echo from-the-child"));
        assertThat(sh.exitCode()).isZero();
        assertThat(sh.stdout()).contains("from-the-child").doesNotContain("PLUMB_SOCKET=").doesNotContain("libplumb");
        assertThat(sh.sessions()).as("only bash itself").hasSize(1);
    }

    @Test
    void stacksSeenBeforeAreReplayedExactlyAsLibunwindUnwindsThem() throws Exception {
        Path exe = Fixtures.build(tmp, "mt_alloc", "-O1", "-pthread");
        Path reference = tmp.resolve("libunwind-only");
        java.nio.file.Files.createDirectory(reference);
        RecordingListener slow = CaptureHarness.run(reference, List.of(exe.toString()),
                Map.of("PLUMB_FAST_UNWIND", "0")).events();
        // PLUMB_UNWIND_CHECK: every replayed stack is unwound by libunwind too and compared
        CaptureHarness.Result r = CaptureHarness.run(tmp, List.of(exe.toString()), Map.of("PLUMB_UNWIND_CHECK", "1"));
        assertThat(r.exitCode()).isZero();
        RecordingListener fast = r.events();
        assertThat(slow.counters.get(0).fastUnwinds()).isZero();
        assertThat(fast.counters.get(0).unwindMismatches()).isZero();
        assertThat(fast.counters.get(0).fastUnwinds()).as("a few thousand distinct paths, 80,000 allocations")
                .isGreaterThan(fast.allocs.size() * 9L / 10);
        // the same stacks either way: as many distinct ones, and every allocation's depth the same
        assertThat(fast.stacks).hasSameSizeAs(slow.stacks);
        assertThat(depths(fast)).isEqualTo(depths(slow));
    }

    private static List<Integer> depths(RecordingListener ev) {
        return ev.allocs.stream().map(a -> ev.stacks.get(a.stackId()).length).sorted().toList();
    }

    @Test
    void stacksThroughUnloadedCodeAreNotReplayedForTheCodeThatReplacedIt() throws Exception {
        // two builds of one plugin whose code is laid out alike but whose frames differ in size:
        // dlopen maps the second where the first was, so what was learned about the first's
        // addresses would read the second's frames wrongly — the shape cache's, and libunwind's
        // own caches (the dlclose hook retires one and flushes the other; without it this fails)
        Path small = tmp.resolve("libplugin-small.so");
        Path large = tmp.resolve("libplugin-large.so");
        Path src = Fixtures.copy(tmp, "plugin.c");
        Fixtures.run(List.of("gcc", "-O1", "-g", "-shared", "-fPIC", "-DFRAME=256", "-o", small.toString(), src.toString()));
        Fixtures.run(List.of("gcc", "-O1", "-g", "-shared", "-fPIC", "-DFRAME=1024", "-o", large.toString(), src.toString()));
        Path exe = Fixtures.build(tmp, "plugins", "-O1", "-ldl");
        CaptureHarness.Result r = CaptureHarness.run(tmp, List.of(exe.toString(), small.toString(), large.toString()),
                Map.of("PLUMB_UNWIND_CHECK", "1"));
        assertThat(r.exitCode()).isZero();
        assertThat(r.stdout()).isEqualTo("plugins: 2 12000\n");
        RecordingListener ev = r.events();
        liveAllocations(ev);
        assertThat(ev.counters.get(0).unwindMismatches()).isZero();
        assertThat(ev.counters.get(0).fastUnwinds()).as("replayed within each load").isPositive();
        // every plugin allocation's stack the whole way: inner <- middle <- make <- main <- libc's start
        List<Alloc> plugin = ev.allocs.stream().filter(a -> a.size() >= 1000 && a.size() < 1064).toList();
        assertThat(plugin).hasSize(12000);
        assertThat(plugin.stream().map(a -> ev.stacks.get(a.stackId()).length).distinct().toList())
                .singleElement().satisfies(depth -> assertThat(depth).isGreaterThanOrEqualTo(5));
    }

    @Test
    void mmapIsTrackedOnlyWhenAsked() throws Exception {
        Path exe = Fixtures.build(tmp, "mmap_use", "-O1");
        CaptureHarness.Result off = CaptureHarness.run(tmp, List.of(exe.toString()));
        assertThat(off.events().allocs).noneMatch(a -> a.size() == 1 << 20);

        Path work = tmp.resolve("on");
        java.nio.file.Files.createDirectory(work);
        CaptureHarness.Result on = CaptureHarness.run(work, List.of(exe.toString()), Map.of("PLUMB_TRACK_MMAP", "1"));
        assertThat(on.exitCode()).isZero();
        assertThat(on.stdout()).isEqualTo("mmap_use: ok\n");
        Map<Long, Alloc> live = liveAllocations(on.events());
        assertThat(on.events().allocs.stream().filter(a -> a.size() == 1 << 20)).hasSize(3);
        assertThat(live.values().stream().filter(a -> a.size() == 1 << 20)).as("one of three unmapped").hasSize(2);
    }

    @Test
    void jemallocExtendedApiIsRecorded() throws Exception {
        assumeThat(Fixtures.headerExists("jemalloc/jemalloc.h")).as("libjemalloc-dev installed").isTrue();
        Path exe = Fixtures.build(tmp, "jemalloc_api", "-O1", "-ljemalloc");
        CaptureHarness.Result r = CaptureHarness.run(tmp, List.of(exe.toString()));
        assertThat(r.exitCode()).isZero();
        assertThat(r.stdout()).isEqualTo("jemalloc_api: usable_ok=1\n");
        RecordingListener ev = r.events();
        Map<Long, Alloc> live = liveAllocations(ev);
        assertThat(ev.allocs).extracting(Alloc::size).contains(100L, 4096L, 20000L, 5555L, 6666L, 10L);
        assertThat(live.values()).extracting(Alloc::size).contains(5555L, 6666L)
                .doesNotContain(100L, 20000L, 10L);
        assertThat(ev.modules).anySatisfy(m -> assertThat(m.path()).contains("libjemalloc"));
    }

    @Test
    void prefixedJemallocApiIsRecordedOnce() throws Exception {
        assumeThat(Fixtures.headerExists("jemalloc/jemalloc.h")).as("libjemalloc-dev installed").isTrue();
        Path shim = tmp.resolve("librjem.so");
        Fixtures.run(List.of("gcc", "-O1", "-g", "-shared", "-fPIC", "-o", shim.toString(),
                Fixtures.copy(tmp, "rjem_shim.c").toString(), "-ljemalloc"));
        Path exe = Fixtures.build(tmp, "rjem_user", "-O1", "-L" + tmp, "-lrjem", "-Wl,-rpath," + tmp);
        CaptureHarness.Result r = CaptureHarness.run(tmp, List.of(exe.toString()));
        assertThat(r.exitCode()).isZero();
        assertThat(r.stdout()).isEqualTo("rjem_user: ok\n");
        RecordingListener ev = r.events();
        Map<Long, Alloc> live = liveAllocations(ev); // a double FREE would fail here
        assertThat(ev.allocs).extracting(Alloc::size).containsSubsequence(300L, 3000L, 100L, 7777L);
        assertThat(live.values()).extracting(Alloc::size).contains(7777L).doesNotContain(300L, 3000L, 100L);
        assertThat(ev.frees).hasSize(3);
    }

    @Test
    void maxDepthAndFramePointersAreHonoured() throws Exception {
        Path exe = Fixtures.build(tmp, "mt_alloc", "-O1", "-pthread", "-fno-omit-frame-pointer");
        CaptureHarness.Result r = CaptureHarness.run(tmp, List.of(exe.toString()),
                Map.of("PLUMB_MAX_DEPTH", "3", "PLUMB_FRAME_POINTERS", "1"));
        assertThat(r.exitCode()).isZero();
        RecordingListener ev = r.events();
        assertThat(ev.options.get(0).maxDepth()).isEqualTo(3);
        assertThat(ev.options.get(0).framePointers()).isTrue();
        assertThat(ev.stacks.values()).allSatisfy(s -> assertThat(s.length).isBetween(1, 3));
        // frame-pointer stacks still name the fixture's own function innermost
        var sym = CaptureIntegrationTest.symbolizer(ev);
        assertThat(ev.allocs.stream().filter(a -> a.size() == 777)
                .map(a -> CaptureIntegrationTest.innermost(sym, ev, a).function()).distinct())
                .contains("leak_block");
    }
}

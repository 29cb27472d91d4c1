package dev.plumb.agent.capture;

import static dev.plumb.agent.capture.CaptureIntegrationTest.plumbRoot;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The library built with sanitizers, preloaded into fixtures built with the same sanitizers.
 * What works (see native/README.md): an ASan+UBSan library in front of an ASan+UBSan program
 * with ASAN_OPTIONS=verify_asan_link_order=0 (our hooks come first and forward to ASan's
 * allocator); a UBSan library with a UBSan program. Any sanitizer report fails the test
 * (-fno-sanitize-recover makes UBSan findings fatal too).
 */
class SanitizerTest {
    @TempDir
    static Path libs;

    @TempDir
    Path tmp;

    @BeforeAll
    static void buildSanitizedLibraries() throws Exception {
        Fixtures.run(List.of("make", "-s", "-C", plumbRoot().resolve("agent-client/native").toString(),
                "OUT=" + libs, "sanitize"));
    }

    private static final String[] ASAN = {"-O1", "-pthread", "-fsanitize=address,undefined", "-fno-sanitize-recover=undefined"};
    private static final String[] UBSAN = {"-O1", "-pthread", "-fsanitize=undefined", "-fno-sanitize-recover=undefined"};

    @Test
    void asanLibraryInAsanPrograms() throws Exception {
        for (String fixture : List.of("xthread", "mt_alloc", "forkexec")) {
            Path exe = Fixtures.buildAs(tmp, fixture, fixture + "-asan", ASAN);
            check(exe, libs.resolve("libplumb-asan.so"),
                    Map.of("ASAN_OPTIONS", "verify_asan_link_order=0:detect_leaks=0:abort_on_error=1"));
        }
    }

    @Test
    void ubsanLibraryInUbsanPrograms() throws Exception {
        for (String fixture : List.of("xthread", "mt_alloc", "forkexec")) {
            Path exe = Fixtures.buildAs(tmp, fixture, fixture + "-ubsan", UBSAN);
            check(exe, libs.resolve("libplumb-ubsan.so"), Map.of());
        }
        Path exe = Fixtures.buildAs(tmp, "mt_alloc", "mt_alloc-ubsan-sampled", UBSAN);
        check(exe, libs.resolve("libplumb-ubsan.so"), Map.of("PLUMB_MODE", "sampled", "PLUMB_SAMPLE_BYTES", "4096"));
    }

    private void check(Path exe, Path lib, Map<String, String> env) throws Exception {
        Path work = java.nio.file.Files.createTempDirectory(tmp, "run");
        Fixtures.Plain plain = Fixtures.runPlain(work, List.of(exe.toString()), env);
        CaptureHarness.Result r = CaptureHarness.run(work, List.of(exe.toString()), env, lib);
        assertThat(r.stderr()).as("%s", exe).doesNotContain("runtime error").doesNotContain("Sanitizer");
        assertThat(r.exitCode()).as("%s", exe).isEqualTo(plain.exitCode());
        assertThat(r.stdout()).as("%s", exe).isEqualTo(plain.stdout());
        RecordingListener ev = r.events();
        assertThat(ev.allocs).as("%s", exe).isNotEmpty();
        // ASan's interceptors allocate some blocks themselves (not through malloc), so a FREE of
        // an address never seen is legal here (receivers ignore it); an ALLOC of a live address is not
        java.util.Set<Long> live = new java.util.HashSet<>();
        int a = 0;
        int f = 0;
        for (int i = 0; i < ev.tags.length(); i++) {
            if (ev.tags.charAt(i) == 'A') {
                assertThat(live.add(ev.allocs.get(a++).address())).as("ALLOC of a live address").isTrue();
            } else if (ev.tags.charAt(i) == 'F') {
                live.remove(ev.frees.get(f++).address());
            }
        }
    }
}

package dev.plumb.web.imports;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.plumb.wire.Batch;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A real heaptrack recording, read by Plumb, gives heaptrack_print's own totals. */
class HeaptrackImportTest {
    @TempDir
    static Path dir;
    static HeaptrackRecording recording;
    static ImportedRecording imported;
    static final Instant END = Instant.parse("2024-06-01T12:00:00Z");

    @BeforeAll
    static void recordAndImport() throws Exception {
        recording = HeaptrackRecording.record(dir);
        imported = Recordings.read(recording.file, new ImportRequest(recording.file.getFileName().toString(),
                null, null, null, END));
    }

    @Test
    void totalsEqualHeaptrackPrint() throws Exception {
        Batch content = imported.content();
        Set<Long> freed = new HashSet<>();
        content.frees().forEach(f -> freed.add(f.allocId()));
        long leaked = content.allocs().stream().filter(a -> !freed.contains(a.allocId())).mapToLong(Batch.Alloc::size).sum();

        long calls = recording.printTotal("allocations");
        long printedLeaked = recording.printTotal("leaked");
        long printedPeak = recording.printTotal("peak");
        System.out.printf("heaptrack_print: calls=%d peak=%d leaked=%d; Plumb: calls=%d peak=%d leaked=%d%n",
                calls, printedPeak, printedLeaked, content.allocs().size(), imported.peakBytes(), leaked);
        assertThat(content.allocs()).hasSize((int) calls);
        assertThat(leaked).isEqualTo(printedLeaked);
        assertThat(imported.peakBytes()).isEqualTo(printedPeak);

        // and the summary lines, in heaptrack_print's own rounding
        String summary = recording.printSummary();
        assertThat(summaryValue(summary, "calls to allocation functions")).isEqualTo(String.valueOf(calls));
        assertThat(summaryValue(summary, "peak heap memory consumption")).isEqualTo(heaptrackBytes(imported.peakBytes()));
        assertThat(summaryValue(summary, "total memory leaked")).isEqualTo(heaptrackBytes(leaked));
    }

    @Test
    void theProgramsOwnLeaksAndBacktracesAreThere() {
        // 80 of 200 remember() blocks stay (1120..1199 bytes) and the realloc'd 4000 bytes
        Batch content = imported.content();
        Set<Long> freed = new HashSet<>();
        content.frees().forEach(f -> freed.add(f.allocId()));
        long rememberedStack = content.stacks().stream()
                .filter(s -> s.frames().stream().anyMatch(f -> f.function().equals("remember")))
                .mapToInt(Batch.StackDef::stackId).findFirst().orElseThrow();
        long leakedByRemember = content.allocs().stream()
                .filter(a -> a.stackId() == rememberedStack && !freed.contains(a.allocId()))
                .mapToLong(Batch.Alloc::size).sum();
        assertThat(leakedByRemember).isEqualTo((1120 + 1199) * 80 / 2);
        Batch.StackDef remember = content.stacks().stream().filter(s -> s.stackId() == rememberedStack).findFirst().orElseThrow();
        assertThat(remember.frames().get(0).function()).isEqualTo("remember");
        assertThat(remember.frames().get(0).file()).endsWith("heaptracked.c");
        assertThat(remember.frames().get(1).function()).isEqualTo("main");
        assertThat(remember.frames().get(0).module()).endsWith("heaptracked");
    }

    @Test
    void sessionDescriptionAndTimes() {
        assertThat(imported.format()).isEqualTo("heaptrack");
        assertThat(imported.pid()).isEqualTo(4242);
        assertThat(imported.exe()).endsWith("heaptracked");
        assertThat(imported.labels()).containsEntry("imported_from", "heaptrack").containsKey("heaptrack_version");
        long endUs = END.getEpochSecond() * 1_000_000L;
        assertThat(imported.content().endedAtMicros()).isEqualTo(endUs);
        assertThat(imported.startedAtMicros()).isLessThan(endUs);
        assertThat(imported.content().allocs()).allSatisfy(a ->
                assertThat(a.atMicros()).isBetween(imported.startedAtMicros(), endUs));
    }

    @Test
    void aTruncatedRecordingIsNamedWithWhere() throws Exception {
        byte[] whole = Files.readAllBytes(recording.file);
        Path cut = dir.resolve("cut." + (recording.file.toString().endsWith(".zst") ? "zst" : "gz"));
        Files.write(cut, Arrays.copyOf(whole, whole.length * 3 / 4));
        assertThatThrownBy(() -> Recordings.read(cut, ImportRequest.defaults()))
                .isInstanceOf(ImportException.class)
                .hasMessageMatching("heaptrack recording is truncated at line \\d+: .*");
    }

    @Test
    void aCorruptLineIsNamedWithItsNumber() throws Exception {
        Path bad = dir.resolve("bad.txt");
        Files.writeString(bad, "v 10400 3\nX ./p\ns 4 main\nt 5 0\n", StandardCharsets.UTF_8);
        assertThatThrownBy(() -> Recordings.read(bad, ImportRequest.defaults()))
                .isInstanceOf(ImportException.class)
                .hasMessage("heaptrack recording is corrupt at line 4: refers to instruction pointer 0x5, but only 0 are defined");

        Files.writeString(bad, "v 10400 3\nQ 1\n", StandardCharsets.UTF_8);
        assertThatThrownBy(() -> Recordings.read(bad, ImportRequest.defaults()))
                .hasMessage("heaptrack recording is corrupt at line 2: unknown record type 'Q'");

        Files.writeString(bad, "v 10400 3\na 10 0\n+ 0\n- 0\n- 0\n", StandardCharsets.UTF_8);
        assertThatThrownBy(() -> Recordings.read(bad, ImportRequest.defaults()))
                .hasMessage("heaptrack recording is corrupt at line 5: free of allocation info 0x0, which has no live allocation");
    }

    @Test
    void anUnknownFormatSaysWhatItExpectedAndWhatItGot() throws Exception {
        Path zip = dir.resolve("x.zip");
        Files.write(zip, new byte[] {'P', 'K', 3, 4, 0, 0});
        assertThatThrownBy(() -> Recordings.read(zip, ImportRequest.defaults()))
                .isInstanceOf(ImportException.class)
                .hasMessageStartingWith("unknown format: expected a heaptrack recording")
                .hasMessageEndingWith("starts with bytes 50 4b 03 04 00 00");
    }

    /** The value after "name: " up to the first space. */
    static String summaryValue(String summary, String name) {
        Matcher m = Pattern.compile(Pattern.quote(name) + ": (\\S+)").matcher(summary);
        assertThat(m.find()).as("'%s' in %s", name, summary).isTrue();
        return m.group(1);
    }

    /** heaptrack_print's byte format: B below 1000, else two decimals of K, M, G (powers of 1000). */
    static String heaptrackBytes(long bytes) {
        if (bytes < 1000) {
            return bytes + "B";
        }
        String[] units = {"K", "M", "G", "T"};
        double v = bytes;
        int unit = -1;
        while (v >= 1000 && unit < units.length - 1) {
            v /= 1000;
            unit++;
        }
        return String.format(Locale.ROOT, "%.2f%s", v, units[unit]);
    }
}

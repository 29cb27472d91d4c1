package dev.plumb.agent.symbols;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ElfSymbolsTest {

    /** Prints the runtime address of two of its functions; -no-pie makes that the file address. */
    private static final String PROGRAM = """
            #include <stdio.h>
            __attribute__((noinline)) int plumb_probe_function(int x) { return x * 3 + 1; }
            __attribute__((noinline)) static int plumb_static_helper(int x) { return x ^ 0x55; }
            int main(int argc, char **argv) {
                (void)argv;
                printf("%lx %lx\\n", (unsigned long)&plumb_probe_function,
                       (unsigned long)&plumb_static_helper);
                return plumb_probe_function(argc) + plumb_static_helper(argc) == 0;
            }
            """;

    @TempDir
    Path tmp;

    private long[] build(String name, String... flags) throws Exception {
        Path src = tmp.resolve("probe.c");
        Files.writeString(src, PROGRAM);
        Path exe = tmp.resolve(name);
        List<String> cmd = new ArrayList<>(List.of("gcc", "-O1", "-g", "-no-pie", "-fno-pie"));
        cmd.addAll(Arrays.asList(flags));
        cmd.addAll(List.of("-o", exe.toString(), src.toString()));
        assertThat(run(cmd)).isNotNull();
        String out = run(List.of(exe.toString())).trim();
        String[] parts = out.split(" ");
        return new long[] {Long.parseUnsignedLong(parts[0], 16), Long.parseUnsignedLong(parts[1], 16)};
    }

    private static String run(List<String> cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("%s: %s", cmd, out).isZero();
        return out;
    }

    @Test
    void resolvesFunctionsFromSymtab() throws Exception {
        long[] addr = build("probe");
        ElfSymbols syms = ElfSymbols.read(tmp.resolve("probe"));
        assertThat(syms.size()).isGreaterThan(2);
        assertThat(syms.lookup(addr[0])).contains("plumb_probe_function");
        assertThat(syms.lookup(addr[0] + 3)).contains("plumb_probe_function");
        assertThat(syms.lookup(addr[1] + 1)).contains("plumb_static_helper");
        assertThat(syms.lookup(addr[0] - 1)).isNotEqualTo(syms.lookup(addr[0]));
        assertThat(syms.lookup(0)).isEmpty();
    }

    @Test
    void strippedFileHasOnlyDynamicSymbols() throws Exception {
        long[] addr = build("probe-stripped", "-s");
        ElfSymbols syms = ElfSymbols.read(tmp.resolve("probe-stripped"));
        assertThat(syms.lookup(addr[0])).isEmpty();
        assertThat(syms.lookup(addr[1])).isEmpty();
    }

    @Test
    void strippedFileWithExportedSymbolsResolvesFromDynsym() throws Exception {
        long[] addr = build("probe-rdynamic", "-s", "-rdynamic");
        ElfSymbols syms = ElfSymbols.read(tmp.resolve("probe-rdynamic"));
        assertThat(syms.lookup(addr[0] + 2)).contains("plumb_probe_function");
        assertThat(syms.lookup(addr[1] + 1)).isEmpty(); // static: not exported
    }

    @Test
    void symbolizerFallsBackToSeparateDebugFileByBuildId() throws Exception {
        String buildId = "0123456789abcdef0123456789abcdef01234567";
        long[] addr = build("probe-split", "-Wl,--build-id=0x" + buildId);
        Path exe = tmp.resolve("probe-split");
        Path debugRoot = tmp.resolve("debug");
        Path debugFile = debugRoot.resolve(".build-id/01/23456789abcdef0123456789abcdef01234567.debug");
        Files.createDirectories(debugFile.getParent());
        run(List.of("objcopy", "--only-keep-debug", exe.toString(), debugFile.toString()));
        run(List.of("strip", exe.toString()));
        assertThat(ElfSymbols.read(exe).lookup(addr[0])).as("stripped").isEmpty();

        var module = new dev.plumb.agent.capture.ModuleInfo(exe.toString(), 0, 0x400000, 0x800000, buildId);
        Symbolizer withDebug = new Symbolizer(ElfSymbols::read, debugRoot);
        withDebug.addModule(module);
        assertThat(withDebug.resolve(addr[0] + 4, false))
                .isEqualTo(new ResolvedFrame("plumb_probe_function", "probe-split", "", 0));
        assertThat(withDebug.resolve(addr[1] + 2, true).function()).isEqualTo("plumb_static_helper");

        Symbolizer without = new Symbolizer(ElfSymbols::read, tmp.resolve("no-debug-here"));
        without.addModule(module);
        assertThat(without.resolve(addr[0] + 4, false).function()).startsWith("0x");
    }

    @Test
    void sharedLibraryExportsResolve() {
        Path libc = Path.of("/lib/x86_64-linux-gnu/libc.so.6");
        if (!Files.exists(libc)) {
            return; // other distribution layout: nothing to check here
        }
        ElfSymbols syms = ElfSymbols.read(libc);
        assertThat(syms.size()).isGreaterThan(1000);
    }

    @Test
    void nonElfMissingAndTruncatedFilesGiveEmptyTables() throws Exception {
        Path text = tmp.resolve("text.txt");
        Files.writeString(text, "hello, this is not an ELF file at all ".repeat(10));
        assertThat(ElfSymbols.read(text).size()).isZero();
        assertThat(ElfSymbols.read(tmp.resolve("missing")).size()).isZero();
        assertThat(ElfSymbols.read(tmp).size()).as("a directory").isZero();
        Path empty = Files.createFile(tmp.resolve("empty"));
        assertThat(ElfSymbols.read(empty).size()).isZero();

        build("probe");
        byte[] elf = Files.readAllBytes(tmp.resolve("probe"));
        for (int len : new int[] {16, 64, 200, elf.length / 2, elf.length - 1}) {
            Path cut = tmp.resolve("cut-" + len);
            Files.write(cut, Arrays.copyOf(elf, len));
            ElfSymbols syms = ElfSymbols.read(cut);
            assertThat(syms.lookup(0x401000)).isNotNull();
        }
        // corrupt section header offset
        byte[] bad = elf.clone();
        bad[0x28] = (byte) 0xff;
        bad[0x2f] = (byte) 0x7f;
        Path corrupt = tmp.resolve("corrupt");
        Files.write(corrupt, bad);
        assertThat(ElfSymbols.read(corrupt).size()).isZero();
    }
}

package dev.plumb.agent.symbols;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.plumb.agent.capture.ModuleInfo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * File:line, inlined frames and demangled C++/Rust names, on fixtures compiled here with and
 * without debug info. The Rust fixture is a C++ file exporting functions under Rust's legacy
 * and v0 mangled names (valid C identifiers), which is all a symbol table shows of Rust.
 */
class SourceSymbolizationTest {
    private static final String PROGRAM = """
            #include <cstdlib>
            namespace shop {
            struct Cart {
                __attribute__((noinline)) void *add(int n);
            };
            }
            static inline __attribute__((always_inline)) void *grow(int n) {
                return std::malloc(n);          // line 8: inlined into Cart::add
            }
            void *shop::Cart::add(int n) {
                return grow(n * 2);             // line 11
            }
            extern "C" __attribute__((noinline)) void _ZN4shop6basket4fill17h0123456789abcdefE(void) {
                __asm__ volatile("");
            }
            extern "C" __attribute__((noinline)) void _RNvCsbmNqQUJIY6D_4shop7restock(void) {
                __asm__ volatile("");
            }
            int main() {
                shop::Cart c;
                std::free(c.add(3));
                _ZN4shop6basket4fill17h0123456789abcdefE();
                _RNvCsbmNqQUJIY6D_4shop7restock();
                return 0;
            }
            """;

    @TempDir
    static Path tmp;
    static boolean binutils;

    @BeforeAll
    static void needsTools() {
        binutils = new SourceLines().available();
    }

    private static Path build(String name, String... flags) throws Exception {
        Path src = tmp.resolve("shop.cpp");
        Files.writeString(src, PROGRAM);
        Path exe = tmp.resolve(name);
        List<String> cmd = new ArrayList<>(List.of("g++", "-O2", "-no-pie", "-fno-pie"));
        cmd.addAll(List.of(flags));
        cmd.addAll(List.of("-o", exe.toString(), src.toString()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("%s: %s", cmd, out).isZero();
        return exe;
    }

    /** Symbol name → address, from the ELF symbol table. */
    private static Map<String, Long> symbols(Path exe) throws Exception {
        Process p = new ProcessBuilder("nm", exe.toString()).start();
        Map<String, Long> out = new HashMap<>();
        for (String line : new String(p.getInputStream().readAllBytes()).split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length == 3) {
                out.put(f[2], Long.parseUnsignedLong(f[0], 16));
            }
        }
        p.waitFor(30, TimeUnit.SECONDS);
        return out;
    }

    private static Symbolizer symbolizerFor(Path exe) {
        Symbolizer s = new Symbolizer();
        s.addModule(new ModuleInfo(exe.toString(), 0, 0x400000, 0x800000, ""));
        return s;
    }

    @Test
    void withDebugInfoFramesHaveFileLineAndInlinedFunctions() throws Exception {
        assumeTrue(binutils, "binutils (addr2line) is not installed");
        Path exe = build("shop-g", "-g");
        Map<String, Long> sym = symbols(exe);
        Symbolizer s = symbolizerFor(exe);
        // a return address inside Cart::add's body, past the argument set-up: the malloc call
        // there comes from grow(), inlined into it
        long inAdd = sym.get("_ZN4shop4Cart3addEi") + 9;
        List<ResolvedFrame> chain = s.resolveInlined(inAdd);
        assertThat(chain.get(chain.size() - 1).function()).isEqualTo("shop::Cart::add(int)");
        assertThat(chain).allSatisfy(f -> {
            assertThat(f.file()).endsWith("shop.cpp");
            assertThat(f.line()).isPositive();
            assertThat(f.module()).isEqualTo("shop-g");
        });
        // grow() (line 8) inlined at line 11; the inlined frame's name varies with binutils'
        // reading of the DWARF, its line does not
        assertThat(chain).as("%s", chain).extracting(ResolvedFrame::line).containsExactly(8, 11);

        ResolvedFrame legacy = s.resolve(sym.get("_ZN4shop6basket4fill17h0123456789abcdefE") + 1, false);
        assertThat(legacy.function()).isEqualTo("shop::basket::fill");
        ResolvedFrame v0 = s.resolve(sym.get("_RNvCsbmNqQUJIY6D_4shop7restock") + 1, false);
        assertThat(v0.function()).isEqualTo("shop::restock");
        s.close();
    }

    @Test
    void withoutDebugInfoNamesAreStillDemangled() throws Exception {
        assumeTrue(binutils, "binutils (addr2line, c++filt) is not installed");
        Path exe = build("shop-nodebug", "-g0");
        Map<String, Long> sym = symbols(exe);
        Symbolizer s = symbolizerFor(exe);
        List<ResolvedFrame> chain = s.resolveInlined(sym.get("_ZN4shop4Cart3addEi") + 5);
        assertThat(chain).hasSize(1);
        assertThat(chain.get(0).function()).isEqualTo("shop::Cart::add(int)");
        assertThat(chain.get(0).file()).isEmpty();
        assertThat(chain.get(0).line()).isZero();
        assertThat(s.resolve(sym.get("_RNvCsbmNqQUJIY6D_4shop7restock") + 1, false).function()).isEqualTo("shop::restock");
        s.close();
    }

    @Test
    void withoutBinutilsTheSymbolTableStillNamesFunctions() throws Exception {
        Path exe = build("shop-plain", "-g");
        Map<String, Long> sym = symbols(exe);
        Symbolizer s = new Symbolizer(ElfSymbols::read, Path.of("/usr/lib/debug"), new SourceLines(null, null));
        s.addModule(new ModuleInfo(exe.toString(), 0, 0x400000, 0x800000, ""));
        assertThat(s.resolve(sym.get("_ZN4shop4Cart3addEi") + 5, false).function()).isEqualTo("_ZN4shop4Cart3addEi");
    }
}

package dev.plumb.agent.symbols;

import static org.assertj.core.api.Assertions.assertThat;

import dev.plumb.agent.capture.ModuleInfo;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class SymbolizerTest {

    @Test
    void unknownAddressesGetHexNames() {
        Symbolizer s = new Symbolizer(p -> ElfSymbols.empty());
        assertThat(s.resolve(0x1234, true)).isEqualTo(new ResolvedFrame("0x1234", "?", "", 0));
        s.addModule(new ModuleInfo("/opt/app/libfoo.so", 0x7f0000000000L, 0x7f0000000000L, 0x7f0000100000L, ""));
        assertThat(s.resolve(0x7f0000000abcL, false))
                .isEqualTo(new ResolvedFrame("0xabc", "libfoo.so", "", 0));
        assertThat(s.resolve(0x7f0000100000L, true).module()).as("end is exclusive").isEqualTo("?");
        assertThat(s.resolve(0x7f0000000010L, true).function()).isEqualTo("0x10");
    }

    @Test
    void parsesEachPathOnceAndHandlesOverlaps() {
        AtomicInteger loads = new AtomicInteger();
        Symbolizer s = new Symbolizer(p -> {
            loads.incrementAndGet();
            return ElfSymbols.read(Path.of("/nonexistent"));
        });
        ModuleInfo a = new ModuleInfo("/x/liba.so", 0x1000, 0x1000, 0x3000, "");
        s.addModule(a);
        s.addModule(a); // re-sent module table
        s.resolve(0x1500, true);
        s.resolve(0x1500, true);
        s.resolve(0x1600, false);
        assertThat(loads).hasValue(1);

        // liba unloaded, libb mapped over part of its range
        s.addModule(new ModuleInfo("/x/libb.so", 0x2000, 0x2000, 0x4000, ""));
        assertThat(s.resolve(0x1500, true).module()).isEqualTo("?");
        assertThat(s.resolve(0x2500, true).module()).isEqualTo("libb.so");
        assertThat(s.moduleAt(0x3fff)).isPresent();
        assertThat(s.moduleAt(0x4000)).isEmpty();
    }

    @Test
    void pseudoModulesAreNotOpened() {
        AtomicInteger loads = new AtomicInteger();
        Symbolizer s = new Symbolizer(p -> {
            loads.incrementAndGet();
            return ElfSymbols.empty();
        });
        s.addModule(new ModuleInfo("linux-vdso.so.1", 0x7000, 0x7000, 0x8000, ""));
        assertThat(s.resolve(0x7100, true)).isEqualTo(new ResolvedFrame("0x100", "linux-vdso.so.1", "", 0));
        assertThat(loads).hasValue(0);
    }
}

package dev.plumb.agent.capture;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class CaptureLibraryTest {

    @Test
    void extractsOnceAndReusesTheFile() throws Exception {
        Path first = CaptureLibrary.extract();
        assertThat(first).isRegularFile().isExecutable();
        assertThat(first.getFileName().toString()).matches("libplumb-[0-9a-f]{16}\\.so");
        assertThat(first.getParent().getFileName().toString()).startsWith("plumb-");
        byte[] elf = Files.readAllBytes(first);
        assertThat(elf).startsWith(0x7f, 'E', 'L', 'F');
        long modified = Files.getLastModifiedTime(first).toMillis();

        Path second = CaptureLibrary.extract();
        assertThat(second).isEqualTo(first);
        assertThat(Files.getLastModifiedTime(second).toMillis()).isEqualTo(modified);
        try (var files = Files.list(first.getParent())) {
            assertThat(files.filter(p -> p.toString().endsWith(".tmp"))).isEmpty();
        }
    }
}

package dev.plumb.agent.run;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CapturePumpTest {
    @TempDir
    Path dir;

    @Test
    void readerGetsEveryByteInOrderWhileTheWriterIsHeldToTheLimit() throws Exception {
        int total = 5 * 1024 * 1024;
        long limit = 1024 * 1024;
        Pipe pipe = Pipe.open();
        CapturePump pump = new CapturePump(pipe.source(), dir.resolve("c.raw"), limit);
        Thread pumpThread = new Thread(pump);
        pumpThread.start();
        CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
            try (var sink = pipe.sink()) {
                ByteBuffer chunk = ByteBuffer.allocate(64 * 1024);
                for (int written = 0; written < total; ) {
                    chunk.clear();
                    while (chunk.hasRemaining()) {
                        chunk.put((byte) (written++ % 251));
                    }
                    chunk.flip();
                    while (chunk.hasRemaining()) {
                        sink.write(chunk);
                    }
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });

        long maxLag = 0;
        int read = 0;
        try (InputStream in = pump.reader()) {
            byte[] buf = new byte[8192];
            for (int n; (n = in.read(buf)) > 0; ) {
                for (int i = 0; i < n; i++) {
                    assertThat(buf[i]).isEqualTo((byte) (read++ % 251));
                }
                maxLag = Math.max(maxLag, pump.written() - read);
            }
        }
        writer.get(30, TimeUnit.SECONDS);
        pumpThread.join(10_000);
        assertThat(read).isEqualTo(total);
        assertThat(maxLag).as("the pump waits once the reader is a limit behind").isLessThanOrEqualTo(limit + 1024 * 1024);
        assertThat(Files.size(dir.resolve("c.raw"))).isEqualTo(total);
    }

    @Test
    void anAbandonedPumpDrainsWithoutBlocking() throws Exception {
        Pipe pipe = Pipe.open();
        CapturePump pump = new CapturePump(pipe.source(), dir.resolve("d.raw"), 1024);
        Thread pumpThread = new Thread(pump);
        pumpThread.start();
        pump.abandon();
        try (var sink = pipe.sink()) {
            ByteBuffer big = ByteBuffer.allocate(4 * 1024 * 1024);
            while (big.hasRemaining()) {
                sink.write(big);
            }
        }
        pumpThread.join(10_000);
        assertThat(pumpThread.isAlive()).isFalse();
    }
}

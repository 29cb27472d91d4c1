package dev.plumb.agent.run;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
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
    void aPumpGivenItsBuffersCopiesThroughThem() throws Exception {
        CapturePump.Buffers prepared = new CapturePump.Buffers();
        byte[] stream = new byte[300 * 1024];
        for (int i = 0; i < stream.length; i++) {
            stream[i] = (byte) (i % 241);
        }
        Pipe pipe = Pipe.open();
        CapturePump pump = new CapturePump(pipe.source(), dir.resolve("b.raw"), 1L << 30, prepared);
        Thread pumpThread = new Thread(pump);
        pumpThread.start();
        try (var sink = pipe.sink()) {
            ByteBuffer all = ByteBuffer.wrap(stream);
            while (all.hasRemaining()) {
                sink.write(all);
            }
        }
        pumpThread.join(10_000);
        assertThat(pumpThread.isAlive()).isFalse();
        assertThat(Files.readAllBytes(dir.resolve("b.raw"))).isEqualTo(stream);
        ByteBuffer read = prepared.read();
        boolean used = false;
        for (int i = 0; i < read.capacity() && !used; i++) {
            used = read.get(i) != 0;
        }
        assertThat(used).as("the stream went through the prepared (zeroed) read buffer").isTrue();
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

    private static CompletableFuture<Void> write(Pipe pipe, byte[] stream) {
        return CompletableFuture.runAsync(() -> {
            try (var sink = pipe.sink()) {
                for (int off = 0; off < stream.length; off += 64 * 1024) {
                    ByteBuffer chunk = ByteBuffer.wrap(stream, off, Math.min(64 * 1024, stream.length - off));
                    while (chunk.hasRemaining()) {
                        sink.write(chunk);
                    }
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
    }

    @Test
    void aSampledStreamAtTheLimitLosesSamplesNotFreesAndTheProgramNeverWaits() throws Exception {
        byte[] stream = SampleThinnerTest.sampledStream(200_000); // ~11 MB
        long limit = 256 * 1024;
        Pipe pipe = Pipe.open();
        CapturePump pump = new CapturePump(pipe.source(), dir.resolve("s.raw"), limit);
        Thread pumpThread = new Thread(pump);
        pumpThread.start();
        // nobody decodes while the program writes: in full mode this would block at the limit
        write(pipe, stream).get(60, TimeUnit.SECONDS);
        pumpThread.join(60_000);
        assertThat(pumpThread.isAlive()).isFalse();

        CaptureStreams.Counts all = CaptureStreams.Counts.of(stream);
        CaptureStreams.Counts kept;
        try (InputStream in = pump.reader()) {
            kept = CaptureStreams.Counts.of(in);
        }
        assertThat(pump.droppedSamples()).isGreaterThan(all.samples / 2);
        assertThat(kept.samples).isEqualTo(all.samples - pump.droppedSamples());
        assertThat(kept.frees).isEqualTo(all.frees);
        assertThat(kept.stacks).isEqualTo(all.stacks);
        assertThat(kept.ends).isEqualTo(1);
        assertThat(pump.written()).as("the spool stays near its limit: only frees, stacks and the end pass it")
                .isLessThan(limit + (long) all.frees * 17 + 1024 * 1024 + 600_000);
    }

    @Test
    void aFullModeStreamLosesNothingAtTheLimit() throws Exception {
        CaptureStreams s = new CaptureStreams().hello("/bin/full").options(0).stack(1, 8);
        for (int i = 0; i < 100_000; i++) {
            s.alloc(i, 0x10_0000L + 32L * i, 32).free(i, 0x10_0000L + 32L * i);
        }
        byte[] stream = s.end(1).bytes(); // 5.4 MB
        long limit = 256 * 1024;
        Pipe pipe = Pipe.open();
        CapturePump pump = new CapturePump(pipe.source(), dir.resolve("f.raw"), limit);
        Thread pumpThread = new Thread(pump);
        pumpThread.start();
        CompletableFuture<Void> writer = write(pipe, stream);
        long[] maxLag = new long[1];
        CaptureStreams.Counts kept;
        try (InputStream in = pump.reader()) {
            kept = CaptureStreams.Counts.of(new java.io.FilterInputStream(in) {
                @Override
                public int read(byte[] b, int off, int len) throws java.io.IOException {
                    int n = super.read(b, off, len);
                    maxLag[0] = Math.max(maxLag[0], pump.lag());
                    return n;
                }
            });
        }
        writer.get(60, TimeUnit.SECONDS);
        assertThat(kept.allocs).isEqualTo(100_000);
        assertThat(kept.frees).isEqualTo(100_000);
        assertThat(pump.droppedSamples()).isZero();
        assertThat(maxLag[0]).as("the pump waited at the limit (plus one read chunk)").isLessThanOrEqualTo(limit + 1024 * 1024);
    }

    /**
     * Batched reading (sampled mode): a reader that caught up gets nothing more until the
     * interval passed, then everything that arrived, in order; the end of the stream and
     * {@link CapturePump#BATCH_BYTES} waiting both end a wait early.
     */
    @Test
    void aBatchedReaderTakesWhatArrivedOncePerIntervalAndEverythingAtTheEnd() throws Exception {
        Duration interval = Duration.ofMillis(400);
        Pipe pipe = Pipe.open();
        CapturePump pump = new CapturePump(pipe.source(), dir.resolve("b.raw"), 1L << 30).readInBatches(interval);
        Thread pumpThread = new Thread(pump);
        pumpThread.start();
        var sink = pipe.sink();
        sink.write(ByteBuffer.wrap(new byte[] {1, 2, 3}));
        try (InputStream in = pump.reader()) {
            long start = System.nanoTime();
            pump.awaitFirstBatch();
            assertThat(System.nanoTime() - start).as("the first batch waits its interval")
                    .isGreaterThanOrEqualTo(interval.toNanos() - 50_000_000L);
            assertThat(in.readNBytes(3)).containsExactly(1, 2, 3);

            sink.write(ByteBuffer.wrap(new byte[] {4, 5}));
            start = System.nanoTime();
            assertThat(in.readNBytes(2)).containsExactly(4, 5);
            assertThat(System.nanoTime() - start).as("caught up, the next batch waits its interval again")
                    .isGreaterThanOrEqualTo(interval.toNanos() - 50_000_000L);

            sink.write(ByteBuffer.wrap(new byte[] {6}));
            sink.close();
            assertThat(in.readAllBytes()).as("the end hands on the rest").containsExactly(6);
        }
        pumpThread.join(10_000);

        Pipe big = Pipe.open();
        CapturePump bulk = new CapturePump(big.source(), dir.resolve("big.raw"), 1L << 30)
                .readInBatches(Duration.ofMinutes(10));
        Thread bulkThread = new Thread(bulk);
        bulkThread.start();
        byte[] stream = new byte[(int) CapturePump.BATCH_BYTES + 4096];
        CompletableFuture<Void> writer = write(big, stream);
        try (InputStream in = bulk.reader()) {
            CompletableFuture<Integer> first = CompletableFuture.supplyAsync(() -> {
                try {
                    return in.read(new byte[16]);
                } catch (java.io.IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            assertThat(first.get(60, TimeUnit.SECONDS)).as("a full batch does not wait ten minutes").isPositive();
            assertThat(in.readAllBytes()).hasSize(stream.length - 16);
        }
        writer.get(60, TimeUnit.SECONDS);
        bulkThread.join(10_000);
    }
}

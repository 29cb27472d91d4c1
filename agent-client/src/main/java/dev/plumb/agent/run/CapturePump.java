package dev.plumb.agent.run;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.ReadableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Moves a capture stream from the profiled process's socket to a file as fast as the bytes
 * arrive, and lets a slower consumer read it back behind the writer ({@link #reader()}).
 * The profiled program therefore never waits for symbolization or the network — only, in the
 * worst case, for this copy loop and the disk. heaptrack decouples its interpreter the same
 * way with a pipe; a file has no capacity limit short of the spool limit.
 *
 * <p>The spool limit ({@code plumb run --spool-limit}) bounds how far decoding may lag behind
 * capture — e.g. while the gatherer is away, decoding waits for it and the spool grows. At the
 * limit, a full-mode stream makes the program wait (the pump stops reading; a dropped free
 * would be a false leak), and a sampled-mode stream loses SAMPLE records, counted
 * ({@link #droppedSamples()}), so an always-on production program never waits for the agent.
 */
public final class CapturePump implements Runnable {
    private static final int CHUNK = 1 << 20;

    private final ReadableByteChannel source;
    private final Path file;
    private final long maxBytes;
    private final FileChannel out;
    private final Object progress = new Object();
    private long written;
    private long consumed;
    private boolean finished;
    private boolean abandoned;
    private long droppedSamples;
    private final SampleThinner thinner = new SampleThinner();
    private IOException failure;
    /** Buffers allocated ahead, handed to {@link #run} (which drops this reference); null: run allocates. */
    private Buffers buffers;
    /** Batched reading (see {@link #readInBatches}): the interval, 0 = hand on every byte at once. */
    private long batchNanos;
    /** Batched reading: the reader is taking a batch, the bytes up to {@link #batchEnd}. */
    private boolean inBatch;
    /** Batched reading: where the writer was when the current batch was handed to the reader. */
    private long batchEnd;
    /** Batched reading: when the reader may take the next batch, however small. */
    private long nextBatchAt;

    /**
     * @param maxBytes how far the consumer may lag behind: past it the pump stops reading, so
     *                 the capture library's writes block (full mode never drops) until the
     *                 consumer catches up; a sampled-mode stream drops samples instead
     */
    public CapturePump(ReadableByteChannel source, Path file, long maxBytes) throws IOException {
        this(source, file, maxBytes, null);
    }

    /**
     * @param buffers the two copy buffers, allocated ahead (see {@link Buffers}); null: {@link #run}
     *                allocates them
     */
    CapturePump(ReadableByteChannel source, Path file, long maxBytes, Buffers buffers) throws IOException {
        this.buffers = buffers;
        this.source = source;
        this.file = file;
        this.maxBytes = maxBytes;
        // Created here, not in run(): the reader may open it before the pump thread starts.
        this.out = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING);
    }

    /**
     * Loads and links what a pump runs, so that the first connection's pump starts copying at
     * once: the acceptor and the pump run at the program's priority while it runs.
     */
    static void prepare(Path dir) throws IOException {
        Path probe = Files.createTempFile(dir, "prepare-", ".raw");
        try (FileChannel spool = FileChannel.open(probe, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            spool.write(ByteBuffer.allocateDirect(16));
        } finally {
            Files.deleteIfExists(probe);
        }
        SampleThinner thinner = new SampleThinner();
        ByteBuffer options = ByteBuffer.allocate(32).put((byte) 'O').put((byte) 1).put(new byte[14]).flip();
        thinner.process(options, ByteBuffer.allocate(64), false);
        thinner.process(ByteBuffer.allocate(0), ByteBuffer.allocate(64), true);
    }

    /**
     * The pump's two copy buffers (what it reads from the socket, and the framed bytes it writes).
     * Allocating them zeroes 2 MiB, a page fault per 4 KiB page. Done when the pump starts, that
     * is normal-priority CPU next to the program it profiles (the pump took about a millisecond
     * more of it over a 0.1 s sampled run of bench/alloc_bench), so a run allocates its first
     * pump's buffers before it starts the program.
     */
    record Buffers(ByteBuffer read, ByteBuffer framed) {
        Buffers() {
            this(ByteBuffer.allocateDirect(CHUNK), ByteBuffer.allocateDirect(CHUNK));
        }
    }

    @Override
    public void run() {
        Buffers own = buffers != null ? buffers : new Buffers();
        buffers = null;
        ByteBuffer buffer = own.read();
        ByteBuffer thinned = own.framed();
        try (out) {
            while (true) {
                buffer.clear();
                int n = source.read(buffer);
                if (n < 0) {
                    break;
                }
                buffer.flip();
                if (isAbandoned()) {
                    continue; // nobody decodes any more: drain so the program never blocks
                }
                ByteBuffer chunk = buffer;
                if (thinner.framing()) {
                    thinned = room(thinned, buffer.remaining() + thinner.carried());
                    thinned.clear();
                    thinner.process(buffer, thinned, thinner.sampled() && lag() >= maxBytes);
                    thinned.flip();
                    chunk = thinned;
                }
                int bytes = chunk.remaining();
                while (chunk.hasRemaining()) {
                    out.write(chunk);
                }
                synchronized (progress) {
                    written += bytes;
                    droppedSamples = thinner.dropped();
                    if (batchNanos == 0 || readable(consumed)) {
                        progress.notifyAll(); // batched: a reader in the middle of an interval sleeps on
                    }
                    // Full mode never drops: the pump stops reading, so the library's sends block
                    // and the program waits. Sampled mode drops samples instead (above).
                    while (written - consumed >= maxBytes && !abandoned && !thinsSamples()) {
                        progress.wait();
                    }
                }
            }
            flushCarried();
        } catch (IOException e) {
            synchronized (progress) {
                failure = e;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            synchronized (progress) {
                finished = true;
                progress.notifyAll();
            }
        }
    }

    /** A stream cut off inside a record: its start is written too, so the decoder names the damage. */
    private void flushCarried() throws IOException {
        if (thinner.carried() == 0) {
            return;
        }
        ByteBuffer rest = ByteBuffer.allocate(thinner.carried());
        thinner.flushCarry(rest);
        rest.flip();
        int bytes = rest.remaining();
        while (rest.hasRemaining()) {
            out.write(rest);
        }
        synchronized (progress) {
            written += bytes;
            progress.notifyAll();
        }
    }

    private boolean thinsSamples() {
        return thinner.framing() && thinner.sampled();
    }

    private static ByteBuffer room(ByteBuffer b, int needed) {
        return b.capacity() >= needed ? b : ByteBuffer.allocateDirect(needed);
    }

    /** Sampled mode: SAMPLE records left out because the spool was full (see {@link SampleThinner}). */
    public long droppedSamples() {
        synchronized (progress) {
            return droppedSamples;
        }
    }

    /** Bytes copied but not yet read back by the consumer: how far decoding lags the program. */
    public long lag() {
        synchronized (progress) {
            return written - consumed;
        }
    }

    /** Bytes copied so far. */
    public long written() {
        synchronized (progress) {
            return written;
        }
    }

    private boolean isAbandoned() {
        synchronized (progress) {
            return abandoned;
        }
    }

    /** The consumer is gone: from now on bytes are drained and dropped, never waited for. */
    public void abandon() {
        synchronized (progress) {
            abandoned = true;
            progress.notifyAll();
        }
    }

    /**
     * A stream over the file that blocks at the current end until more arrives and ends when
     * the source has closed and everything was read. One reader per pump.
     */
    public InputStream reader() throws IOException {
        FileChannel in = FileChannel.open(file, StandardOpenOption.READ);
        return new InputStream() {
            private long position;

            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                int n = read(one, 0, 1);
                return n < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (len == 0) {
                    return 0;
                }
                long available = awaitData(position);
                if (available <= 0) {
                    return -1;
                }
                int n = in.read(ByteBuffer.wrap(b, off, (int) Math.min(len, available)), position);
                if (n > 0) {
                    position += n;
                    synchronized (progress) {
                        consumed = position;
                        progress.notifyAll();
                    }
                }
                return n;
            }

            @Override
            public void close() throws IOException {
                in.close();
            }
        };
    }

    /** Bytes readable after {@code position}; 0 means the stream is over. */
    private long awaitData(long position) throws IOException {
        synchronized (progress) {
            if (inBatch && position >= batchEnd) {
                inBatch = false; // the batch is read: the next one waits its interval
                nextBatchAt = System.nanoTime() + batchNanos;
            }
            while (!finished && !readable(position)) {
                try {
                    // batched: the writer wakes the reader only once a batch is ready, so it sleeps
                    // to the end of the interval itself; after that, until the next write
                    long waitNanos = batchNanos == 0 ? 0 : nextBatchAt - System.nanoTime();
                    if (waitNanos > 0) {
                        progress.wait(Math.max(1, waitNanos / 1_000_000));
                    } else {
                        progress.wait();
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted while waiting for capture data", e);
                }
            }
            if (written <= position && failure != null) {
                throw new IOException("capture stream broke off: " + failure.getMessage(), failure);
            }
            if (batchNanos > 0 && !finished && !inBatch) {
                inBatch = true;
                batchEnd = written;
            }
            return (inBatch ? batchEnd : written) - position;
        }
    }

    /**
     * Sampled mode: the reader gets what arrived in batches — once {@code interval} passed since
     * it finished the last batch, once {@link #BATCH_BYTES} (or half the spool limit, if less)
     * are waiting, or once the stream ended — instead of waking for every chunk the library
     * sends. An always-on profiler then decodes, symbolizes and ships in a few bursts on its
     * idle-class threads, and the program's first moments are not spent next to the agent
     * setting up its shipper ({@link ProfiledRun}, docs/RATIONALE.md). Call before the reader
     * starts.
     */
    public CapturePump readInBatches(java.time.Duration interval) {
        synchronized (progress) {
            batchNanos = interval.toNanos();
            nextBatchAt = System.nanoTime() + batchNanos;
        }
        return this;
    }

    /** Batched reading: a batch is ready however long the interval, once this much is waiting. */
    static final long BATCH_BYTES = 8L << 20;

    /** Blocks until the reader has something to read at the start of the stream (a batch), or the stream ended. */
    public void awaitFirstBatch() throws IOException {
        awaitData(0);
    }

    /** Whether the reader at {@code position} may read now (called holding {@code progress}). */
    private boolean readable(long position) {
        if (written <= position) {
            return false;
        }
        // half the spool limit at most: a batch must never make a sampled stream drop samples
        long full = Math.min(BATCH_BYTES, Math.max(1, maxBytes / 2));
        return batchNanos == 0 || inBatch || written - position >= full || System.nanoTime() >= nextBatchAt;
    }

    /** Deletes the spool file once the consumer is done with it. */
    public void release() throws IOException {
        Files.deleteIfExists(file);
    }
}

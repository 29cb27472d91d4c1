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
    private IOException failure;

    /**
     * @param maxBytes how far the consumer may lag behind: past it the pump stops reading, so
     *                 the capture library's writes block (full mode never drops) until the
     *                 consumer catches up
     */
    public CapturePump(ReadableByteChannel source, Path file, long maxBytes) throws IOException {
        this.source = source;
        this.file = file;
        this.maxBytes = maxBytes;
        // Created here, not in run(): the reader may open it before the pump thread starts.
        this.out = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING);
    }

    @Override
    public void run() {
        ByteBuffer buffer = ByteBuffer.allocateDirect(CHUNK);
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
                while (buffer.hasRemaining()) {
                    out.write(buffer);
                }
                synchronized (progress) {
                    written += n;
                    progress.notifyAll();
                    while (written - consumed >= maxBytes && !abandoned) {
                        progress.wait();
                    }
                }
            }
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
            while (written <= position && !finished) {
                try {
                    progress.wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted while waiting for capture data", e);
                }
            }
            if (written <= position && failure != null) {
                throw new IOException("capture stream broke off: " + failure.getMessage(), failure);
            }
            return written - position;
        }
    }

    /** Deletes the spool file once the consumer is done with it. */
    public void release() throws IOException {
        Files.deleteIfExists(file);
    }
}
